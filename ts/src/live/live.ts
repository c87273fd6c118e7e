/**
 * The live loop: the paper loop's bars, decisions, risk checks and journal, with a real venue
 * (`CcxtVenue`) instead of the SimVenue. Per bar close:
 * 1. the venue's fills during the bar (`myTrades`, attributed to the bar whose span holds their
 *    time) are booked into the engine state by the engine's own accounting, then the bar is
 *    closed (marked) by `step` with no orders; fills and state are one journal transaction,
 *    each fill keyed by the venue's trade id (never booked twice);
 * 2. the orders that rested on the bar are cancelled (orders live one bar);
 * 3. the next bar's orders are decided, risk-checked, sized in units (a buy fraction of cash at
 *    its limit, a sell fraction of the position), journaled as intents, then quantised and placed
 *    under their client order ids; acks or the venue's rejections are journaled after.
 * On start it reconciles: journaled open orders are adopted, orphans cancelled.
 */
import { DownloadError, ExchangeSession } from "../download/client.js";
import { nativeSync as native, TradelabError } from "../errors.js";
import type * as G from "../generated/engine.js";
import { addon } from "../native.js";
import { runIdentity, type PaperConfig } from "./config.js";
import { BarFeed, replayClock, systemClock, venueClock, type Bars, type Clock } from "./feed.js";
import { clientOrderId, Journal, type NewEvent } from "./journal.js";
import { MetricsLog } from "./metrics-log.js";
import { paperRequest, proposedOrders, withDecider, type PolicyDecider } from "./policy-source.js";
import { crashPoint, journaledTrades, tradeSha256, type StatePayload } from "./paper.js";
import { checkOrders, KillSwitch, type Refusal } from "./risk.js";
import { CcxtVenue } from "./venue.js";

interface LiveDecision {
  step: number;
  barTs: number;
  orders: G.Orders;
  accepted: G.Orders;
  refusals: Refusal[];
  /** Units sent per side (after sizing; quantised by the venue layer). */
  ids: { buy: string | null; sell: string | null };
}

export interface LiveSummary {
  runId: string;
  resumed: boolean;
  status: G.PaperStatus;
  trades: number;
  tradeSha256: string;
  adopted: number;
  orphansCancelled: number;
  killed: string | null;
}

export interface LiveOptions {
  credentials: { apiKey: string; secret: string };
  clock?: Clock;
  log?: (m: string) => void;
  signal?: AbortSignal;
  retry?: { retries?: number; minTimeoutMs?: number; maxTimeoutMs?: number };
  /** Append a metrics line per stepped bar to this JSONL file (seed 001's `--log-metrics`). */
  metricsLog?: string;
}

export function runLive(cfg: PaperConfig, o: LiveOptions): Promise<LiveSummary> {
  // A policy checkpoint decides in its own long-lived process (as in paper runs).
  return withDecider(cfg, (decider) => liveLoop(cfg, o, decider));
}

