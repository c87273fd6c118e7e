/**
 * The `Selector` interface (called once per timestamp for all symbols) and the built-in edge
 * selector of seed-system §7. Selection rules live here; fills, fees, volume caps and max-hold
 * closes are the Rust engine's (`crates/backtest/src/select.rs` over `Engine::step`).
 *
 * Everything a selector sees at a timestamp is at least `decisionLag` bars old: candidates are
 * built from the action row and the forecasts issued at the close of the decision bar, and the
 * state is the portfolio after the last closed bar.
 */

/** One symbol's candidate at a decision time. */
export interface Candidate {
  /** Index into `symbols` (and the order slots). */
  index: number;
  symbol: string;
  /** The symbol has a bar to trade on and a decision row `lag` bars back. */
  available: boolean;
  /** Buy limit (after the price offset) and fraction of cash (after intensity); NaN: none. */
  buyPrice: number;
  buyFrac: number;
  sellPrice: number;
  sellFrac: number;
  /** The long edge for the session's edge mode (computed in Rust); NaN without a buy or forecast. */
  edge: number;
  predHigh: number;
  predLow: number;
  predClose: number;
  /** Close of the decision bar. */
  close: number;
  /** OPTIMISTIC `fillableLookahead` only: the buy limit is reached on the bar it rests on. */
  fillable: boolean | null;
  /** OPTIMISTIC `dipThresholdPct` only: the bar the order rests on dips below close × (1 − x). */
  dip: boolean | null;
  /** The mirrored short edge at the sell limit (seed §7); NaN unless the symbol may go short. */
  shortEdge: number;
}

export interface PositionView {
  /** Signed units (0 flat). */
  qty: number;
  avgEntry: number;
  /** Bars since the position was opened; NaN when flat. */
  heldBars: number;
}

/** What a selector sees and writes at one timestamp. Views are valid during the call only. */
export interface SelectContext {
  /** Open time of the bar the orders will rest on, and its clock step. */
  ts: number;
  step: number;
  symbols: readonly string[];
  cash: number;
  equity: number;
  /** Everything about symbol k's candidate, as one object (convenient; allocates). */
  candidate(k: number): Candidate;
  position(k: number): PositionView;
  /** The same fields without allocating (a selector called 70k times × 14 symbols wants these). */
  available(k: number): boolean;
  edge(k: number): number;
  buyPrice(k: number): number;
  buyFrac(k: number): number;
  sellPrice(k: number): number;
  sellFrac(k: number): number;
  /** The buy limit is reached on the resting bar (OPTIMISTIC lookahead), null without it. */
  fillable(k: number): boolean | null;
  /** The resting bar dips (OPTIMISTIC `dipThresholdPct`), null without it. */
  dip(k: number): boolean | null;
  /** The short edge at the sell limit; NaN unless the session lets symbol k go short. */
  shortEdge(k: number): number;
  /** Signed units held (0 flat). */
  qty(k: number): number;
  /**
   * Rest a buy limit on symbol k for this bar: `frac` of the cash held at the open, or, when k
   * is short, `frac` of the short (a cover).
   */
  buy(k: number, price: number, frac: number): void;
  /**
   * Rest a contingent buy limit on symbol k (seed `allow_reentry_same_bar`, OPTIMISTIC: the run
   * is labelled): it rests only if symbol `exit` was long at the open and its sell closes it on
   * this bar, and it spends `frac` of that exit's proceeds, not the cash held at the open. One
   * contingent buy per exit; `k` may be `exit` itself.
   */
  buyAfterExit(k: number, price: number, frac: number, exit: number): void;
  /**
   * Rest a sell limit on symbol k for this bar: `frac` of the long held at the open, or, on a
   * symbol that may go short and is flat or short, a short of `frac` × cash / (price × (1 + fee)) units.
   */
  sell(k: number, price: number, frac: number): void;
}

/** Selection logic, called once per timestamp with every symbol's candidate. */
export interface Selector {
  /** One line for tables and the registry, e.g. `edge high_low, min edge 0.001, 1 slot`. */
  describe(): string;
  /** Non-null when the selector itself uses an optimistic assumption (the label says it). */
  optimistic(): string | null;
  select(ctx: SelectContext): void;
}

