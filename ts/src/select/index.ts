/**
 * Selector backtests: the Rust engine (a `SelectorSession`) stepped once per timestamp by a
 * `Selector`. The loop is the one place that connects them; backtests, sweeps and (later)
 * paper/live trading drive the same `Selector` object.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { readActionsFile, type ActionArrays } from "../actions-file.js";
import { resolveStoreDir } from "../config.js";
import { fromNative, TradelabError } from "../errors.js";
import { toMs } from "../features.js";
import type * as G from "../generated/engine.js";
import { addon } from "../native.js";
import { splitFields, type SplitOptions } from "../sim.js";
import { checkpointSplits, policyActions } from "../train/index.js";
import { EdgeSelector, type Candidate, type PositionView, type SelectContext, type Selector } from "./selector.js";

export { EdgeSelector, type Candidate, type EdgeSelectorOptions, type PositionView, type SelectContext, type Selector } from "./selector.js";

/** Where each symbol's actions come from. */
export type ActionSource =
  | G.Strategy
  | { kind: "actions"; files: Record<string, string> }
  /** One checkpoint per symbol, or `{ "*": DIR }` for one global checkpoint served on each symbol. */
  | { kind: "policy"; checkpoints: Record<string, string>; epoch?: number };

export interface SelectConfig {
  symbols: string[];
  interval?: string;
  store?: string;
  from?: number | string;
  to?: number | string;
  /** Simulator settings: lag, fill rule, fees, cash, intensity, offset, maxHoldBars, maxVolumeFraction. */
  params?: Partial<G.SimParams>;
  actions: ActionSource;
  forecast: { model: string; horizon?: number };
  edge: { mode: G.EdgeMode; riskWeight?: number; minEdge?: number };
  maxPositions?: number;
  cooldownBars?: number;
  /** OPTIMISTIC (labelled): enter only candidates whose buy limit fills on the bar it rests on. */
  selectFillableOnly?: boolean;
  /** Stocks: close every position at its session's last bar (the engine's calendars). */
  endOfDayClose?: boolean;
  // Keys: a symbol, or "*/QUOTE" for every symbol of a quote (a venue's zero-fee pairs: "*/FDUSD"); a symbol's own key wins.
  /** Per-symbol fees replacing `params`' (keyed by symbol, or by star-slash-quote for a whole quote); the label lists them. */
  fees?: Record<string, { maker: number; taker: number }>;
  /** Seed §7's optional work stealing (see `EdgeSelectorOptions.workStealing`). */
  workStealing?: { minProfit?: number; minEdge?: number; margin?: number; slack?: number };
  /** Spot shorts (seed §7's mirrored candidates): which symbols (all when omitted) and their annual borrow cost. */
  shorts?: G.ShortSettings;
  /** OPTIMISTIC (labelled, seed `--dip-threshold-pct`): enter only where the traded bar's low dips below its close × (1 − x). */
  dipThresholdPct?: number;
  /** OPTIMISTIC (labelled, seed `allow_reentry_same_bar`): an exit's proceeds may enter the next-best candidate on the exit's own bar. */
  allowReentrySameBar?: boolean;
  /** Policies: permit a window that includes a checkpoint's training rows (labelled in-sample). */
  allowInSample?: boolean;
  /**
   * Your own selection logic for the CLI and sweeps: an ES module (path relative to the config
   * file) whose export `export` (default `createSelector`) is a `SelectorFactory`. A sweep's
   * worker threads each import it and build one selector per row from that row's config.
   */
  selector?: { module: string; export?: string; options?: Record<string, unknown> };
}

/** Builds a selector for one run from its config (a sweep row's, with the grid's values applied). */
export type SelectorFactory = (config: SelectConfig, options: Record<string, unknown>) => Selector;

