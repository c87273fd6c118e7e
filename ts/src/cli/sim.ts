/** `tradelab backtest` and `tradelab sweep`: the simulator from the command line. */
import { Command, Option } from "commander";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { readActionsFile, type ActionArrays } from "../actions-file.js";
import { policyActions } from "../train/index.js";
import { backtestRunInput, harvestRunInput, hashFiles, openRegistry, portfolioRunInput, portfolioSweepRunInput, sweepRunInput, type RunRecord } from "../registry/index.js";
import { backtestReportRun, writeReport } from "../report/index.js";
import { TradelabError } from "../errors.js";
import { annualisedNote, backtest, backtestPortfolio, fundingHarvest, strategyLabel, sweep, sweepActions, sweepPortfolio, type HarvestRule, type Metrics, type SimLabel, type SimParams, type SplitOptions, type Strategy, type SweepConfig } from "../sim.js";
import { INTERVALS } from "../types.js";
import type * as G from "../generated/engine.js";
import { parseTime } from "../download/time.js";
import { isoMs, kvTable, printJson, progressBar, table } from "./ui.js";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

export function metricRows(m: Metrics): [string, string][] {
  const rows: [string, string][] = [
    ["total return", pct(m.totalReturn)],
    ["annualised return", pct(m.annualisedReturn) + annualisedNote(m)],
    ["sharpe", num(m.sharpe)],
    ["sortino", num(m.sortino)],
    ["max drawdown", `${pct(m.maxDrawdown)} (${m.maxDrawdownBars} bars)`],
    ["calmar", num(m.calmar) + annualisedNote(m)],
    ["trades / round trips", `${m.tradeCount} / ${m.roundTrips}`],
    ["win rate", pct(m.winRate)],
    ["exposure", pct(m.exposure)],
    ["turnover", num(m.turnover)],
    ["fees paid", num(m.feesPaid)],
  ];
  if (m.lastWindow) {
    rows.push([`last ${m.lastWindow.bars} bars: return / sortino`, `${pct(m.lastWindow.totalReturn)} / ${num(m.lastWindow.sortino)}`]);
  }
  return rows;
}

/**
 * The stress table: the same actions under each assumption (computed in Rust, crates/sim
 * stress.rs), optimistic rows flagged. A user sees when an edge lives only in a fill assumption.
 */
export function stressText(rows: G.StressRow[], robust?: G.RobustScore | null): string {
  let text =
    "stress (the same actions, one assumption changed):\n" +
    table(
      ["scenario", "assumptions", "return", "sortino", "max dd", "trades", "flags"],
      rows.map((r) => [r.scenario, r.label.text, pct(r.metrics.totalReturn), num(r.metrics.sortino), pct(r.metrics.maxDrawdown), r.metrics.tradeCount, r.optimistic ? "OPTIMISTIC" : ""]),
    ) +
    "\n";
  if (robust) {
    text +=
      `robust score ${num(robust.score)} over ${robust.scenarios}: return worst ${pct(robust.worstReturn)} / p25 ${pct(robust.p25Return)} / mean ${pct(robust.meanReturn)} · ` +
      `sortino worst ${num(robust.worstSortino)} / p25 ${num(robust.p25Sortino)} / mean ${num(robust.meanSortino)} (clipped to ±10)\n`;
  }
  return text;
}

export function assumptionsLine(l: SimLabel): string {
  return `assumptions: ${l.text}${l.optimistic ? `  [OPTIMISTIC: ${l.warnings.join("; ")}]` : ""}`;
}

interface SimFlags {
  lag: string;
  fill: "touch" | "cross";
  buffer: string;
  makerFee: string;
  takerFee?: string;
  cash: string;
  intensity: string;
  offset: string;
  maxVolumeFraction?: string;
  roundTrips: string;
  maxHold?: string;
  minGap?: string;
  oneSide?: boolean;
  lastDays?: string;
}

function number(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x)) throw new TradelabError(`${flag}: '${v}' is not a number`);
  return x;
}

/** A whole-number option (bars, counts): `--lag -1` or `--lag 1.5` is refused naming the flag. */
function whole(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isSafeInteger(x) || x < min) throw new TradelabError(`${flag}: '${v}' is not a whole number >= ${min}`);
  return x;
}

/** A fraction option in [0, 1] (`--buy-frac 2` used to be clamped to 1 without a word). */
function fraction(v: string, flag: string): number {
  const x = number(v, flag)!;
  if (x < 0 || x > 1) throw new TradelabError(`${flag}: ${v} is not a fraction in [0, 1]`);
  return x;
}

function simParams(f: SimFlags): SimParams {
  const maker = number(f.makerFee, "--maker-fee")!;
  return {
    decisionLag: whole(f.lag, "--lag", 0)!,
    fillRule: f.fill === "cross" ? { kind: "cross", buffer: number(f.buffer, "--buffer")! } : { kind: "touch" },
    makerFee: maker,
    takerFee: number(f.takerFee, "--taker-fee") ?? maker,
    startingCash: number(f.cash, "--cash")!,
    intensity: number(f.intensity, "--intensity")!,
    priceOffsetPct: number(f.offset, "--offset")!,
    maxVolumeFraction: number(f.maxVolumeFraction, "--max-volume-fraction") ?? null,
    maxRoundTripsPerBar: whole(f.roundTrips, "--round-trips", 0)!,
    maxHoldBars: whole(f.maxHold, "--max-hold", 1) ?? null,
    minGapPct: number(f.minGap, "--min-gap") ?? null,
    oneSidePerBar: Boolean(f.oneSide),
    lastWindowDays: number(f.lastDays, "--last-days") ?? null,
  };
}

interface StrategyFlags {
  strategy: string;
  fast: string;
  slow: string;
  slack: string;
  buyOffset: string;
  sellOffset: string;
  buyFrac: string;
  sellFrac: string;
}

