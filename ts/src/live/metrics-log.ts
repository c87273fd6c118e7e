/**
 * Seed 001's `--log-metrics`: one JSON line per stepped bar with equity, PnL (total and today's,
 * UTC), drawdown and a running Sortino, the last computed in Rust (a `CurveAccumulator`: the fold
 * `curveMetrics` runs, the one Sortino definition, advanced one bar at a time) over the run's
 * journaled equity so far. Derived from the journal (the source of
 * truth): a restart rebuilds the curve from the journal's states and keeps appending.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type * as G from "../generated/engine.js";
import { addon } from "../native.js";
import type { Journal } from "./journal.js";
import type { StatePayload } from "./paper.js";

export interface MetricsLine {
  barTs: number;
  time: string;
  equity: number;
  pnl: number;
  pnlPct: number;
  todayPnl: number;
  drawdown: number;
  /** Running Sortino over the bars so far (P periods per year); null under 2 bars. */
  sortino: number | null;
  bars: number;
  periodsPerYear: number;
}

export class MetricsLog {
  private start = NaN;
  private peak = -Infinity;
  private bars = 0;
  private curve: InstanceType<typeof addon.CurveAccumulator> | undefined;
  /** Today (UTC day number) and the equity before its first bar. */
  private day = NaN;
  private dayStart = NaN;
  private last = NaN;

  constructor(
    readonly file: string,
    private readonly periodsPerYear: number,
  ) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  }

  /** The curve so far, from the run's journaled states (a resumed run). */
  static resume(file: string, periodsPerYear: number, journal: Journal, run: string): MetricsLog {
    const m = new MetricsLog(file, periodsPerYear);
    for (const e of journal.events<StatePayload>(run, "state")) m.push(e.barTs, e.payload.equity, e.payload.cash);
    return m;
  }

  private push(barTs: number, equity: number, cash: number): void {
    // Bar 0 never trades: its cash is the starting equity.
    if (Number.isNaN(this.start)) {
      this.start = cash;
      this.last = cash;
      this.curve = new addon.CurveAccumulator(cash, this.periodsPerYear);
    }
    // Today's PnL runs from the last equity before today's first bar (the start on day one).
    const day = Math.floor(barTs / 86_400_000);
    if (day !== this.day) {
      this.day = day;
      this.dayStart = this.last;
    }
    this.curve?.push(equity);
    this.last = equity;
    this.bars++;
    this.peak = Math.max(this.peak, equity);
  }

  /** Adds a stepped bar and appends its line. */
  append(barTs: number, equity: number, cash: number): MetricsLine {
    this.push(barTs, equity, cash);
    const n = this.bars;
    const dayStart = this.dayStart;
    const m = n >= 2 && this.curve ? (this.curve.metrics() as G.CurveMetrics) : null;
    const line: MetricsLine = {
      barTs,
      time: new Date(barTs).toISOString(),
      equity,
      pnl: equity - this.start,
      pnlPct: equity / this.start - 1,
      todayPnl: equity - dayStart,
      drawdown: this.peak > 0 ? 1 - equity / this.peak : 0,
      sortino: m && Number.isFinite(m.sortino) ? m.sortino : null,
      bars: n,
      periodsPerYear: this.periodsPerYear,
    };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    return line;
  }
}
