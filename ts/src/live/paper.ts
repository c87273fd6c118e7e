/**
 * The paper loop: one long-running process that, at each bar close (+ `delayMs`), fetches the
 * newly closed bars through ccxt, fills the orders that rested on them with the engine's own
 * `step` (the SimVenue, crates/backtest paper.rs: no second simulator), journals fills and the
 * engine state, then decides, risk-checks, journals and places the orders for the next bar.
 *
 * Parity with `tradelab backtest` holds by construction: the same strategy rows, the same order
 * transform and the same `Engine::step`, fed the same bars one at a time.
 *
 * Crash safety (see crates/registry/src/order_journal.rs):
 * - a decision and its intents (deterministic client order ids) are committed before the venue
 *   is called; acks after. A restart re-places unacked intents under the same ids;
 * - a bar's fills and the state after it are one transaction; a restart resumes from the last
 *   state, steps only bars after it, and reuses the journaled decision for the next bar;
 * - a bar that closed before any decision for it was journaled (the loop was down) is stepped
 *   with no orders and journaled as missed: nothing is traded on a bar after the fact.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { DownloadError, ExchangeSession } from "../download/client.js";
import { nativeSync as native, TradelabError } from "../errors.js";
import type * as G from "../generated/engine.js";
import { addon } from "../native.js";
import { runIdentity, type PaperConfig } from "./config.js";
import { BarFeed, replayClock, systemClock, venueClock, type Bars, type Clock } from "./feed.js";
import { clientOrderId, Journal, type NewEvent } from "./journal.js";
import { checkOrders, KillSwitch, type Refusal } from "./risk.js";
import { MetricsLog } from "./metrics-log.js";
import { paperRequest, proposedOrders, withDecider, type PolicyDecider } from "./policy-source.js";

type Session = ReturnType<typeof addon.PaperSession.open>;

interface EngineState {
  cash: number;
  bar: number;
  positions: { qty: number; mark: number }[];
}

/** What the journal's `state` event holds after each bar. */
export interface StatePayload {
  engine: EngineState;
  equity: number;
  cash: number;
  qty: number;
  mark: number;
  /** The engine label's P (periods per year, from the symbol's calendar and the interval): what reports annualise with. */
  periodsPerYear?: number;
}

/** A decision event: the orders for one step (bar), what risk let through, and why not the rest. */
export interface DecisionPayload {
  step: number;
  /** Expected open time of the bar the orders rest on. */
  barTs: number;
  /** Closed before the loop could place anything (the loop was down): stepped with no orders. */
  missed: boolean;
  orders: G.Orders;
  accepted: G.Orders;
  refusals: Refusal[];
  /** Client order ids of the accepted orders. */
  ids: { buy: string | null; sell: string | null };
}

export interface FillPayload {
  trade: G.Trade;
  clientOrderId: string | null;
}

export interface PaperSummary {
  runId: string;
  /** The venue the bars came from: the config's, or `binanceus` after Binance answered HTTP 451. */
  barsFrom: string;
  resumed: boolean;
  journal: string;
  status: G.PaperStatus;
  trades: number;
  tradeSha256: string;
  /** Why the kill switch tripped (null: it did not). */
  killed: string | null;
  /** Bars stepped by this process / missed (closed while the loop was down). */
  steppedNow: number;
  missed: number;
  /** Per stepped bar: fill + journal + next decision, ms (mean, p95, max). */
  latencyMs: { mean: number; p95: number; max: number };
}

export interface PaperOptions {
  clock?: Clock;
  log?: (message: string) => void;
  /** Stop at the next bar boundary (SIGTERM). */
  signal?: AbortSignal;
  /** Append a metrics line per stepped bar to this JSONL file (seed 001's `--log-metrics`). */
  metricsLog?: string;
  /** Called after each stepped bar (tests, progress). */
  onBar?: (step: number, barTs: number) => void | Promise<void>;
  retry?: { retries?: number; minTimeoutMs?: number; maxTimeoutMs?: number };
  /** Per-request timeout (ms, default 10 000). */
  timeoutMs?: number;
}