/** Imports `config.selector`'s factory (none: the built-in `EdgeSelector`). */
export async function loadSelectorFactory(m: SelectConfig["selector"], baseDir: string = process.cwd()): Promise<SelectorFactory | undefined> {
  if (!m) return undefined;
  if (typeof m.module !== "string" || m.module === "") throw new TradelabError(`selector.module: give the path of an ES module exporting a selector factory`);
  const file = path.resolve(baseDir, m.module);
  const name = m.export ?? "createSelector";
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new TradelabError(`selector.module: cannot import ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const f = mod[name];
  if (typeof f !== "function") throw new TradelabError(`selector.module: ${file} has no function export "${name}" (exports: ${Object.keys(mod).join(", ") || "none"})`);
  return (config, options) => {
    const sel = (f as SelectorFactory)(config, options);
    for (const k of ["describe", "optimistic", "select"] as const) {
      if (typeof (sel as unknown as Record<string, unknown>)?.[k] !== "function") throw new TradelabError(`selector.module: ${name}() in ${file} returned no ${k}() method (a Selector has describe, optimistic and select)`);
    }
    return sel;
  };
}

export interface SelectOptions extends SplitOptions {
  store?: string;
  /** Resolve relative action files and checkpoints against this folder (a config file's). */
  baseDir?: string;
  /** A selector of your own instead of the built-in `EdgeSelector` built from the config. */
  selector?: Selector;
  /** Builds the selector from the config instead (what `config.selector`'s module exports). */
  selectorFactory?: SelectorFactory;
  /** Registry of the global test lock (a policy served on a window touching test claims it). */
  lockRegistry?: string;
}

export interface SelectResult extends G.SelectReport {
  /** Bar open times (ms) and equity at each close. */
  curveTs: Float64Array;
  curveEquity: Float64Array;
  /** The symbols' equal-weight buy and hold, same start equity. */
  benchmark: Float64Array;
  /** Step-major, one value per symbol: each position's value / equity at the close. */
  allocation: Float64Array;
  interval: string;
  source: string;
  /** `full`, `custom`, a split name, or `test (burned)`. */
  window: string;
  seconds: number;
}


async function actionSets(config: SelectConfig, opts: SelectOptions): Promise<ResolvedActions> {
  const a = config.actions;
  const base = opts.baseDir ?? process.cwd();
  if (a.kind === "actions") {
    const sets = config.symbols.map((s) => {
      const f = a.files[s];
      if (!f) throw new TradelabError(`actions.files: no actions file for ${s}`);
      return readActionsFile(path.resolve(base, f));
    });
    return { sets, source: "actions files" };
  }
  if (a.kind === "policy") {
    const sets: ActionArrays[] = [];
    const from = toMs(config.from, "from");
    const to = toMs(config.to, "to");
    let window: ResolvedActions["window"];
    let inSample = false;
    for (const s of config.symbols) {
      const dir = a.checkpoints[s] ?? a.checkpoints["*"];
      if (!dir) throw new TradelabError(`actions.checkpoints: no checkpoint for ${s} (give one per symbol or "*" for a global policy)`);
      const served = await policyActions(path.resolve(base, dir), {
        symbol: s,
        ...(a.epoch !== undefined ? { epoch: a.epoch } : {}),
        // Policies default to their validation split (never a window with training rows unless asked).
        ...(opts.split ? { split: opts.split } : from !== undefined || to !== undefined ? { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) } : { split: "val" as const }),
        ...(opts.store ? { store: opts.store } : config.store ? { store: config.store } : {}),
        ...(opts.acknowledgeBurned ? { iKnowTestIsBurned: true } : {}),
        ...(opts.lockRegistry ? { lockRegistry: opts.lockRegistry } : {}),
      });
      sets.push(served.actions);
      // A window reaching into the checkpoint's training rows is in-sample: refused unless asked.
      const trainEnd = checkpointSplits(path.resolve(base, dir)).valStart;
      if (served.summary.first < trainEnd) {
        if (!config.allowInSample) throw new TradelabError(`${s}: the window starts ${new Date(served.summary.first).toISOString()}, inside ${dir}'s training rows (they end ${new Date(trainEnd).toISOString()}); use --split val or a later from, or set "allowInSample": true for a labelled in-sample evaluation`);
        inSample = true;
      }
      // The selector runs on exactly the served bars (a test window is claimed once, by the serving).
      const sm = served.summary;
      const end = sm.last + (sm.params.intervalMs ?? 3_600_000);
      window = { from: Math.min(window?.from ?? sm.first, sm.first), to: Math.max(window?.to ?? end, end), label: `${opts.split ?? (from !== undefined || to !== undefined ? "custom" : "val")}${sm.burned ? " (burned)" : ""}${inSample ? " (in-sample: includes training rows)" : ""}` };
    }
    return { sets, source: a.checkpoints["*"] ? `global policy ${a.checkpoints["*"]}` : "per-symbol policies", ...(window ? { window } : {}) };
  }
  return { strategy: a, sets: [], source: `rule strategy ${a.kind}` };
}