function strategyOf(f: StrategyFlags): Strategy {
  switch (f.strategy) {
    case "ema-cross":
    case "sma-cross":
      return {
        kind: f.strategy === "ema-cross" ? "emaCross" : "smaCross",
        fast: whole(f.fast, "--fast", 1)!,
        slow: whole(f.slow, "--slow", 1)!,
        slack: number(f.slack, "--slack")!,
      };
    case "band":
      return {
        kind: "band",
        buyOffset: number(f.buyOffset, "--buy-offset")!,
        sellOffset: number(f.sellOffset, "--sell-offset")!,
        buyFrac: fraction(f.buyFrac, "--buy-frac"),
        sellFrac: fraction(f.sellFrac, "--sell-frac"),
      };
    default:
      throw new TradelabError(`unknown strategy '${f.strategy}' (expected ema-cross, sma-cross or band)`);
  }
}

const BUILT_IN = ["ema-cross", "sma-cross", "band"];
const HARVEST = "funding-harvest";

interface RecordFlags {
  registry?: string;
  /** false with --no-record */
  record: boolean;
}

interface SplitFlags {
  split?: "train" | "val" | "test";
  valDays?: string;
  testDays?: string;
  iKnowTestIsBurned?: boolean;
}

/** The named split, resolved in Rust; a test split uses the registry's global lock (even with --no-record). */
function splitOpts(o: SplitFlags & { registry?: string; from?: string; to?: string }): SplitOptions {
  if (!o.split) {
    if (o.valDays || o.testDays || o.iKnowTestIsBurned) throw new TradelabError("--val-days, --test-days and --i-know-test-is-burned apply with --split");
    return {};
  }
  if (o.from || o.to) throw new TradelabError("give --split or --from/--to, not both");
  const valDays = number(o.valDays, "--val-days");
  const testDays = number(o.testDays, "--test-days");
  return {
    split: o.split,
    ...(valDays !== undefined || testDays !== undefined ? { splits: { ...(valDays !== undefined ? { valDays } : {}), ...(testDays !== undefined ? { testDays } : {}) } } : {}),
    ...(o.registry ? { registry: o.registry } : {}),
    ...(o.iKnowTestIsBurned ? { acknowledgeBurned: true } : {}),
  };
}

function addSplitOptions(c: Command): Command {
  return c
    .addOption(new Option("--split <name>", "run on a named split of the stored data (test: locked, one look, globally)").choices(["train", "val", "test"]))
    .option("--val-days <d>", "with --split: validation days before the test split (default 20)")
    .option("--test-days <d>", "with --split: test days at the end of the data (default 20)")
    .option("--i-know-test-is-burned", "permit a second look at a test window; the result is labelled burned");
}

function recordedLine(run: RunRecord, registry: string | undefined): string {
  return `recorded run ${run.id} in ${openRegistry(registry).path} (tradelab runs show ${run.id})\n`;
}

function actionsFrom(file: string, from?: string, to?: string) {
  if (!existsSync(file)) throw new TradelabError(`unknown strategy '${file}': not one of ${BUILT_IN.join(", ")} and no such actions file`);
  const a = readActionsFile(file);
  if (from === undefined && to === undefined) return a;
  // --from/--to cut the window: rows outside it are dropped here, so every row that reaches the
  // simulator must match a bar (one rule for rows after the data and rows inside a gap).
  const lo = from === undefined ? -Infinity : parseTime(from, "--from");
  const hi = to === undefined ? Infinity : parseTime(to, "--to");
  const keep = [...a.ts.keys()].filter((i) => (a.ts[i] as number) >= lo && (a.ts[i] as number) < hi);
  const pick = (col: Float64Array) => Float64Array.from(keep, (i) => col[i] as number);
  return { ts: pick(a.ts), buyPrice: pick(a.buyPrice), sellPrice: pick(a.sellPrice), buyFrac: pick(a.buyFrac), sellFrac: pick(a.sellFrac) };
}

/** Errors about action rows name the actions file. */
async function withActionsFile<T>(file: string | undefined, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (file && /^actions row \d+/.test(msg)) throw new TradelabError(`${file}: ${msg.replace(/^actions /, "")}`, { cause: e });
    throw e;
  }
}

/** Top-level keys of a sweep config; anything else (a typo such as "form") is refused. */
const SWEEP_CONFIG_KEYS = ["symbol", "symbols", "maxPositions", "endOfDayClose", "interval", "store", "from", "to", "base", "strategy", "grid"];

interface PortfolioFlags {
  symbols?: string;
  maxPositions?: string;
  endOfDayClose?: boolean;
}

interface HarvestFlags {
  perp?: string;
  harvest: string;
  gateWindow: string;
  gateEnter: string;
  gateExit: string;
  allocation: string;
  rebalance: string;
  spotFee: string;
  perpFee: string;
}

function harvestRule(f: HarvestFlags): HarvestRule {
  const every = /^every-(\d+)h$/.exec(f.harvest);
  if (f.harvest === "always") return { kind: "always" };
  if (every) return { kind: "every", hours: whole(every[1], "--harvest", 1)! };
  if (f.harvest === "gate") {
    return { kind: "gate", window: whole(f.gateWindow, "--gate-window", 1)!, enter: number(f.gateEnter, "--gate-enter")!, exit: number(f.gateExit, "--gate-exit")! };
  }
  throw new TradelabError(`--harvest: '${f.harvest}' is not always, every-8h, every-12h, every-24h (any every-<N>h) or gate`);
}