/**
 * Crash injection for the crash-safety tests: `TRADELAB_PAPER_CRASH=<point>@<step>` SIGKILLs this
 * process at that point of that step (`after-intent`, `after-place` (live), `before-commit`, `after-commit`), the way
 * a power cut would. Unset (always, outside tests) it does nothing.
 */
export function crashPoint(point: string, step: number): void {
  const want = process.env["TRADELAB_PAPER_CRASH"];
  if (want !== undefined && want === `${point}@${step}`) process.kill(process.pid, "SIGKILL");
}

const none = (): G.Orders => ({ buy: null, sell: null });

function f64(a: number[]): Float64Array {
  return Float64Array.from(a);
}

function pushBars(s: Session, b: Bars): void {
  native(() => s.push(f64(b.ts), f64(b.open), f64(b.high), f64(b.low), f64(b.close), f64(b.volume)));
}

/** Trade list of a run from its journal, in fill order. */
export function journaledTrades(journal: Journal, run: string): G.Trade[] {
  return journal.events<FillPayload>(run, "fill").map((e) => e.payload.trade);
}

export function tradeSha256(trades: G.Trade[]): string {
  return native(() => addon.tradeSha256(JSON.stringify(trades)));
}

/** Runs (or resumes) a paper run until `until` or the signal. */
export function runPaper(cfg: PaperConfig, o: PaperOptions = {}): Promise<PaperSummary> {
  // A policy checkpoint decides in its own long-lived process; its trained parameters are the
  // run's defaults (the config's override them).
  return withDecider(cfg, (decider) => paperLoop(cfg, o, decider));
}

