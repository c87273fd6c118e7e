/** One trial's objective: a backtest on a named split, or a walk-forward's out-of-sample curve. */
import path from "node:path";
import { TradelabError } from "../errors.js";
import type * as G from "../generated/engine.js";
import type { RunInput } from "../registry/index.js";
import { backtest } from "../sim.js";
import { walkForward } from "../walk-forward.js";
import { paramTarget, type Objective } from "./config.js";

export interface ObjectiveResult {
  value: number;
  /** Every number of the run (the engine's metrics). */
  metrics: Record<string, unknown>;
  /** What the trial's registry record carries besides config and metrics. */
  record: Pick<RunInput, "symbols" | "interval" | "split" | "window" | "assumptions" | "dataHash">;
  strategy: G.Strategy;
  simParams: Partial<G.SimParams>;
}

export interface ObjectiveOptions {
  baseDir: string;
  registry?: string;
  store?: string;
}

/** The strategy and simulator parameters of one trial: the objective's, with the trial's params set. */
export function trialInputs(o: Objective, params: Record<string, unknown>): { strategy: G.Strategy; simParams: Partial<G.SimParams> } {
  const strategy: Record<string, unknown> = { ...o.strategy };
  const simParams: Record<string, unknown> = { ...o.base };
  for (const [k, v] of Object.entries(params)) (paramTarget(o, k) === "strategy" ? strategy : simParams)[k] = v;
  return { strategy: strategy as unknown as G.Strategy, simParams: simParams as Partial<G.SimParams> };
}

function metricOf(metrics: Record<string, unknown>, name: string, where: string): number {
  const v = metrics[name];
  if (typeof v !== "number") {
    const have = Object.keys(metrics).filter((k) => typeof metrics[k] === "number");
    throw new TradelabError(`objective.metric '${name}' is not a numeric metric of ${where} (have: ${have.join(", ")})`, { code: "STUDY_SPEC" });
  }
  return v;
}

export async function evaluate(o: Objective, params: Record<string, unknown>, opts: ObjectiveOptions): Promise<ObjectiveResult> {
  const { strategy, simParams } = trialInputs(o, params);
  const storeDir = opts.store ?? (o.store ? path.resolve(opts.baseDir, o.store) : undefined);
  if (o.kind === "backtest") {
    const r = await backtest({
      symbol: o.symbol,
      interval: o.interval,
      strategy,
      params: simParams,
      split: o.split,
      ...(o.splits ? { splits: o.splits } : {}),
      ...(storeDir ? { store: storeDir } : {}),
      ...(opts.registry ? { registry: opts.registry } : {}),
    });
    const metrics = r.metrics as unknown as Record<string, unknown>;
    return {
      value: metricOf(metrics, o.metric, "a backtest"),
      metrics,
      record: { symbols: [o.symbol], interval: o.interval, split: r.window.split, window: { first: r.window.first, last: r.window.last }, assumptions: r.assumptions, dataHash: r.dataHash },
      strategy,
      simParams,
    };
  }
  const r = await walkForward(
    { symbol: o.symbol, interval: o.interval, folds: o.folds, base: simParams, strategy, grid: {}, ...(storeDir ? { store: storeDir } : {}) },
    { baseDir: opts.baseDir, ...(opts.registry ? { registry: opts.registry } : {}) },
  );
  const metrics = { ...(r.oos as unknown as Record<string, unknown>), oosPsr: r.oosPsr, oosTrades: r.oosTrades, folds: r.folds.length };
  return {
    value: metricOf(metrics, o.metric, "walk-forward out-of-sample results"),
    metrics,
    record: { symbols: [o.symbol], interval: o.interval, split: "walk-forward oos", window: { first: r.first, last: r.last }, assumptions: r.baseLabel, dataHash: r.dataHash },
    strategy,
    simParams,
  };
}