async function runHarvest(o: HarvestFlags & RecordFlags & SplitFlags & { symbol?: string; interval: string; store?: string; from?: string; to?: string; cash: string; json?: boolean }): Promise<void> {
  if (!o.symbol) throw new TradelabError("--strategy funding-harvest needs --symbol (the spot market, e.g. BTC/USDT)");
  const { report: r, window } = await fundingHarvest({
    symbol: o.symbol,
    interval: o.interval,
    ...(o.perp ? { perp: o.perp } : {}),
    ...(o.store ? { store: o.store } : {}),
    ...(o.from ? { from: o.from } : {}),
    ...(o.to ? { to: o.to } : {}),
    rule: harvestRule(o),
    allocation: number(o.allocation, "--allocation")!,
    rebalanceThreshold: number(o.rebalance, "--rebalance")!,
    spotFee: number(o.spotFee, "--spot-fee")!,
    perpFee: number(o.perpFee, "--perp-fee")!,
    startingCash: number(o.cash, "--cash")!,
    ...splitOpts(o),
  });
  const run = o.record ? await openRegistry(o.registry).record(harvestRunInput(r, o.interval, window, { config: { from: o.from ?? null, to: o.to ?? null } })) : undefined;
  if (o.json) {
    printJson({ ...r, ...(run ? { runId: run.id } : {}) });
    return;
  }
  process.stdout.write(
    `${r.spot} + ${r.perp} ${o.interval} · funding harvest (${r.ruleLabel}) · ${isoMs(r.first)} .. ${isoMs(r.last)} (${r.steps} bars, ${r.fundingEvents} funding events)\n` +
      `assumptions: ${r.label}\n` +
      kvTable([
        ["APR (annualised return)", pct(r.apr)],
        ["sharpe", num(r.sharpe)],
        ["max drawdown", pct(r.maxDrawdown)],
        ["monthly win rate", `${pct(r.monthlyWinRate)} of ${r.months} months`],
        ["funding received / paid", `${num(r.fundingReceived)} / ${num(r.fundingPaid)} (net ${num(r.fundingNet)})`],
        ["fees paid", num(r.feesPaid)],
        ["deployed", pct(r.deployed)],
        ["entries / exits / rebalances", `${r.entries} / ${r.exits} / ${r.rebalances}`],
        ["final equity / liquidation value", `${num(r.finalEquity)} / ${num(r.liquidationValue)}`],
      ]) +
      "\n" +
      (run ? recordedLine(run, o.registry) : ""),
  );
}

async function runPortfolio(o: PortfolioFlags & SimFlags & StrategyFlags & RecordFlags & SplitFlags & { interval: string; store?: string; from?: string; to?: string; json?: boolean }): Promise<void> {
  const symbols = (o.symbols ?? "").split(",").map((x) => x.trim()).filter((x) => x.length > 0);
  if (!BUILT_IN.includes(o.strategy)) throw new TradelabError(`--symbols runs a built-in strategy on each symbol (${BUILT_IN.join(", ")}); '${o.strategy}' is not one`);
  const maxPositions = whole(o.maxPositions, "--max-positions", 1);
  const { report: r, window } = await backtestPortfolio({
    symbols,
    interval: o.interval,
    strategy: strategyOf(o),
    params: simParams(o),
    ...(maxPositions === undefined ? {} : { maxPositions }),
    ...(o.endOfDayClose ? { endOfDayClose: true } : {}),
    ...splitOpts(o),
    ...(o.store ? { store: o.store } : {}),
    ...(o.from ? { from: o.from } : {}),
    ...(o.to ? { to: o.to } : {}),
  });
  const run = o.record ? await openRegistry(o.registry).record(portfolioRunInput(r, o.interval, window, { config: { from: o.from ?? null, to: o.to ?? null } })) : undefined;
  if (o.json) {
    printJson({ ...r, ...(run ? { runId: run.id } : {}) });
    return;
  }
  process.stdout.write(
    `portfolio of ${r.symbols.length} · ${o.interval} · ${r.strategyLabel} · shared cash, at most ${r.maxPositions} open · ${isoMs(r.first)} .. ${isoMs(r.last)} (${r.steps} steps, ${r.barRows} bar rows)\n` +
      assumptionsLine(r.label) +
      ` · ${r.periods}\n` +
      kvTable([...metricRows(r.metrics), ["liquidation value", num(r.liquidationValue)]]) +
      "\n" +
      table(
        ["symbol", "calendar", "trades", "round trips", "win rate", "exposure", "pnl", "fees"],
        r.instruments.map((x, k) => [x.symbol, r.calendars[k] ?? "", x.trades, x.roundTrips, pct(x.winRate), pct(x.exposure), num(x.pnl), num(x.fees)]),
      ) +
      "\n" +
      (run ? recordedLine(run, o.registry) : ""),
  );
}

/** A sweep row's lag, fill and maker cells (kernel and portfolio sweep tables alike). */
function simCells(p: G.SimParams): (string | number)[] {
  return [p.decisionLag, p.fillRule.kind === "cross" ? `cross ${p.fillRule.buffer}` : "touch", p.makerFee];
}

/** A sweep row's return, sortino, max dd, trades and flags cells. */
function resultCells(row: { metrics: Metrics; optimistic: boolean }): (string | number)[] {
  return [pct(row.metrics.totalReturn), num(row.metrics.sortino), pct(row.metrics.maxDrawdown), row.metrics.tradeCount, row.optimistic ? "OPTIMISTIC" : ""];
}