export interface EdgeSelectorOptions {
  /** Minimum edge to enter (default 0). */
  minEdge?: number;
  /** Open positions at most (default 1; entries take cash / free slots). */
  maxPositions?: number;
  /** Bars a symbol waits after an exit before it may be entered again (default 0). */
  cooldownBars?: number;
  /** OPTIMISTIC: enter only candidates whose buy limit is reached on the bar it rests on (seed §12.6 `select_fillable_only`; needs `fillableLookahead`). */
  selectFillableOnly?: boolean;
  /** OPTIMISTIC: enter only where the resting bar dips (seed `--dip-threshold-pct`; needs `dipThresholdPct`). */
  dipFilter?: boolean;
  /**
   * Work stealing (seed §7 step 3): exit a held winner whose unrealised return (decision close vs
   * average entry) is at least `minProfit` when another symbol's edge is at least `minEdge` and
   * beats that return by `margin`; the exit rests at the decision close × (1 − `slack`).
   */
  workStealing?: { minProfit?: number; minEdge?: number; margin?: number; slack?: number };
  /**
   * OPTIMISTIC (seed `allow_reentry_same_bar`): each held long whose sell rests also places a
   * contingent entry on the best candidate not otherwise entered (possibly the same symbol, unless
   * cooling down), funded by that exit's proceeds on the same bar. The engine books it only when
   * the exit closes the position; the run's label says OPTIMISTIC because within one bar the
   * order of the exit and the entry is unknown.
   */
  allowReentrySameBar?: boolean;
}

/**
 * The seed's selector: exit every open position at its limit (a long at its sell limit, a short
 * covers at its buy limit); while a slot is free, enter the best candidates by edge (at least
 * `minEdge`; ties by symbol name, a long before a short), skipping symbols held or cooling down.
 * Short candidates exist only where the session allows shorts (`shorts` in the config).
 * Max-hold and end-of-day closes are the engine's.
 */
export class EdgeSelector implements Selector {
  readonly minEdge: number;
  readonly maxPositions: number;
  readonly cooldownBars: number;
  readonly selectFillableOnly: boolean;
  readonly dipFilter: boolean;
  readonly steal: { minProfit: number; minEdge: number; margin: number; slack: number } | null;
  readonly allowReentrySameBar: boolean;
  /** Per symbol: the step at which its last position was seen closed. */
  private readonly exitedAt = new Map<number, number>();
  private readonly wasOpen = new Set<number>();

  constructor(o: EdgeSelectorOptions = {}) {
    this.minEdge = o.minEdge ?? 0;
    this.maxPositions = o.maxPositions ?? 1;
    this.cooldownBars = o.cooldownBars ?? 0;
    this.selectFillableOnly = o.selectFillableOnly ?? false;
    this.dipFilter = o.dipFilter ?? false;
    this.allowReentrySameBar = o.allowReentrySameBar ?? false;
    const w = o.workStealing;
    this.steal = w ? { minProfit: w.minProfit ?? 0.001, minEdge: w.minEdge ?? 0.005, margin: w.margin ?? 0, slack: w.slack ?? 0.002 } : null;
    if (!Number.isInteger(this.maxPositions) || this.maxPositions < 1) throw new Error(`maxPositions must be a whole number >= 1 (got ${this.maxPositions})`);
    if (!Number.isInteger(this.cooldownBars) || this.cooldownBars < 0) throw new Error(`cooldownBars must be a whole number >= 0 (got ${this.cooldownBars})`);
    if (!Number.isFinite(this.minEdge)) throw new Error(`minEdge must be a number (got ${this.minEdge})`);
  }

  describe(): string {
    return `best edge >= ${this.minEdge}, ${this.maxPositions} slot${this.maxPositions === 1 ? "" : "s"}${this.cooldownBars ? `, cooldown ${this.cooldownBars} bars` : ""}${this.selectFillableOnly ? ", fillable only" : ""}${this.dipFilter ? ", dip filter" : ""}${this.steal ? `, work stealing (profit >= ${this.steal.minProfit}, edge >= ${this.steal.minEdge})` : ""}${this.allowReentrySameBar ? ", same-bar re-entry" : ""}`;
  }

  /**
   * None of its own: `selectFillableOnly` reads the session's fillable lookahead, and a contingent
   * re-entry is a `buyAfterExit` order; the engine labels both OPTIMISTIC when they are used.
   */
  optimistic(): string | null {
    return null;
  }

  /** A held winner k that a better candidate elsewhere should replace. */
  private stolen(ctx: SelectContext, k: number): boolean {
    const w = this.steal;
    if (!w || ctx.qty(k) <= 0) return false;
    const close = ctx.candidate(k).close;
    const entry = ctx.position(k).avgEntry;
    const ret = (close - entry) / entry;
    if (!(ret >= w.minProfit)) return false;
    for (let j = 0; j < ctx.symbols.length; j++) {
      if (j === k || ctx.qty(j) !== 0 || !ctx.available(j)) continue;
      const e = ctx.edge(j);
      if (e >= w.minEdge && e >= ret + w.margin) return true;
    }
    return false;
  }