/** Reads a session's Float64Array buffers as the `SelectContext` a selector sees. */
class Context implements SelectContext {
  ts = 0;
  step = 0;
  constructor(
    readonly symbols: readonly string[],
    private readonly cand: Float64Array,
    private readonly state: Float64Array,
    private readonly orders: Float64Array,
    private readonly cf: number,
    private readonly sf: number,
    private readonly of: number,
  ) {}
  get cash(): number {
    return this.state[0] ?? NaN;
  }
  get equity(): number {
    return this.state[1] ?? NaN;
  }
  candidate(k: number): Candidate {
    const c = this.cand;
    const o = k * this.cf;
    const fillable = c[o + 10] ?? NaN;
    const dip = c[o + 11] ?? NaN;
    return {
      index: k,
      symbol: this.symbols[k] ?? "",
      available: c[o] === 1,
      buyPrice: c[o + 1] ?? NaN,
      buyFrac: c[o + 2] ?? NaN,
      sellPrice: c[o + 3] ?? NaN,
      sellFrac: c[o + 4] ?? NaN,
      edge: c[o + 5] ?? NaN,
      predHigh: c[o + 6] ?? NaN,
      predLow: c[o + 7] ?? NaN,
      predClose: c[o + 8] ?? NaN,
      close: c[o + 9] ?? NaN,
      fillable: Number.isNaN(fillable) ? null : fillable === 1,
      dip: Number.isNaN(dip) ? null : dip === 1,
      shortEdge: c[o + 12] ?? NaN,
    };
  }
  shortEdge(k: number): number {
    return this.cand[k * this.cf + 12] ?? NaN;
  }
  available(k: number): boolean {
    return this.cand[k * this.cf] === 1;
  }
  edge(k: number): number {
    return this.cand[k * this.cf + 5] ?? NaN;
  }
  buyPrice(k: number): number {
    return this.cand[k * this.cf + 1] ?? NaN;
  }
  buyFrac(k: number): number {
    return this.cand[k * this.cf + 2] ?? NaN;
  }
  sellPrice(k: number): number {
    return this.cand[k * this.cf + 3] ?? NaN;
  }
  sellFrac(k: number): number {
    return this.cand[k * this.cf + 4] ?? NaN;
  }
  fillable(k: number): boolean | null {
    const v = this.cand[k * this.cf + 10] ?? NaN;
    return Number.isNaN(v) ? null : v === 1;
  }
  dip(k: number): boolean | null {
    const v = this.cand[k * this.cf + 11] ?? NaN;
    return Number.isNaN(v) ? null : v === 1;
  }
  qty(k: number): number {
    return this.state[3 + k * this.sf] ?? 0;
  }
  position(k: number): PositionView {
    const o = 3 + k * this.sf;
    return { qty: this.state[o] ?? 0, avgEntry: this.state[o + 1] ?? NaN, heldBars: this.state[o + 2] ?? NaN };
  }
  private check(k: number, price: number, frac: number, side: string): void {
    if (!Number.isInteger(k) || k < 0 || k >= this.symbols.length) throw new TradelabError(`selector ${side}: no symbol index ${k}`);
    if (!(price > 0) || !Number.isFinite(price)) throw new TradelabError(`selector ${side} ${this.symbols[k]}: price ${price} is not a positive number`);
    if (!(frac >= 0 && frac <= 1)) throw new TradelabError(`selector ${side} ${this.symbols[k]}: fraction ${frac} is not in [0, 1]`);
  }
  buy(k: number, price: number, frac: number): void {
    this.check(k, price, frac, "buy");
    this.orders[k * this.of] = price;
    this.orders[k * this.of + 1] = frac;
  }
  buyAfterExit(k: number, price: number, frac: number, exit: number): void {
    if (!Number.isInteger(exit) || exit < 0 || exit >= this.symbols.length) throw new TradelabError(`selector buyAfterExit ${this.symbols[k]}: no symbol index ${exit} to re-enter after`);
    if (this.of < 5) throw new TradelabError("selector buyAfterExit: this engine build has no same-bar re-entry slot (rebuild the native addon)");
    this.buy(k, price, frac);
    this.orders[k * this.of + 4] = exit;
  }
  sell(k: number, price: number, frac: number): void {
    this.check(k, price, frac, "sell");
    this.orders[k * this.of + 2] = price;
    this.orders[k * this.of + 3] = frac;
  }
}

/** The action sets a selector run uses, resolved once (a sweep's workers share them). */
export interface ResolvedActions {
  strategy?: G.Strategy;
  sets: ActionArrays[];
  source: string;
  /** Served policies: the bars they were served on (the run uses exactly these). */
  window?: { from: number; to: number; label: string };
}

/** Resolves `config.actions`: reads action files, serves policies (once, on the run's window). */
export async function resolveActions(config: SelectConfig, opts: SelectOptions = {}): Promise<ResolvedActions> {
  return actionSets(config, opts);
}

/**
 * A selector backtest over `config.symbols` with shared cash: per timestamp, the selector (the
 * built-in `EdgeSelector` from the config, or `opts.selector`) sees every candidate and the
 * portfolio state, and the Rust engine fills its orders on the next bar.
 */
export async function selectBacktest(config: SelectConfig, opts: SelectOptions = {}): Promise<SelectResult> {
  const resolved = await actionSets(config, opts);
  const factory = opts.selector || opts.selectorFactory ? opts.selectorFactory : await loadSelectorFactory(config.selector, opts.baseDir);
  const started = performance.now();
  const { req, selector } = prepare(config, resolved, { ...opts, ...(factory ? { selectorFactory: factory } : {}) });
  // Opening reads every symbol's bars and forecasts: off the event loop.
  let session: Session;
  try {
    session = await addon.openSelectorSession(JSON.stringify(req), resolved.sets);
  } catch (e) {
    throw fromNative(e);
  }
  return drive(session, selector, config, resolved, started);
}