async function liveLoop(cfg: PaperConfig, o: LiveOptions, decider: PolicyDecider | undefined): Promise<LiveSummary> {
  const log = o.log ?? (() => {});
  const run = cfg.runId;
  const request = paperRequest(cfg, decider);
  // The config's params over a checkpoint's: one check covers both.
  if (request.params?.maxHoldBars) throw new TradelabError(`live: params.maxHoldBars (${request.params.maxHoldBars}${decider && !cfg.params.maxHoldBars ? ", the checkpoint's" : ""}) would close positions the venue still holds; remove it for live runs${decider ? ' (over a checkpoint: "params": {"maxHoldBars": null})' : ""}`);
  const journal = new Journal(cfg.journal);
  const resumed = journal.beginRun(run, "live", runIdentity(cfg));
  const latest = journal.latestState<StatePayload>(run);
  const session = native(() => addon.PaperSession.open(JSON.stringify(request), latest ? JSON.stringify(latest.state.engine) : undefined));
  // No Binance.US fallback here: live orders never move to another venue (and account) on their
  // own. A 451 stops the run before anything is sent (reconcile below is its first call).
  const ex = new ExchangeSession(cfg.exchange, { ...(cfg.baseUrl !== undefined ? { baseUrl: cfg.baseUrl } : {}), log, credentials: o.credentials, regionFallback: false, ...(o.retry ? { retry: o.retry } : {}) });
  const venue = new CcxtVenue(ex, cfg.symbol);
  const feed = new BarFeed(ex, cfg.symbol, cfg.interval, cfg.intervalMs);
  const clock = o.clock ?? (cfg.clock === "venue" ? venueClock(ex, cfg.pollMs) : cfg.clock === "replay" ? replayClock(cfg.baseUrl ?? "https://api.binance.com") : systemClock);

  const decisions = new Map<number, LiveDecision>();
  for (const e of journal.events<LiveDecision>(run, "decision")) decisions.set(e.payload.step, e.payload);
  const intents = new Set(journal.events(run, "intent").map((e) => e.ref as string));
  const acked = new Set(journal.events(run, "ack").map((e) => e.ref as string));
  const cancelled = new Set(journal.events(run, "cancel").map((e) => e.ref as string));
  const booked = new Set(journal.events(run, "fill").map((e) => e.ref as string));
  const placed = journal.events(run, "ack").map((e) => e.barTs);
  const kill = new KillSwitch(cfg.risk);
  for (const e of journal.events<StatePayload>(run, "state")) kill.update(e.barTs, e.payload.equity);
  // P is the engine's (its label's), from the symbol's calendar and the interval.
  const periodsPerYear = (native(() => session.status()) as G.PaperStatus).label.periodsPerYear;
  const metrics = o.metricsLog ? MetricsLog.resume(o.metricsLog, periodsPerYear, journal, run) : undefined;
  let killed: string | null = journal.events<{ reason: string }>(run, "kill")[0]?.payload.reason ?? null;

  // Reconcile: the journal's open orders are kept, any other open order on the market is cancelled.
  let rec: Awaited<ReturnType<CcxtVenue["reconcile"]>>;
  try {
    rec = await venue.reconcile(intents, cfg.from);
  } catch (e) {
    if (e instanceof DownloadError && e.kind === "region") {
      throw new TradelabError(
        `live: ${cfg.exchange} answered HTTP 451 (restricted location). A live run never switches venue on its own: ` +
          `Binance.US is a separate exchange with its own account and keys; to trade there, set "exchange": "binanceus" with Binance.US keys. Nothing was sent.`,
        { code: "LIVE_REGION", cause: e },
      );
    }
    throw e;
  }
  if (rec.cancelled.length) journal.append(run, rec.cancelled.map((c) => ({ kind: "cancel" as const, barTs: 0, ref: `orphan-${c.id}`, payload: { orderId: c.id, clientOrderId: c.clientOrderId ?? null, reason: "orphan: not in the journal" } })));
  for (const c of rec.cancelled) log(`reconcile: cancelled orphan order ${c.id} (${c.clientOrderId ?? "no client id"})`);
  if (rec.adopted.length) log(`reconcile: adopted ${rec.adopted.length} journaled open order(s)`);
  // An adopted order whose bar has already been stepped outlived its bar (a crash between the
  // bar's commit and its cancels): cancel it now, as the loop would have.
  const stepped = latest?.state.engine.bar ?? 0;
  const stale = new Set<string>();
  for (const [step, d] of decisions) if (step < stepped) for (const id of [d.ids.buy, d.ids.sell]) if (id) stale.add(id);
  for (const o of rec.adopted) {
    const id = o.clientOrderId;
    if (id === undefined || !stale.has(id) || cancelled.has(id)) continue;
    await venue.cancel(id).catch((e: unknown) => {
      if (e instanceof DownloadError && e.transient) throw e;
    });
    journal.append(run, [{ kind: "cancel", barTs: 0, ref: id, payload: { reason: "reconcile: its bar was already stepped" } }]);
    cancelled.add(id);
  }

  const state = () => JSON.parse(native(() => session.stateJson())) as StatePayload["engine"];

  const send = async (d: LiveDecision): Promise<void> => {
    for (const side of ["buy", "sell"] as const) {
      const id = d.ids[side];
      const l = d.accepted[side];
      if (!id || !l || acked.has(id)) continue;
      const qty = "qty" in l.size ? l.size.qty : 0;
      const r = await venue.place(id, side, l.price, qty);
      crashPoint("after-place", d.step); // on the venue, not yet acked in the journal
      if (r.status === "rejected") journal.append(run, [{ kind: "refusal", barTs: d.barTs, ref: `venue-${id}`, payload: { side, reason: `venue: ${r.reason}` } }]);
      else journal.append(run, [{ kind: "ack", barTs: d.barTs, ref: id, payload: { venue: ex.id, status: r.status, orderId: r.orderId, price: r.price, qty: r.qty } }]);
      if (r.status === "rejected") log(`venue refused ${side} ${id}: ${r.reason}`);
      acked.add(id);
      placed.push(d.barTs);
    }
  };

  const decide = async (s: number, barTs: number): Promise<void> => {
    const st = state();
    const pos = st.positions[0] ?? { qty: 0, mark: 0 };
    const orders = await proposedOrders(session, decider);
    let accepted: G.Orders;
    let refusals: Refusal[] = [];
    if (killed !== null) {
      const flatten = cfg.risk.onKill === "flatten" && pos.qty > 0;
      accepted = flatten ? { buy: null, sell: { price: pos.mark * 0.95, size: { frac: 1 } } } : { buy: null, sell: null };
      for (const side of ["buy", "sell"] as const) if (orders[side] && !(flatten && side === "sell")) refusals.push({ side, reason: `kill switch: ${killed}` });
    } else {
      const r = checkOrders(cfg.risk, { symbol: cfg.symbol, barTs, cash: st.cash, qty: pos.qty, mark: pos.mark, placedBarTs: placed }, orders);
      accepted = r.orders;
      refusals = r.refusals;
    }
    // Units for the venue: a buy spends its fraction of cash at the limit, fee included; a sell
    // sells its fraction of the position.
    const fee = cfg.params.makerFee ?? 0.001;
    const sized: G.Orders = { buy: null, sell: null };
    if (accepted.buy && "frac" in accepted.buy.size && accepted.buy.size.frac > 0) sized.buy = { price: accepted.buy.price, size: { qty: (accepted.buy.size.frac * st.cash) / (accepted.buy.price * (1 + fee)) } };
    if (accepted.sell && "frac" in accepted.sell.size && accepted.sell.size.frac > 0 && pos.qty > 0) sized.sell = { price: accepted.sell.price, size: { qty: accepted.sell.size.frac * pos.qty } };
    const ids = { buy: sized.buy ? clientOrderId(run, barTs, 0, "buy") : null, sell: sized.sell ? clientOrderId(run, barTs, 0, "sell") : null };
    const d: LiveDecision = { step: s, barTs, orders, accepted: sized, refusals, ids };
    const events: NewEvent[] = [{ kind: "decision", barTs, ref: `step-${s}`, payload: d }];
    for (const side of ["buy", "sell"] as const) {
      const id = ids[side];
      const l = sized[side];
      if (id && l) events.push({ kind: "intent", barTs, ref: id, payload: { symbol: cfg.symbol, side, price: l.price, size: l.size } });
    }
    refusals.forEach((r, k) => events.push({ kind: "refusal", barTs, ref: `${barTs}-${r.side}-${k}`, payload: r }));
    journal.append(run, events); // intents before the venue is called
    crashPoint("after-intent", s);
    for (const id of [ids.buy, ids.sell]) if (id) intents.add(id);
    decisions.set(s, d);
    await send(d);
  };

  let next = cfg.from;
  for (;;) {
    if (o.signal?.aborted) break;
    let b: Bars;
    try {
      b = await feed.closedBars(next, await clock.now(), cfg.until);
    } catch (e) {
      if (!(e instanceof DownloadError && e.transient)) throw e;
      journal.append(run, [{ kind: "error", barTs: next, payload: { message: e.message, kind: e.kind } }]);
      continue;
    }
    if (b.ts.length > 0) {
      native(() => session.push(Float64Array.from(b.ts), Float64Array.from(b.open), Float64Array.from(b.high), Float64Array.from(b.low), Float64Array.from(b.close), Float64Array.from(b.volume)));
      await decider?.push(b);
      next = (b.ts[b.ts.length - 1] as number) + cfg.intervalMs;
    }
    for (;;) {
      const s = session.bars - session.pending;
      const barTs = s < session.bars ? session.barTs(s) : s === 0 ? cfg.from : session.barTs(s - 1) + cfg.intervalMs;
      const d = decisions.get(s);
      if (!d && s >= session.bars) {
        if (cfg.until !== undefined && barTs >= cfg.until) break;
        await decide(s, barTs);
        break;
      }
      if (d && s >= session.bars) {
        await send(d); // intents journaled before a crash, maybe never sent
        break;
      }
      // Bar s has closed: book the venue's fills during it, close it, cancel what rested on it.
      const end = barTs + cfg.intervalMs;
      const fills = (await venue.fills(barTs)).filter((t) => t.timestamp > barTs && t.timestamp <= end && !booked.has(`venue-${t.id}`));
      const events: NewEvent[] = [];
      for (const f of fills) {
        const trade = native(() => session.bookVenueFill(f.side === "buy" ? "buy" : "sell", f.price, f.amount, f.fee)) as G.Trade;
        events.push({ kind: "fill", barTs, ref: `venue-${f.id}`, payload: { trade, clientOrderId: f.clientOrderId ?? null, venueTradeId: f.id } });
      }
      native(() => session.fill(JSON.stringify({ buy: null, sell: null })));
      const st = state();
      const pos = st.positions[0] ?? { qty: 0, mark: 0 };
      const equity = st.cash + pos.qty * pos.mark;
      events.push({ kind: "state", barTs, ref: String(barTs), payload: { engine: st, equity, cash: st.cash, qty: pos.qty, mark: pos.mark, periodsPerYear } satisfies StatePayload });
      const why = killed === null ? kill.update(barTs, equity) : (kill.update(barTs, equity), null);
      if (why !== null) {
        killed = why;
        events.push({ kind: "kill", barTs, ref: "kill", payload: { reason: why, action: cfg.risk.onKill ?? "halt" } });
      }
      crashPoint("before-commit", s);
      journal.append(run, events);
      crashPoint("after-commit", s);
      for (const e of events) if (e.kind === "fill") booked.add(e.ref as string);
      metrics?.append(barTs, equity, st.cash);
      for (const id of [d?.ids.buy, d?.ids.sell]) {
        if (!id || cancelled.has(id) || !acked.has(id)) continue;
        try {
          await venue.cancel(id);
        } catch (e) {
          // Filled or already gone: nothing rests any more.
          if (e instanceof DownloadError && e.transient) throw e;
        }
        journal.append(run, [{ kind: "cancel", barTs, ref: id, payload: { reason: "orders live one bar" } }]);
        cancelled.add(id);
      }
      if (why !== null) log(`KILL SWITCH at ${new Date(barTs).toISOString()}: ${why}`);
    }
    if (cfg.until !== undefined && next >= cfg.until) break;
    await clock.waitUntil(next + cfg.intervalMs + cfg.delayMs, o.signal);
  }
  const trades = journaledTrades(journal, run);
  return {
    runId: run,
    resumed,
    status: native(() => session.status()) as G.PaperStatus,
    trades: trades.length,
    tradeSha256: tradeSha256(trades),
    adopted: rec.adopted.length,
    orphansCancelled: rec.cancelled.length,
    killed,
  };
}