/** A sweep over fixed actions: an actions file, or a checkpoint's served actions (`kind: "policy"`). */
async function runActionsSweep(config: SweepConfig, o: RecordFlags & SplitFlags & { config: string; store?: string; out?: string; top: string; json?: boolean; recordRows?: boolean }): Promise<void> {
  if (o.out) throw new TradelabError("--out (a Parquet row table) is not available for actions sweeps yet; use --json");
  const st = config.strategy as unknown as { kind: string; file?: string; checkpoint?: string; epoch?: number };
  const symbol = config.symbol ?? "";
  let actions: ActionArrays;
  let source: string;
  let window: { from?: number | string; to?: number | string } = { ...(config.from !== undefined ? { from: config.from } : {}), ...(config.to !== undefined ? { to: config.to } : {}) };
  let split: SplitOptions = splitOpts({ ...o, ...(config.from !== undefined ? { from: String(config.from) } : {}), ...(config.to !== undefined ? { to: String(config.to) } : {}) });
  // The served window's name (the sweep itself then runs on exactly those bars, as from/to).
  let servedLabel: string | undefined;
  if (st.kind === "actions") {
    if (!st.file) throw new TradelabError(`${o.config}: strategy {"kind": "actions"} needs "file" (.csv, .json or .parquet)`);
    actions = readActionsFile(path.resolve(path.dirname(o.config), st.file));
    source = `actions file ${st.file}`;
  } else {
    if (!st.checkpoint) throw new TradelabError(`${o.config}: strategy {"kind": "policy"} needs "checkpoint" (and optionally "epoch")`);
    const ckpt = path.resolve(path.dirname(o.config), st.checkpoint);
    // The checkpoint's own split (or the config's from/to) is served once; the sweep then runs on
    // exactly those bars, so a test window is claimed once, by the serving.
    const served = await policyActions(ckpt, {
      symbol,
      ...(st.epoch !== undefined ? { epoch: st.epoch } : {}),
      ...(split.split ? { split: split.split } : window.from !== undefined || window.to !== undefined ? window : { split: "val" as const }),
      ...(o.store ? { store: o.store } : {}),
      ...(split.acknowledgeBurned ? { iKnowTestIsBurned: true } : {}),
      ...(o.registry ? { lockRegistry: o.registry } : {}),
    });
    actions = served.actions;
    const which = served.summary.ensemble ? `ensemble of ${served.summary.ensemble.members.length} members` : `epoch ${served.summary.epoch ?? `${served.summary.bestEpoch ?? "-"} (best)`}`;
    source = `policy ${ckpt} ${which} on ${split.split ?? (window.from !== undefined || window.to !== undefined ? "custom" : "val")}${served.summary.transfer ? ` · ${served.summary.transferLabel ?? "transfer"}` : ""}`;
    window = { from: served.summary.first, to: served.summary.last + (served.summary.params.intervalMs ?? 3_600_000) }; // `to` is exclusive
    const name = split.split ?? (window.from !== undefined && (config.from !== undefined || config.to !== undefined) ? "custom" : "val");
    servedLabel = served.summary.burned ? `${name} (burned)` : name;
    split = {};
  }
  const r = await sweepActions({ symbol, ...(config.interval ? { interval: config.interval } : {}), ...window, ...(config.store ? { store: config.store } : {}), ...(config.base ? { base: config.base } : {}), ...(config.grid ? { grid: config.grid as Record<string, unknown> } : {}) }, actions, { ...(o.store ? { store: o.store } : {}), ...split });
  if (servedLabel) r.window.split = servedLabel;
  const best = r.best ? r.rows.find((row) => row.index === r.best?.index) : undefined;
  const run = o.record
    ? await openRegistry(o.registry).record({
        kind: "sweep",
        symbols: [symbol],
        interval: r.interval,
        split: r.window.split,
        window: r.window,
        assumptions: r.best?.label ?? r.baseAssumptions,
        config: { sweep: config, configFile: path.resolve(o.config), source, best: best ? { index: best.index, lastDays: best.lastDays, params: best.params } : null, overfit: r.overfit },
        dataHash: r.dataHash,
        metrics: { ...(best?.metrics ?? {}), parameterSets: r.rows.length, bestIndex: best?.index ?? null, deflatedSharpe: r.overfit?.deflated.dsr ?? null, pbo: r.overfit?.pbo?.pbo ?? null },
        artifacts: {},
        notes: r.best?.selection ?? `no non-optimistic row among ${r.rows.length}`,
      })
    : undefined;
  const rowRuns = run && o.recordRows ? await recordRows(r, run, source, o.registry) : 0;
  if (o.json) return printJson({ ...r, source, ...(run ? { runId: run.id } : {}) });
  const top = [...r.rows].sort((a, b) => b.metrics.sortino - a.metrics.sortino).slice(0, Number(o.top));
  process.stdout.write(
    `${symbol} ${r.interval} · ${source} · ${r.window.split} ${isoMs(r.window.first)} .. ${isoMs(r.window.last)} (${r.window.bars} bars)\n` +
      `base ${assumptionsLine(r.baseAssumptions)}\n` +
      table(
        ["#", "window", "lag", "fill", "maker", "intensity", "offset", "rt/bar", "return", "sortino", "max dd", "trades", "flags"],
        top.map((row) => [row.index, row.lastDays === null ? "all" : `${row.lastDays}d`, ...simCells(row.params), row.params.intensity, row.params.priceOffsetPct, row.params.maxRoundTripsPerBar, ...resultCells(row)]),
      ) +
      `\n${r.rows.length} parameter sets = ${r.barEvaluations.toExponential(3)} bar-evaluations in ${r.seconds.toFixed(3)} s` +
      (r.best ? `\nbest: #${r.best.index}, ${r.best.selection}` : "\nno non-optimistic row") +
      (r.overfit ? `\n${r.overfit.text}` : "") +
      "\n" +
      (run ? recordedLine(run, o.registry) : "") +
      (rowRuns ? `recorded its ${rowRuns} rows as runs derived from it: tradelab runs log --parent ${run?.id}\n` : ""),
  );
}

/**
 * Each row of an actions sweep as a run derived from the sweep's (seed 000's progress log, one
 * line per override set): ordered by window, then the overrides, with the lag-1 row before its
 * lag-0 twin so the two read side by side in `runs log --parent`.
 */
async function recordRows(r: Awaited<ReturnType<typeof sweepActions>>, parent: RunRecord, source: string, registry: string | undefined): Promise<number> {
  const reg = openRegistry(registry);
  const key = (x: G.ActionsSweepRow) => [x.lastDays ?? Infinity, x.params.maxRoundTripsPerBar, x.params.intensity, x.params.priceOffsetPct, x.params.fillRule.kind === "cross" ? x.params.fillRule.buffer : -1, -x.params.decisionLag];
  const rows = [...r.rows].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i] ?? 0) - (kb[i] ?? 0);
    return a.index - b.index;
  });
  let i = 0;
  for (const row of rows) {
    i += 1;
    const rt = row.params.maxRoundTripsPerBar;
    await reg.record({
      kind: "backtest",
      symbols: parent.symbols,
      interval: r.interval,
      split: row.lastDays === null ? r.window.split : `${row.lastDays}d`,
      window: { first: row.first, last: r.window.last },
      assumptions: row.label,
      config: { sweepRun: parent.id, row: row.index, lastDays: row.lastDays, params: row.params, source },
      dataHash: r.dataHash,
      metrics: { ...row.metrics },
      artifacts: {},
      notes: `${rt > 0 ? `intrabar max=${rt}` : "no intrabar cycles"}, intensity=${row.params.intensity}, offset=${row.params.priceOffsetPct}${row.optimistic ? " · OPTIMISTIC" : ""} · row ${row.index} of sweep ${parent.id}`,
      parent: parent.id,
      createdAt: parent.createdAt + i,
    });
  }
  return rows.length;
}