type Session = InstanceType<typeof addon.SelectorSession>;

/** `selectBacktest` with the actions already resolved, synchronously (a sweep's worker threads). */
export function runSelect(config: SelectConfig, resolved: ResolvedActions, opts: SelectOptions = {}): SelectResult {
  const started = performance.now();
  const { req, selector } = prepare(config, resolved, opts);
  let session: Session;
  try {
    session = addon.SelectorSession.open(JSON.stringify(req), resolved.sets);
  } catch (e) {
    throw fromNative(e);
  }
  return drive(session, selector, config, resolved, started);
}

/** The session request and the selector a config asks for. */
function prepare(config: SelectConfig, resolved: ResolvedActions, opts: SelectOptions): { req: object; selector: Selector } {
  const interval = config.interval ?? "1h";
  const { strategy } = resolved;
  const from = resolved.window?.from ?? toMs(config.from, "from");
  const to = resolved.window?.to ?? toMs(config.to, "to");
  const fillable = config.selectFillableOnly ?? false;
  const req = {
    store: resolveStoreDir(opts.store ?? config.store),
    interval,
    ...(resolved.window ? {} : splitFields(opts)),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    symbols: config.symbols,
    ...(strategy ? { strategy } : {}),
    params: (config.params ?? {}) as G.SimParams,
    forecastModel: config.forecast.model,
    ...(config.forecast.horizon !== undefined ? { horizon: config.forecast.horizon } : {}),
    edgeMode: config.edge.mode,
    ...(config.edge.riskWeight !== undefined ? { riskWeight: config.edge.riskWeight } : {}),
    ...(fillable ? { fillableLookahead: true } : {}),
    ...(config.endOfDayClose ? { endOfDayClose: true } : {}),
    ...(config.fees ? { fees: config.fees } : {}),
    ...(config.dipThresholdPct !== undefined ? { dipThresholdPct: config.dipThresholdPct } : {}),
    ...(config.shorts ? { shorts: config.shorts } : {}),
  };
  const selector =
    opts.selector ??
    opts.selectorFactory?.(config, config.selector?.options ?? {}) ??
    new EdgeSelector({
      ...(config.edge.minEdge !== undefined ? { minEdge: config.edge.minEdge } : {}),
      ...(config.maxPositions !== undefined ? { maxPositions: config.maxPositions } : {}),
      ...(config.cooldownBars !== undefined ? { cooldownBars: config.cooldownBars } : {}),
      selectFillableOnly: fillable,
      dipFilter: config.dipThresholdPct !== undefined,
      ...(config.workStealing ? { workStealing: config.workStealing } : {}),
      ...(config.allowReentrySameBar ? { allowReentrySameBar: true } : {}),
    });
  return { req, selector };
}

/** Steps `session` to the end with `selector`: one `next` / `select` / `apply` per timestamp. */
function drive(session: Session, selector: Selector, config: SelectConfig, resolved: ResolvedActions, started: number): SelectResult {
  const interval = config.interval ?? "1h";
  const from = resolved.window?.from ?? toMs(config.from, "from");
  const to = resolved.window?.to ?? toMs(config.to, "to");
  const n = session.symbols.length;
  const [cf = 13, sf = 3, of = 5] = session.layout;
  const cand = new Float64Array(n * cf);
  const state = new Float64Array(3 + n * sf);
  const orders = new Float64Array(n * of);
  const ctx = new Context(session.symbols, cand, state, orders, cf, sf, of);
  try {
    for (;;) {
      const ts = session.next(cand, state);
      if (ts < 0) break;
      ctx.ts = ts;
      ctx.step = state[2] ?? 0;
      orders.fill(NaN);
      selector.select(ctx);
      session.apply(orders);
    }
    const f = session.finish(`${selector.describe()} · edge ${config.edge.mode}${config.edge.mode === "high_low" ? ` rw ${config.edge.riskWeight ?? 0.5}` : ""}`, selector.optimistic());
    const r = f.report as G.SelectReport;
    return { ...r, curveTs: f.ts, curveEquity: f.equity, benchmark: f.benchmark, allocation: f.allocation, interval, source: resolved.source, window: resolved.window?.label ?? r.split?.label ?? (from !== undefined || to !== undefined ? "custom" : "full"), seconds: (performance.now() - started) / 1000 };
  } catch (e) {
    throw fromNative(e);
  }
}

export { expandGrid, selectSweep, SELECT_AXES, type SelectAxis, type SelectGrid, type SelectSweepResult, type SelectSweepRow } from "./sweep.js";
