/**
 * `tradelab paper compare RUN_A RUN_B`: seed 002's go-live table for two paper runs (e.g. a 1h and
 * a 5m trader on the same market): Sharpe, total return, max drawdown and consistency from each
 * run's journaled equity (metrics computed in Rust, `curve_metrics`, with P from its interval),
 * each against its target, weighted 40/30/20/10, and a verdict.
 *
 * Consistency (the seed says "stable") is measured here as the share of UTC days (bar time) whose
 * equity did not fall.
 */
import { TradelabError } from "../errors.js";
import type * as G from "../generated/engine.js";
import { addon } from "../native.js";
import { Journal } from "./journal.js";
import type { StatePayload } from "./paper.js";

export interface Targets {
  sharpe: number;
  totalReturn: number;
  maxDrawdown: number;
  consistency: number;
}

/** Seed 002's 1h row. */
export const DEFAULT_TARGETS: Targets = { sharpe: 0.5, totalReturn: 0.05, maxDrawdown: 0.1, consistency: 0.5 };
const WEIGHTS = { sharpe: 0.4, totalReturn: 0.3, maxDrawdown: 0.2, consistency: 0.1 } as const;

export interface CompareRow {
  run: string;
  interval: string;
  /** P the metrics are annualised with: the engine label's, journaled with the run. */
  periodsPerYear: number;
  bars: number;
  first: number | null;
  last: number | null;
  metrics: G.CurveMetrics;
  consistency: number;
  days: number;
  targets: Targets;
  met: Record<keyof Targets, boolean>;
  /** Weighted share of targets met (0..1). */
  score: number;
}

export interface Comparison {
  rows: CompareRow[];
  verdict: string;
}

function row(j: Journal, run: string, targets: Targets): CompareRow {
  const meta = j.runs().find((r) => r.run === run);
  if (!meta) throw new TradelabError(`journal ${j.path} has no run ${run} (runs: ${j.runs().map((r) => r.run).join(", ") || "none"})`);
  const interval = String((meta.config as { interval?: unknown }).interval ?? "1h");
  const states = j.events<StatePayload>(run, "state");
  if (states.length < 2) throw new TradelabError(`run ${run} has ${states.length} bar(s) in its journal: nothing to compare yet`);
  const start = (states[0] as (typeof states)[number]).payload.cash; // bar 0 never trades: the starting cash
  const equity = Float64Array.from(states.map((e) => e.payload.equity));
  // P as the engine labelled the run (journaled with every bar's state), never re-derived here.
  const p = states[states.length - 1]?.payload.periodsPerYear;
  if (p === undefined) throw new TradelabError(`run ${run} in ${j.path} was journaled without the engine's periods per year (before 2026-12-04): start a new run to compare it`);
  const metrics = addon.curveMetrics(start, equity, p) as G.CurveMetrics;
  const byDay = new Map<number, { first: number; last: number }>();
  let prev = start;
  for (const e of states) {
    const d = Math.floor(e.barTs / 86_400_000);
    const x = byDay.get(d);
    if (x) x.last = e.payload.equity;
    else byDay.set(d, { first: prev, last: e.payload.equity });
    prev = e.payload.equity;
  }
  const days = byDay.size;
  const consistency = days ? [...byDay.values()].filter((x) => x.last >= x.first).length / days : 0;
  const met = {
    sharpe: metrics.sharpe >= targets.sharpe,
    totalReturn: metrics.totalReturn >= targets.totalReturn,
    maxDrawdown: metrics.maxDrawdown < targets.maxDrawdown,
    consistency: consistency >= targets.consistency,
  };
  const score = (Object.keys(WEIGHTS) as (keyof Targets)[]).reduce((a, k) => a + (met[k] ? WEIGHTS[k] : 0), 0);
  return { run, interval, periodsPerYear: p, bars: states.length, first: states[0]?.barTs ?? null, last: states[states.length - 1]?.barTs ?? null, metrics, consistency, days, targets, met, score };
}

/** Compares runs of one journal; `targets` by run id (or `default`). */
export function comparePaper(journalPath: string, runs: string[], targets: Record<string, Partial<Targets>> = {}): Comparison {
  const j = new Journal(journalPath);
  const rows = runs.map((r) => row(j, r, { ...DEFAULT_TARGETS, ...targets["default"], ...targets[r] }));
  const good = rows.filter((r) => r.score >= 0.7);
  const best = [...rows].sort((a, b) => b.score - a.score || b.metrics.sharpe - a.metrics.sharpe)[0] as CompareRow;
  const verdict =
    good.length === rows.length && rows.length > 1
      ? `all meet >= 70 % of the weighted targets: run them in parallel with split capital`
      : good.length === 0
        ? `none meets 70 % of the weighted targets (best: ${best.run}, ${(best.score * 100).toFixed(0)} %): do not go live; iterate`
        : `${best.run} wins (${(best.score * 100).toFixed(0)} % of the weighted targets): go live with it; investigate the others`;
  const short = rows.filter((r) => r.days < 7);
  const caution = short.length ? ` (caution: ${short.map((r) => `${r.run} has ${r.days} day(s)`).join(", ")}; the seed decides after a week)` : "";
  return { rows, verdict: verdict + caution };
}