async function runPortfolioSweep(config: SweepConfig, o: RecordFlags & SplitFlags & { config: string; store?: string; out?: string; top: string; json?: boolean }): Promise<void> {
  if (o.out) throw new TradelabError("--out (a Parquet row table) is not available for portfolio sweeps yet; use --json");
  const symbols = config.symbols ?? [];
  const bar = progressBar(`sweep ${symbols.length} symbols`, !o.json);
  const r = await sweepPortfolio(config, { ...(o.store ? { store: o.store } : {}), ...splitOpts({ ...o, ...(config.from !== undefined ? { from: String(config.from) } : {}), ...(config.to !== undefined ? { to: String(config.to) } : {}) }), onProgress: (p) => bar.update(p.done, p.total) });
  bar.stop();
  const interval = config.interval ?? "1h";
  const run = o.record
    ? await openRegistry(o.registry).record(portfolioSweepRunInput(r, interval, config, { config: { configFile: path.resolve(o.config) } }))
    : undefined;
  const rate = r.barEvaluations / Math.max(r.seconds, 1e-9);
  if (o.json) {
    printJson({ ...r, barRowsPerSec: rate, ...(run ? { runId: run.id } : {}) });
    return;
  }
  const top = [...r.rows].sort((a, b) => b.metrics.sortino - a.metrics.sortino).slice(0, Number(o.top));
  process.stdout.write(
    `portfolio of ${r.symbols.join(", ")} · ${interval} · ${isoMs(r.first)} .. ${isoMs(r.last)} (${r.steps} steps, ${r.barRows} bar rows)\n` +
      `base ${assumptionsLine(r.baseLabel)} · ${r.periods}\n` +
      table(
        ["#", "strategy", "slots", "lag", "fill", "maker", "return", "sortino", "max dd", "trades", "flags"],
        top.map((row) => [row.index, strategyLabel(row.strategy), row.maxPositions, ...simCells(row.params), ...resultCells(row)]),
      ) +
      `\n${r.rows.length} portfolio runs × ${r.barRows} bar rows in ${r.seconds.toFixed(3)} s (${rate.toExponential(3)} bar rows/s on ${r.threads} cores)` +
      (r.best ? `\nbest: #${r.best.index}, ${r.best.selection}` : "\nno non-optimistic row") +
      (r.skipped.length ? `; skipped ${r.skipped.length} invalid combination(s)` : "") +
      "\n" +
      (run ? recordedLine(run, o.registry) : ""),
  );
}

/** Flags that set simulator parameters: given on the command line, they replace the checkpoint's. */
const SIM_FLAG_KEYS = ["lag", "fill", "buffer", "makerFee", "takerFee", "cash", "intensity", "offset", "maxVolumeFraction", "roundTrips", "maxHold", "minGap", "oneSide", "lastDays"];

/**
 * One-step backtest of a policy: serve the checkpoint on the window (one look, claimed by the
 * serving when it touches test), then simulate exactly those bars' actions.
 */
async function runPolicyBacktest(o: SimFlags & RecordFlags & SplitFlags & { symbol?: string; interval: string; store?: string; from?: string; to?: string; json?: boolean; report?: string; trades?: boolean; checkpoint?: string; epoch?: string }, cmd: Command): Promise<void> {
  const ckpt = path.resolve(o.checkpoint ?? "");
  const epoch = whole(o.epoch, "--epoch", 1);
  if (o.split && (o.from || o.to)) throw new TradelabError("give --split or --from/--to, not both");
  const served = await policyActions(ckpt, {
    ...(o.symbol ? { symbol: o.symbol } : {}),
    ...(epoch !== undefined ? { epoch } : {}),
    ...(o.split ? { split: o.split } : o.from || o.to ? { ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}) } : { split: "val" as const }),
    ...(o.store ? { store: o.store } : {}),
    ...(o.iKnowTestIsBurned ? { iKnowTestIsBurned: true } : {}),
    ...(o.registry ? { lockRegistry: o.registry } : {}),
  });
  const sm = served.summary;
  const flagsGiven = SIM_FLAG_KEYS.filter((k) => cmd.getOptionValueSource(k) === "cli");
  const params = flagsGiven.length > 0 ? simParams(o) : sm.params;
  const r = await backtest({ symbol: sm.symbol, interval: sm.interval, ...(o.store ? { store: o.store } : {}), actions: served.actions, params, from: sm.first, to: sm.last + (sm.params.intervalMs ?? 3_600_000) });
  const windowName = o.split ?? (o.from || o.to ? "custom" : "val");
  r.window.split = sm.burned ? `${windowName} (burned)` : sm.touchesTest && windowName !== "test" ? `${windowName} (overlaps test)` : windowName;
  const label = `policy ${path.basename(ckpt)} epoch ${sm.epoch ?? `${sm.bestEpoch ?? "-"} (best)`}${sm.transfer ? ` · ${sm.transferLabel ?? `transfer (not trained on ${sm.symbol})`}` : ""}`;
  const selection = sm.epoch === null && windowName === "val" ? " · selection window (best epoch chosen on it)" : "";
  const run = o.record
    ? await openRegistry(o.registry).record(
        backtestRunInput(
          { ...r, strategyLabel: label },
          { config: { checkpoint: ckpt, epoch: sm.epoch, bestEpoch: sm.bestEpoch, sealHash: sm.sealHash, simFlags: flagsGiven }, artifacts: o.report ? { report: path.resolve(o.report) } : {}, notes: `${label}${selection}` },
        ),
      )
    : undefined;
  if (o.report) writeReport(o.report, { title: `${sm.symbol} ${sm.interval} · ${label} — backtest`, config: { checkpoint: ckpt, params: r.params }, runs: [backtestReportRun({ ...r, strategyLabel: label })] });
  if (o.json) {
    const { curve: _curve, trades, ...rest } = r;
    printJson({ ...rest, strategyLabel: label, checkpoint: ckpt, epoch: sm.epoch, bestEpoch: sm.bestEpoch, trades: o.trades ? trades : trades.length, ...(run ? { runId: run.id } : {}) });
    return;
  }
  process.stdout.write(
    `${sm.symbol} ${sm.interval} · ${label} · ${r.window.split}${selection} ${isoMs(r.window.first)} .. ${isoMs(r.window.last)} (${r.window.bars} bars)\n` +
      assumptionsLine(r.assumptions) +
      (flagsGiven.length > 0 ? ` (sim flags ${flagsGiven.join(", ")} replace the checkpoint's settings)` : " (the checkpoint's own simulator settings)") +
      "\n" +
      kvTable(metricRows(r.metrics)) +
      "\n" +
      (r.stress ? stressText(r.stress) : "") +
      (o.report ? `wrote report ${o.report}\n` : "") +
      (run ? recordedLine(run, o.registry) : ""),
  );
}

