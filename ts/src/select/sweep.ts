/**
 * Selector sweeps: every combination of the grid's axes is one selector backtest, run across
 * worker threads (one per core); the best honest row and its deflated Sharpe / PBO come from
 * Rust (`select::sweep_summary`, the same rule as every other sweep).
 */
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { native, TradelabError } from "../errors.js";
import type * as G from "../generated/engine.js";
import { addon } from "../native.js";
import { loadSelectorFactory, resolveActions, type SelectConfig, type SelectOptions, type SelectResult } from "./index.js";
import type { RowJob } from "./worker.js";

/** Selector axes: each a list of values. */
export interface SelectGrid {
  minEdge?: number[];
  riskWeight?: number[];
  edgeMode?: G.EdgeMode[];
  maxPositions?: number[];
  cooldownBars?: number[];
  intensity?: number[];
  priceOffsetPct?: number[];
  maxVolumeFraction?: number[];
  maxHoldBars?: number[];
  decisionLag?: number[];
  fillBuffer?: number[];
}

export const SELECT_AXES = ["minEdge", "riskWeight", "edgeMode", "maxPositions", "cooldownBars", "intensity", "priceOffsetPct", "maxVolumeFraction", "maxHoldBars", "decisionLag", "fillBuffer"] as const;
export type SelectAxis = (typeof SELECT_AXES)[number];

export interface SelectSweepRow {
  index: number;
  /** This row's value on each swept axis. */
  values: Partial<Record<SelectAxis, number | string>>;
  selector: string;
  label: G.SimLabel;
  optimistic: boolean;
  metrics: G.Metrics;
  instruments: G.InstrumentResult[];
}

export interface SelectSweepResult {
  symbols: string[];
  interval: string;
  source: string;
  window: string;
  first: number;
  last: number;
  steps: number;
  rows: SelectSweepRow[];
  best: G.BestRow | null;
  overfit: G.Overfit | null;
  seconds: number;
  threads: number;
  rowsPerSecond: number;
  dataHash: string;
}

/** The config of one grid point. */
function withAxis(c: SelectConfig, axis: SelectAxis, v: number | string): SelectConfig {
  const edge = { ...c.edge };
  const params = { ...(c.params ?? {}) } as Record<string, unknown>;
  switch (axis) {
    case "minEdge":
      edge.minEdge = v as number;
      break;
    case "riskWeight":
      edge.riskWeight = v as number;
      break;
    case "edgeMode":
      edge.mode = v as G.EdgeMode;
      break;
    case "maxPositions":
      return { ...c, maxPositions: v as number };
    case "cooldownBars":
      return { ...c, cooldownBars: v as number };
    case "fillBuffer":
      params.fillRule = { kind: "cross", buffer: v as number };
      break;
    default:
      params[axis] = v;
  }
  return { ...c, edge, params: params as SelectConfig["params"] };
}

/** Every combination, the first axis slowest. */
export function expandGrid(base: SelectConfig, grid: SelectGrid): { config: SelectConfig; values: SelectSweepRow["values"] }[] {
  let out: { config: SelectConfig; values: SelectSweepRow["values"] }[] = [{ config: base, values: {} }];
  for (const [axis, list] of Object.entries(grid) as [string, unknown][]) {
    if (!(SELECT_AXES as readonly string[]).includes(axis)) throw new TradelabError(`grid: unknown selector axis "${axis}" (axes: ${SELECT_AXES.join(", ")})`);
    if (!Array.isArray(list) || list.length === 0) throw new TradelabError(`grid.${axis}: give a non-empty list of values`);
    const a = axis as SelectAxis;
    out = out.flatMap((row) => (list as (number | string)[]).map((v) => ({ config: withAxis(row.config, a, v), values: { ...row.values, [a]: v } })));
  }
  if (out.length > 10_000) throw new TradelabError(`grid: ${out.length} selector runs exceeds the limit of 10000; shrink an axis`);
  return out;
}

/** Runs every grid point as a selector backtest, `threads` at a time (default: the cores). */
export async function selectSweep(config: SelectConfig, grid: SelectGrid, opts: SelectOptions & { threads?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<SelectSweepResult> {
  if (opts.selector || opts.selectorFactory) throw new TradelabError('selectSweep runs selectors in worker threads, and a Selector object cannot cross threads: give your selector as a module in the config ("selector": { "module": "./my-selector.js" }), which each worker imports');
  const started = performance.now();
  const points = expandGrid(config, grid);
  const resolved = await resolveActions(config, opts);
  // Import the module here once too, so a bad module fails before any worker starts.
  await loadSelectorFactory(config.selector, opts.baseDir);
  const selectorModule = config.selector ? { ...config.selector, module: path.resolve(opts.baseDir ?? process.cwd(), config.selector.module) } : undefined;
  const { selector: _s, selectorFactory: _f, onProgress, threads: _t, ...plain } = opts;
  const threads = Math.max(1, Math.min(opts.threads ?? os.availableParallelism(), points.length));
  const results: (Omit<SelectResult, "curveTs" | "allocation" | "benchmark"> | undefined)[] = new Array(points.length);
  let next = 0;
  let done = 0;
  const workers = Array.from({ length: threads }, () => new Worker(new URL("./worker.js", import.meta.url), { workerData: { resolved, opts: plain, selectorModule } }));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= points.length) return resolve();
              const index = next++;
              const job: RowJob = { index, config: points[index]?.config ?? config };
              w.postMessage(job);
            };
            w.on("message", (m: { index: number; ok: boolean; result?: Omit<SelectResult, "curveTs" | "allocation" | "benchmark">; message?: string; code?: string }) => {
              if (!m.ok) return reject(new TradelabError(`row ${m.index}: ${m.message ?? "failed"}`, { code: m.code ?? "NATIVE" }));
              results[m.index] = m.result;
              done++;
              onProgress?.(done, points.length);
              feed();
            });
            w.on("error", reject);
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const rs = results.map((r, i) => {
    if (!r) throw new TradelabError(`row ${i} produced no result`);
    return r;
  });
  const first = rs[0];
  if (!first) throw new TradelabError("the grid is empty");
  const rows: SelectSweepRow[] = rs.map((r, i) => ({ index: i, values: points[i]?.values ?? {}, selector: r.selector, label: r.label, optimistic: r.label.optimistic, metrics: r.metrics, instruments: r.instruments }));
  const swept = rows.map((r, i) => ({ index: r.index, optimistic: r.optimistic, sortino: r.metrics.sortino, sharpe: r.metrics.sharpe, params: rs[i]?.params }));
  const summary = (await native(() =>
    addon.selectSweepSummary(
      JSON.stringify(swept),
      Float64Array.from(rs.map((r) => r.metrics.startEquity)),
      rs.map((r) => Float64Array.from(r.curveEquity)),
      first.params.periodsPerYear ?? 8760,
    ),
  )) as { best: G.BestRow | null; overfit: G.Overfit | null };
  const seconds = (performance.now() - started) / 1000;
  return {
    symbols: first.symbols,
    interval: first.interval,
    source: first.source,
    window: first.window,
    first: first.first,
    last: first.last,
    steps: first.steps,
    rows,
    best: summary.best,
    overfit: summary.overfit,
    seconds,
    threads,
    rowsPerSecond: rows.length / seconds,
    dataHash: first.dataHash,
  };
}