async function paperLoop(cfg: PaperConfig, o: PaperOptions, decider: PolicyDecider | undefined): Promise<PaperSummary> {
  const log = o.log ?? (() => {});
  const run = cfg.runId;
  const journal = new Journal(cfg.journal);
  const resumed = journal.beginRun(run, "paper", runIdentity(cfg));
  const latest = journal.latestState<StatePayload>(run);
  const request = paperRequest(cfg, decider);
  const session = native(() => addon.PaperSession.open(JSON.stringify(request), latest ? JSON.stringify(latest.state.engine) : undefined));
  const ex = new ExchangeSession(cfg.exchange, { ...(cfg.baseUrl !== undefined ? { baseUrl: cfg.baseUrl } : {}), log, ...(o.retry ? { retry: o.retry } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}) });
  const feed = new BarFeed(ex, cfg.symbol, cfg.interval, cfg.intervalMs);
  const clock =
    o.clock ??
    (cfg.clock === "venue" ? venueClock(ex, cfg.pollMs) : cfg.clock === "replay" ? replayClock(cfg.baseUrl ?? "https://api.binance.com") : systemClock);

  // What the journal already knows: decisions per step, placed orders, the kill switch.
  const decisions = new Map<number, DecisionPayload>();
  for (const e of journal.events<DecisionPayload>(run, "decision")) decisions.set(e.payload.step, e.payload);
  const acked = new Set(journal.events(run, "ack").map((e) => e.ref));
  const placed: number[] = journal.events(run, "ack").map((e) => e.barTs);
  const kill = new KillSwitch(cfg.risk);
  for (const e of journal.events<StatePayload>(run, "state")) kill.update(e.barTs, e.payload.equity);
  let killed: string | null = journal.events<{ reason: string }>(run, "kill")[0]?.payload.reason ?? null;
  const restoredBar = latest?.state.engine.bar ?? 0;
  // P is the engine's (its label's), from the symbol's calendar and the interval.
  const periodsPerYear = (native(() => session.status()) as G.PaperStatus).label.periodsPerYear;
  const metrics = o.metricsLog ? MetricsLog.resume(o.metricsLog, periodsPerYear, journal, run) : undefined;
  if (resumed) log(`resuming ${run}: ${restoredBar} bars stepped, ${decisions.size} decisions journaled${killed ? `, kill switch tripped (${killed})` : ""}`);

  const state = (): EngineState => JSON.parse(native(() => session.stateJson())) as EngineState;
  const lat: number[] = [];
  let steppedNow = 0;
  let missed = 0;
  let next = cfg.from;

  /** Places a decision's accepted orders (the SimVenue keeps them for the bar; a live venue would send them) and journals acks. */
  const place = (d: DecisionPayload): void => {
    const acks: NewEvent[] = [];
    for (const side of ["buy", "sell"] as const) {
      const id = d.ids[side];
      if (id === null || acked.has(id)) continue;
      acks.push({ kind: "ack", barTs: d.barTs, ref: id, payload: { venue: "sim", side } });
    }
    if (acks.length === 0) return;
    journal.append(run, acks);
    for (const a of acks) {
      acked.add(a.ref as string);
      placed.push(d.barTs);
    }
  };

  /** Decides the orders of step `s` (its bar still open), checks risk, journals, then places. */
  const decide = async (s: number, barTs: number): Promise<DecisionPayload> => {
    const st = state();
    const pos = st.positions[0] ?? { qty: 0, mark: 0 };
    const was = await proposedOrders(session, decider);
    let orders = was;
    let accepted: G.Orders;
    let refusals: Refusal[] = [];
    if (killed !== null) {
      const flatten = cfg.risk.onKill === "flatten" && pos.qty > 0;
      // A marketable limit (5 % through the last close) fills at the next open by the engine's rule.
      orders = flatten ? { buy: null, sell: { price: pos.mark * 0.95, size: { frac: 1 } } } : none();
      accepted = orders;
      for (const side of ["buy", "sell"] as const) if (was[side] && !(flatten && side === "sell")) refusals.push({ side, reason: `kill switch: ${killed}` });
    } else {
      const r = checkOrders(cfg.risk, { symbol: cfg.symbol, barTs, cash: st.cash, qty: pos.qty, mark: pos.mark, placedBarTs: placed }, orders);
      accepted = r.orders;
      refusals = r.refusals;
    }
    const ids = {
      buy: accepted.buy ? clientOrderId(run, barTs, 0, "buy") : null,
      sell: accepted.sell ? clientOrderId(run, barTs, 0, "sell") : null,
    };
    const d: DecisionPayload = { step: s, barTs, missed: false, orders, accepted, refusals, ids };
    const events: NewEvent[] = [{ kind: "decision", barTs, ref: `step-${s}`, payload: d }];
    for (const side of ["buy", "sell"] as const) {
      const id = ids[side];
      const l = accepted[side];
      if (id && l) events.push({ kind: "intent", barTs, ref: id, payload: { symbol: cfg.symbol, side, price: l.price, size: l.size } });
    }
    refusals.forEach((r, k) => events.push({ kind: "refusal", barTs, ref: `${barTs}-${r.side}-${k}`, payload: r }));
    // Intents are committed before the venue is called.
    journal.append(run, events);
    crashPoint("after-intent", s);
    for (const r of refusals) log(`refused ${r.side} ${cfg.symbol} for the bar at ${new Date(barTs).toISOString()}: ${r.reason}`);
    decisions.set(s, d);
    place(d);
    return d;
  };

  let checkedResume = false;
  for (;;) {
    if (o.signal?.aborted) break;
    let b: Bars;
    try {
      const now = await clock.now();
      b = await feed.closedBars(next, now, cfg.until);
    } catch (e) {
      // Network trouble that outlived its retries: journal it and try again at the next poll; the
      // bars are still there, and nothing was decided from a partial answer.
      if (!(e instanceof DownloadError && e.transient)) throw e;
      journal.append(run, [{ kind: "error", barTs: next, payload: { message: e.message, kind: e.kind } }]);
      log(`fetch failed (${e.kind}), retrying at the next poll: ${e.message}`);
      await sleep(Math.min(cfg.pollMs, 1000), undefined, o.signal ? { signal: o.signal } : {}).catch(() => {});
      continue;
    }
    if (b.ts.length > 0) {
      pushBars(session, b);
      await decider?.push(b);
      next = (b.ts[b.ts.length - 1] as number) + cfg.intervalMs;
    }
    if (!checkedResume && latest && session.bars >= restoredBar) {
      const t = session.barTs(restoredBar - 1);
      if (t !== latest.barTs) throw new TradelabError(`journal ${cfg.journal}: run ${run} last stepped the bar at ${new Date(latest.barTs).toISOString()}, but the venue's bar ${restoredBar - 1} opens at ${new Date(t).toISOString()}: its history changed; start a new run`);
      checkedResume = true;
    }
    // Step every closed bar that has not been stepped, then make sure the next one has its orders.
    for (;;) {
      const s = session.bars - session.pending;
      const barTs = s < session.bars ? session.barTs(s) : s === 0 ? cfg.from : session.barTs(s - 1) + cfg.intervalMs;
      let d = decisions.get(s);
      if (!d && s < session.bars) {
        // Closed before an order could rest on it: no orders, said so.
        d = { step: s, barTs, missed: true, orders: none(), accepted: none(), refusals: [], ids: { buy: null, sell: null } };
        journal.append(run, [{ kind: "decision", barTs, ref: `step-${s}`, payload: d }]);
        decisions.set(s, d);
        if (s > 0) missed++;
      }
      if (!d) {
        if (cfg.until !== undefined && barTs >= cfg.until) break;
        d = await decide(s, barTs);
      } else place(d); // intents journaled before a crash, maybe never acked
      if (s >= session.bars) break;
      const t0 = performance.now();
      const trades = native(() => session.fill(JSON.stringify(d.accepted))) as G.Trade[];
      const st = state();
      const pos = st.positions[0] ?? { qty: 0, mark: 0 };
      const equity = st.cash + pos.qty * pos.mark;
      const events: NewEvent[] = trades.map((t, k) => ({
        kind: "fill",
        barTs,
        ref: `${barTs}-${k}`,
        payload: { trade: t, clientOrderId: t.reason === "limit" ? d.ids[t.side] : null } satisfies FillPayload,
      }));
      events.push({ kind: "state", barTs, ref: String(barTs), payload: { engine: st, equity, cash: st.cash, qty: pos.qty, mark: pos.mark, periodsPerYear } satisfies StatePayload });
      const why = killed === null ? kill.update(barTs, equity) : (kill.update(barTs, equity), null);
      if (why !== null) {
        killed = why;
        events.push({ kind: "kill", barTs, ref: "kill", payload: { reason: why, action: cfg.risk.onKill ?? "halt" } });
      }
      // Fills, state and a kill in one transaction.
      crashPoint("before-commit", s);
      journal.append(run, events);
      crashPoint("after-commit", s);
      if (why !== null) log(`KILL SWITCH at ${new Date(barTs).toISOString()}: ${why}; ${cfg.risk.onKill === "flatten" ? "cancelling everything and flattening" : "cancelling everything and halting"}`);
      for (const t of trades) log(`${new Date(t.ts).toISOString()} ${t.side} ${t.qty.toPrecision(6)} ${cfg.symbol} @ ${t.price} (${t.reason}) fee ${t.fee.toFixed(4)}`);
      metrics?.append(barTs, equity, st.cash);
      steppedNow++;
      lat.push(performance.now() - t0);
      await o.onBar?.(s, barTs);
    }
    if (cfg.until !== undefined && next >= cfg.until) break;
    if (o.signal?.aborted) break;
    await clock.waitUntil(next + cfg.intervalMs + cfg.delayMs, o.signal);
  }
  if (o.signal?.aborted) journal.append(run, [{ kind: "stop", barTs: next, payload: { reason: "signal" } }]);
  const trades = journaledTrades(journal, run);
  const sorted = [...lat].sort((a, b) => a - b);
  return {
    runId: run,
    barsFrom: ex.id,
    resumed,
    journal: cfg.journal,
    status: native(() => session.status()) as G.PaperStatus,
    trades: trades.length,
    tradeSha256: tradeSha256(trades),
    killed,
    steppedNow,
    missed,
    latencyMs: {
      mean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : 0,
      p95: sorted.length ? (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] as number) : 0,
      max: sorted.length ? (sorted[sorted.length - 1] as number) : 0,
    },
  };
}