function backtestCommand(): Command {
  return addSplitOptions(new Command("backtest"))
    .description("simulate a strategy on stored bars (decision lag 1, limit fills, fees) and print its metrics")
    .option("--symbol <symbol>", "market symbol, e.g. BTC/USDT")
    .option("--symbols <list>", "comma-separated symbols: one shared-cash portfolio on the engine (e.g. BTC/USDT,ETH/USDT,SOL/USDT)")
    .option("--max-positions <n>", "portfolio: at most n open positions; each entry takes cash / free slots (default: one per symbol)")
    .option("--end-of-day-close", "portfolio: close stock positions at each session's last bar")
    .addOption(new Option("--interval <interval>", "bar interval").choices([...INTERVALS]).default("1h"))
    .option("--store <dir>", "bar store directory (default: $TRADELAB_STORE or ./tradelab-data)")
    .option("--strategy <name|file>", "ema-cross, sma-cross, band, funding-harvest, or an actions file (.csv/.json: ts, buy_price, sell_price, buy_frac, sell_frac)", "ema-cross")
    .option("--perp <symbol>", "funding-harvest: the perpetual (default BASE/QUOTE:QUOTE)")
    .option("--harvest <rule>", "funding-harvest: always, every-8h, every-12h, every-24h or gate", "always")
    .option("--gate-window <n>", "funding-harvest gate: settled rates averaged", "21")
    .option("--gate-enter <rate>", "funding-harvest gate: enter when the mean rate is above this (per funding interval)", "0.0001")
    .option("--gate-exit <rate>", "funding-harvest gate: leave when the mean rate is below this", "0.00005")
    .option("--allocation <x>", "funding-harvest: capital deployed; each leg is allocation x equity / 2", "1")
    .option("--rebalance <x>", "funding-harvest: rebalance when a leg drifts this fraction from its target", "0.05")
    .option("--spot-fee <x>", "funding-harvest: taker fee of the spot leg", "0.001")
    .option("--perp-fee <x>", "funding-harvest: taker fee of the perpetual leg", "0.0005")
    .option("--fast <n>", "crossover: fast window (bars)", "12")
    .option("--slow <n>", "crossover: slow window (bars)", "26")
    .option("--slack <x>", "crossover: limit slack around the close (market-like orders)", "0.005")
    .option("--buy-offset <x>", "band: buy limit at close x (1 - x)", "0.01")
    .option("--sell-offset <x>", "band: sell limit at close x (1 + x)", "0.01")
    .option("--buy-frac <x>", "band: fraction of cash per buy", "1")
    .option("--sell-frac <x>", "band: fraction of inventory per sell", "1")
    .option("--from <date>", "first bar (inclusive), YYYY-MM-DD or ISO-8601")
    .option("--to <date>", "end (exclusive), YYYY-MM-DD or ISO-8601")
    .option("--lag <n>", "decision lag in bars; 0 is the labelled optimistic mode", "1")
    .addOption(new Option("--fill <rule>", "fill rule: cross (low < buy x (1 - buffer), the honest default) or touch (low <= buy; assumes queue priority)").choices(["touch", "cross"]).default("cross"))
    .option("--buffer <x>", "cross-rule buffer (0.0005 = 5 bps)", "0.0005")
    .option("--maker-fee <x>", "fee fraction on limit fills", "0.001")
    .option("--taker-fee <x>", "fee fraction on forced closes (default: maker fee)")
    .option("--cash <x>", "starting cash", "10000")
    .option("--intensity <x>", "scales order fractions", "1")
    .option("--offset <x>", "moves limits away from the market by this fraction", "0")
    .option("--max-volume-fraction <x>", "cap fills at this fraction of bar volume")
    .option("--round-trips <n>", "intrabar round trips per bar (optimistic; 0 = off)", "0")
    .option("--max-hold <bars>", "force-close positions held this many bars")
    .option("--min-gap <x>", "minimum sell/buy gap fraction")
    .option("--one-side", "at most one side per bar")
    .option("--last-days <d>", "also report the trailing window of d days")
    .option("--checkpoint <dir>", "backtest a trained policy: serve its actions (saved normalisers) on --split (default val) or --from/--to, then simulate them with the checkpoint's own simulator settings unless sim flags are given")
    .option("--epoch <n>", "with --checkpoint: serve this epoch's weights (default: the best epoch)")
    .option("--trades", "print the trade list")
    .option("--report <file>", "write a self-contained HTML report (equity, drawdown, monthly returns, trades)")
    .option("--registry <file>", "run registry to record into (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)")
    .option("--no-record", "do not record this run in the registry")
    .option("--json", "print machine-readable JSON")
    .addHelpText(
      "after",
      `
Examples:
  tradelab backtest --symbol BTC/USDT --strategy ema-cross --fast 12 --slow 26
  tradelab backtest --symbols BTC/USDT,ETH/USDT,SOL/USDT --strategy ema-cross --cash 10000 --max-positions 1
  tradelab backtest --strategy funding-harvest --symbol BTC/USDT --harvest every-8h --from 2024-01-01
  tradelab backtest --checkpoint runs/sol --split val          # a policy: stress table included`,
    )
    .action(async (o: SimFlags & StrategyFlags & RecordFlags & PortfolioFlags & HarvestFlags & SplitFlags & { symbol?: string; interval: string; store?: string; from?: string; to?: string; trades?: boolean; report?: string; json?: boolean; checkpoint?: string; epoch?: string }, cmd: Command) => {
      if (o.epoch !== undefined && !o.checkpoint) throw new TradelabError("--epoch applies with --checkpoint");
      if (o.checkpoint) {
        if (cmd.getOptionValueSource("strategy") === "cli" || o.symbols !== undefined) throw new TradelabError("--checkpoint is the strategy: give it without --strategy or --symbols");
        return runPolicyBacktest(o, cmd);
      }
      if (o.strategy === HARVEST) return runHarvest(o);
      if (o.symbols !== undefined) {
        if (o.symbol) throw new TradelabError("give --symbol (one asset) or --symbols (a portfolio), not both");
        return runPortfolio(o);
      }
      if (!o.symbol) throw new TradelabError("backtest needs --symbol (or --symbols for a portfolio)");
      const symbol = o.symbol;
      const actionsFile = BUILT_IN.includes(o.strategy) ? undefined : o.strategy;
      const r = await withActionsFile(actionsFile, () =>
        backtest({
          symbol,
          interval: o.interval,
          ...(o.store ? { store: o.store } : {}),
          ...(actionsFile === undefined ? { strategy: strategyOf(o) } : { actions: actionsFrom(actionsFile, o.from, o.to) }),
          params: simParams(o),
          ...splitOpts(o),
          ...(o.from ? { from: o.from } : {}),
          ...(o.to ? { to: o.to } : {}),
        }),
      );
      // A lag at or beyond the window can never fill: refuse it instead of reporting 0 trades.
      if (r.params.decisionLag >= r.window.bars) {
        throw new TradelabError(`invalid parameter \`decisionLag\` (--lag) = ${r.params.decisionLag}: must be below the number of bars in the window (${r.window.bars} bars): no order could ever fill`);
      }
      const config = { symbol: r.symbol, interval: r.interval, strategy: r.strategy, strategyLabel: r.strategyLabel, params: r.params, from: o.from ?? null, to: o.to ?? null };
      if (o.report) writeReport(o.report, { title: `${r.symbol} ${r.interval} · ${r.strategyLabel} — backtest`, config, runs: [backtestReportRun(r)] });
      const run = o.record
        ? await openRegistry(o.registry).record(
            backtestRunInput(r, {
              config: { from: o.from ?? null, to: o.to ?? null, ...(actionsFile ? { actionsFile, actionsHash: hashFiles([{ name: "actions", file: actionsFile }]) } : {}) },
              artifacts: o.report ? { report: path.resolve(o.report) } : {},
            }),
          )
        : undefined;
      if (o.json) {
        const { curve: _curve, trades, ...rest } = r;
        printJson({ ...rest, trades: o.trades ? trades : trades.length, ...(run ? { runId: run.id } : {}), ...(o.report ? { report: path.resolve(o.report) } : {}) });
        return;
      }
      process.stdout.write(
        `${r.symbol} ${r.interval} · ${r.strategyLabel} · ${r.window.split} ${isoMs(r.window.first)} .. ${isoMs(r.window.last)} (${r.window.bars} bars)\n` +
          assumptionsLine(r.assumptions) +
          "\n" +
          kvTable(metricRows(r.metrics)) +
          "\n" +
          `trades sha256 ${r.tradeSha256}\n` +
          (r.stress ? stressText(r.stress) : ""),
      );
      if (o.trades) {
        process.stdout.write(
          table(
            ["time", "side", "price", "qty", "fee", "reason"],
            r.trades.map((t) => [isoMs(t.ts), t.side, num(t.price, 6), num(t.qty, 6), num(t.fee, 4), t.reason]),
          ) + "\n",
        );
      }
      if (o.report) process.stdout.write(`wrote report ${o.report}\n`);
      if (run) process.stdout.write(recordedLine(run, o.registry));
    });
}