  select(ctx: SelectContext): void {
    const n = ctx.symbols.length;
    let held = 0;
    // Held longs whose exit rests this bar (the engine books a re-entry only if the exit closes the long).
    const exiting: number[] = [];
    for (let k = 0; k < n; k++) {
      if (ctx.qty(k) !== 0) {
        held++;
        this.wasOpen.add(k);
        const sp = ctx.sellPrice(k);
        const sf = ctx.sellFrac(k);
        if (ctx.qty(k) < 0) {
          // A short covers at its buy limit (seed §7 step 4, mirrored).
          const bp = ctx.buyPrice(k);
          const bf = ctx.buyFrac(k);
          if (ctx.available(k) && Number.isFinite(bp) && bf > 0) ctx.buy(k, bp, bf);
        } else if (this.steal && ctx.available(k) && this.stolen(ctx, k)) {
          ctx.sell(k, ctx.candidate(k).close * (1 - this.steal.slack), 1);
          exiting.push(k);
        } else if (ctx.available(k) && Number.isFinite(sp) && sf > 0) {
          ctx.sell(k, sp, sf);
          exiting.push(k);
        }
      } else if (this.wasOpen.has(k)) {
        this.wasOpen.delete(k);
        this.exitedAt.set(k, ctx.step);
      }
    }
    const free = Math.max(0, this.maxPositions - held);
    const reenter = this.allowReentrySameBar ? exiting : [];
    if (free === 0 && reenter.length === 0) return;
    // Candidates as k (long) or −(k + 1) (short), each with its edge.
    const picks: number[] = [];
    const edges: number[] = [];
    for (let k = 0; k < n; k++) {
      // An exiting long may be re-entered on its own bar (a long candidate, without cooldown).
      const again = reenter.includes(k) && this.cooldownBars === 0;
      if ((ctx.qty(k) !== 0 && !again) || !ctx.available(k)) continue;
      const left = this.exitedAt.get(k);
      if (left !== undefined && ctx.step - left < this.cooldownBars) continue;
      if (this.dipFilter && ctx.dip(k) !== true) continue;
      const e = ctx.edge(k);
      // `selectFillableOnly` looks at the buy limit: it keeps long candidates only.
      const longOk = ctx.buyFrac(k) > 0 && Number.isFinite(e) && e >= this.minEdge && (!this.selectFillableOnly || ctx.fillable(k) === true);
      if (longOk) {
        picks.push(k);
        edges.push(e);
      }
      const s = ctx.shortEdge(k);
      if (!again && !this.selectFillableOnly && ctx.sellFrac(k) > 0 && Number.isFinite(s) && s >= this.minEdge && !(longOk && e >= s)) {
        if (longOk) {
          // One side per symbol: the better one.
          picks[picks.length - 1] = -(k + 1);
          edges[edges.length - 1] = s;
        } else {
          picks.push(-(k + 1));
          edges.push(s);
        }
      }
    }
    if (picks.length === 0) return;
    const sym = ctx.symbols;
    const order = picks.map((_, i) => i);
    const idx = (p: number): number => (p >= 0 ? p : -p - 1);
    order.sort((a, b) => {
      const d = (edges[b] ?? 0) - (edges[a] ?? 0);
      if (d !== 0) return d;
      const sa = sym[idx(picks[a] ?? 0)] ?? "";
      const sb = sym[idx(picks[b] ?? 0)] ?? "";
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    });
    // Free slots take the best flat candidates; then each exit, in symbol order, the next best.
    let entered = 0;
    for (let i = 0; i < order.length && entered < free; i++) {
      const p = picks[order[i] ?? 0] ?? 0;
      const k = idx(p);
      if (ctx.qty(k) !== 0) continue;
      if (p >= 0) ctx.buy(p, ctx.buyPrice(p), ctx.buyFrac(p) / free);
      else ctx.sell(k, ctx.sellPrice(k), ctx.sellFrac(k) / free);
      entered++;
      order[i] = -1;
    }
    for (const x of reenter) {
      // A flat long candidate, or x itself (another exiting symbol may still be held).
      const i = order.findIndex((j) => {
        const p = j >= 0 ? (picks[j] ?? -1) : -1;
        return p >= 0 && (p === x || ctx.qty(p) === 0);
      });
      if (i < 0) break;
      const p = picks[order[i] ?? 0] ?? 0;
      ctx.buyAfterExit(p, ctx.buyPrice(p), ctx.buyFrac(p), x);
      order[i] = -1;
    }
  }
}
