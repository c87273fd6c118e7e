/** One trial's objective: a backtest on a named split, or a walk-forward's out-of-sample curve. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TradelabError } from "../errors.js";
import type * as G from "../generated/engine.js";
import type { RunInput } from "../registry/index.js";
import { backtest } from "../sim.js";
import { walkForward } from "../walk-forward.js";
import { paramTarget, trainBase, type BacktestObjective, type Objective, type TrainObjective, type WalkForwardObjective } from "./config.js";
import { runTrainBinary, type TrainEvent } from "../train/index.js";

export interface ObjectiveResult {
  value: number;
  /** The pruner stopped the trial (train objectives: the trainer was stopped mid-run). */
  pruned?: boolean;
  /** Every number of the run (the engine's metrics). */
  metrics: Record<string, unknown>;
  /** What the trial's registry record carries besides config and metrics. */
  record: Pick<RunInput, "symbols" | "interval" | "split" | "window" | "assumptions" | "dataHash">;
  /** What the trial ran: the strategy and simulator parameters, or the train config file. */
  inputs: Record<string, unknown>;
}

export interface ObjectiveOptions {
  baseDir: string;
  registry?: string;
  store?: string;
  /** Train objectives: this trial's folder (its config and checkpoint). */
  trialDir?: string;
  /** Reports an intermediate value; true means stop (pruned). A remote pruner answers later. */
  report?: (step: number, value: number) => boolean | Promise<boolean>;
}

/** The strategy and simulator parameters of one trial: the objective's, with the trial's params set. */
export function trialInputs(o: BacktestObjective | WalkForwardObjective, params: Record<string, unknown>): { strategy: G.Strategy; simParams: Partial<G.SimParams> } {
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

/** The base train config with each dotted field set to the trial's value. */
export function trainConfig(o: TrainObjective, params: Record<string, unknown>): Record<string, unknown> {
  const c = structuredClone(trainBase(o));
  for (const [k, v] of Object.entries(params)) {
    const parts = k.split(".");
    let cur = c;
    for (const p of parts.slice(0, -1)) cur = cur[p] as Record<string, unknown>;
    cur[parts[parts.length - 1] as string] = v;
  }
  return c;
}

async function evaluateTrain(o: TrainObjective, params: Record<string, unknown>, opts: ObjectiveOptions): Promise<ObjectiveResult> {
  if (!opts.trialDir) throw new Error("a train objective needs a trial folder");
  mkdirSync(opts.trialDir, { recursive: true });
  const c = trainConfig(o, params);
  // A train config's own store is relative to the working directory, as for `tradelab train`.
  const store = opts.store ?? o.store ?? (typeof c.store === "string" ? path.resolve(c.store) : undefined);
  const file = path.join(opts.trialDir, "train.json");
  writeFileSync(file, `${JSON.stringify(c, null, 2)}\n`);
  const args = ["train", "--config", file, "--out", path.join(opts.trialDir, "checkpoint")];
  if (store) args.push("--store", store);
  if (o.device) args.push("--device", o.device);
  const stop = new AbortController();
  let last: { step: number; value: number } | undefined;
  let events: TrainEvent[];
  try {
    events = await runTrainBinary(args, {
      signal: stop.signal,
      onEvent: (e) => {
        if (e.event !== "epoch" || !e.val || stop.signal.aborted) return;
        const v = (e.val.metrics as unknown as Record<string, unknown>)[o.metric];
        if (typeof v !== "number") return;
        last = { step: e.epoch, value: v };
        void Promise.resolve(opts.report?.(e.epoch, v)).then((p) => p && stop.abort());
      },
    });
  } catch (e) {
    if (!stop.signal.aborted) throw e;
    return { value: last?.value ?? Number.NaN, pruned: true, metrics: { prunedAtEpoch: last?.step ?? null }, record: { symbols: [o.symbol], interval: o.interval, split: "val" }, inputs: { trainConfig: file } };
  }
  const done = events.find((e) => e.event === "done");
  if (!done || done.event !== "done" || !done.val) throw new TradelabError("the trainer finished without an exact validation result");
  const metrics = { ...(done.val.metrics as unknown as Record<string, unknown>), bestEpoch: done.bestEpoch, trainSeconds: done.seconds };
  return {
    value: metricOf(metrics, o.metric, "the best epoch's exact validation"),
    metrics,
    record: { symbols: [o.symbol], interval: o.interval, split: "val", window: { first: done.val.window.first, last: done.val.window.last }, assumptions: done.val.assumptions },
    inputs: { trainConfig: file, checkpoint: done.checkpoint },
  };
}

export async function evaluate(o: Objective, params: Record<string, unknown>, opts: ObjectiveOptions): Promise<ObjectiveResult> {
  if (o.kind === "train") return evaluateTrain(o, params, opts);
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
      inputs: { strategy, simParams },
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
    inputs: { strategy, simParams },
  };
}