function sweepCommand(): Command {
  return addSplitOptions(new Command("sweep"))
    .description("run a parameter grid on the lockstep kernel; one result row per parameter set")
    .requiredOption("--config <file>", "sweep config JSON: { symbol, interval, from?, to?, base, strategy, grid }")
    .option("--store <dir>", "bar store directory (overrides the config)")
    .option("--out <file>", "write all rows as a Parquet table")
    .option("--top <n>", "rows to print, best Sortino first", "20")
    .option("--registry <file>", "run registry to record into (default: $TRADELAB_REGISTRY or ./tradelab-runs.sqlite)")
    .option("--no-record", "do not record this run in the registry")
    .option("--record-rows", "actions/policy sweeps: also record every row as a run derived from the sweep (tradelab runs log --parent ID prints them, seed 000's table)")
    .option("--redis <url>", "kernel sweeps: run the rows on `tradelab worker`s at this Redis (redis://HOST:PORT), merged here into the same report")
    .option("--chunks <n>", "with --redis: jobs the rows are cut into (default 16)", (v) => Number.parseInt(v, 10))
    .option("--json", "print machine-readable JSON (all rows)")
    .addHelpText(
      "after",
      `
Example config:
  { "symbol": "BTC/USDT", "interval": "1h",
    "base": { "decisionLag": 1, "makerFee": 0.001 },
    "strategy": { "kind": "emaCross", "fast": 12, "slow": 26 },
    "grid": { "fast": [5, 10, 20], "slow": [50, 100, 200], "makerFee": [0, 0.001] } }
Grid axes: intensity, priceOffsetPct, makerFee, takerFee, maxRoundTripsPerBar, decisionLag,
maxVolumeFraction, fillBuffer, fillRule, maxHoldBars, minGapPct, oneSidePerBar, fast, slow, slack,
buyOffset, sellOffset, buyFrac, sellFrac.
With "symbols": [...] instead of "symbol" it is a portfolio sweep: each set is one shared-cash
run over all symbols on the engine, with an extra "maxPositions": [1, 2, ...] axis.
Actions sweeps: "strategy": {"kind": "policy", "checkpoint": DIR, "epoch"?: N} (DIR: a checkpoint or
an ensemble directory; served on --split,
from/to, or the checkpoint's val split) or {"kind": "actions", "file": F}; simulator axes only, plus
"lastDays": [20, 30, 45, 60, 90] (trailing evaluation windows).
More machines: start \`tradelab worker --redis redis://HOST:6379\` on each (the same store path),
then \`tradelab sweep --config F --redis redis://HOST:6379 --chunks 32\`: Rust cuts the rows into
chunks, workers run them, and the merged report equals a local sweep's. Not on --split test.
Every sweep prints the deflated Sharpe of its best row over the N honest rows and PBO (CSCV).
Rows are ranked on the bars they were run on: the best row is tuned on them. Confirm it on a
later window the sweep never saw.`,
    )
    .action(async (o: RecordFlags & SplitFlags & { config: string; store?: string; out?: string; top: string; json?: boolean; recordRows?: boolean; redis?: string; chunks?: number }) => {
      let config: SweepConfig;
      try {
        config = JSON.parse(readFileSync(o.config, "utf8")) as SweepConfig;
      } catch (e) {
        throw new TradelabError(`${o.config}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (config === null || typeof config !== "object" || Array.isArray(config) || !(config.symbol || config.symbols) || !config.strategy) throw new TradelabError(`${o.config}: needs "symbol" (or "symbols" for a portfolio sweep) and "strategy"`);
      if (config.symbol && config.symbols) throw new TradelabError(`${o.config}: give "symbol" (a kernel sweep) or "symbols" (a portfolio sweep), not both`);
      const unknown = Object.keys(config).filter((k) => !SWEEP_CONFIG_KEYS.includes(k));
      if (unknown.length > 0) throw new TradelabError(`${o.config}: unknown key(s) ${unknown.map((k) => `"${k}"`).join(", ")} (allowed: ${SWEEP_CONFIG_KEYS.join(", ")})`);
      const sk = (config.strategy as { kind?: string }).kind;
      if (o.redis && (config.symbols || sk === "actions" || sk === "policy")) throw new TradelabError("--redis runs kernel sweeps (one symbol, a rule strategy) on workers; portfolio, actions and policy sweeps run here");
      if (config.symbols) return runPortfolioSweep(config, o);
      if (sk === "actions" || sk === "policy") return runActionsSweep(config, o);
      if (config.maxPositions || config.endOfDayClose) throw new TradelabError(`${o.config}: "maxPositions" and "endOfDayClose" apply to portfolio sweeps ("symbols")`);
      if (o.recordRows) throw new TradelabError("--record-rows applies to actions and policy sweeps (strategy kind \"actions\" or \"policy\")");
      const bar = progressBar(`sweep ${config.symbol}`, !o.json);
      const r = await sweep(config, { ...(o.store ? { store: o.store } : {}), ...(o.out ? { out: o.out } : {}), ...(o.redis ? { redis: o.redis, ...(o.chunks ? { chunks: o.chunks } : {}) } : {}), ...splitOpts({ ...o, ...(config.from !== undefined ? { from: String(config.from) } : {}), ...(config.to !== undefined ? { to: String(config.to) } : {}) }), onProgress: (p) => bar.update(p.done, p.total) });
      bar.stop();
      const rate = r.barEvaluations / Math.max(r.seconds, 1e-9);
      const run = o.record
        ? await openRegistry(o.registry).record(
            sweepRunInput(r, config, {
              config: { configFile: path.resolve(o.config) },
              artifacts: o.out ? { out: path.resolve(o.out) } : {},
            }),
          )
        : undefined;
      if (o.json) {
        const { table: _t, ...rest } = r;
        printJson({ ...rest, barEvalsPerSec: rate, barEvalsPerSecPerCore: rate / r.threads, ...(run ? { runId: run.id } : {}) });
        return;
      }
      const top = [...r.rows].sort((a, b) => b.metrics.sortino - a.metrics.sortino).slice(0, Number(o.top));
      process.stdout.write(
        `${r.symbol} ${r.interval} · ${r.window.split} ${isoMs(r.window.first)} .. ${isoMs(r.window.last)} (${r.window.bars} bars)\n` +
          `base ${assumptionsLine(r.baseAssumptions)}\n` +
          table(
            ["#", "strategy", "lag", "fill", "maker", "intensity", "return", "sortino", "max dd", "trades", "flags"],
            top.map((row) => [row.index, strategyLabel(row.strategy), ...simCells(row.params), row.params.intensity, ...resultCells(row)]),
          ) +
          `\n${r.rows.length} parameter sets × ${r.window.bars} bars = ${r.barEvaluations.toExponential(3)} bar-evaluations in ${r.seconds.toFixed(3)} s ` +
          (r.chunks !== undefined ? `(compute time of ${r.chunks} chunks on the workers)` : `(${rate.toExponential(3)}/s on ${r.threads} cores)`) +
          (r.skipped.length ? `; skipped ${r.skipped.length} invalid combination(s)` : "") +
          (r.best ? `\nbest: #${r.best.index}, ${r.best.selection}` : "\nno non-optimistic row") +
          (r.overfit ? `\n${r.overfit.text}` : "") +
          (o.out ? `\nwrote ${o.out}` : "") +
          "\n" +
          (run ? recordedLine(run, o.registry) : ""),
      );
    });
}

export function simCommands(): Command[] {
  return [backtestCommand(), sweepCommand()];
}
