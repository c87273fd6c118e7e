/**
 * Training and exact evaluation of learned limit-order policies through the `tradelab-train`
 * binary (crates/train, libtorch). `train` streams events while it runs; `evaluate` runs the
 * checkpoint's best weights through the exact simulator on its own val or test split. The test
 * split is locked by the binary: a second look is refused unless `iKnowTestIsBurned`.
 */
import path from "node:path";
import { TradelabError } from "../errors.js";
import { openRegistry, resolveRegistryPath, type Environment, type RunInput, type RunRecord } from "../registry/index.js";
import { runTrainBinary } from "./binary.js";
import type { ActionsEvent, ActionsSummary, EpochEvent, EvalEvent, EvalResult, SplitSummary, StartEvent, TrainEvent } from "./events.js";
import { readActionsFile, type ActionArrays } from "../actions-file.js";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";

export { locateTrainBinary, requireTorch, runTrainBinary, trainBinaryCandidates, type RunTrainBinaryOptions } from "./binary.js";
export { setupTorchVenv, torchInfo, torchVenvDir, TORCH_VERSION, type TorchInfo } from "./torch-venv.js";
export { parseEventLine } from "./events.js";
export type * from "./events.js";

export type TrainDevice = "auto" | "cpu" | "cuda";

/** Record the run in the registry: `true` = default registry file, or `{ registry: FILE }`. */
export type RecordOption = boolean | { registry?: string };

export interface TrainOptions {
  /** Checkpoint directory (default: runs/train/<SYM>-<arch>-<stamp>, chosen by the binary). */
  out?: string;
  device?: TrainDevice;
  /** Continue from this checkpoint directory (raise training.epochs in the config). */
  resume?: string;
  /** Bar store; overrides the config's `store`. */
  store?: string;
  record?: RecordOption;
  /**
   * Deterministic mode (`--deterministic`): libtorch on one intra-op and one inter-op thread,
   * CPU only; recorded in the config, the checkpoint and the run's environment.
   */
  deterministic?: boolean;
  /** The binary's stderr text (for people), as it arrives. */
  onStderr?: (text: string) => void;
}

export interface TrainDone {
  checkpoint: string;
  bestEpoch: number | null;
  /** Exact validation of the best epoch. */
  val: SplitSummary | null;
  seconds: number;
  start: StartEvent;
  epochs: EpochEvent[];
  /** Set when the run was recorded. */
  runId?: string;
}

export interface EvaluateOptions {
  /** Evaluate this epoch's weights (kept per `training.keepEpochs`) instead of the best. */
  epoch?: number;
  /**
   * Evaluate this symbol (default: the target). One the checkpoint never trained on is a
   * labelled transfer: normaliser fitted on its own training-window rows, its own test lock.
   */
  symbol?: string;
  store?: string;
  /** Required for a second look at the test split. */
  iKnowTestIsBurned?: boolean;
  /** Also write the result object to this JSON file. */
  out?: string;
  device?: TrainDevice;
  record?: RecordOption;
  /** One libtorch thread, CPU only (a checkpoint trained deterministically is always evaluated so). */
  deterministic?: boolean;
  /**
   * Registry holding the global test lock (default: the record registry, else
   * `$TRADELAB_REGISTRY` or ./tradelab-runs.sqlite). Consulted for `test` even when not recording.
   */
  lockRegistry?: string;
}

export interface EvalDone {
  split: "val" | "test";
  checkpoint: string;
  result: EvalResult;
  /** Where the evaluation ran (from the trainer binary). */
  environment?: Environment;
  runId?: string;
  /** The train run this checkpoint came from, when the registry knows it. */
  parentRunId?: string;
}

function registryOf(r: RecordOption | undefined): { registry?: string } | undefined {
  if (!r) return undefined;
  return r === true ? {} : r;
}

function only<E extends TrainEvent["event"]>(events: TrainEvent[], kind: E): Extract<TrainEvent, { event: E }> | undefined {
  return events.find((e): e is Extract<TrainEvent, { event: E }> => e.event === kind);
}

/** The train run as a registry record: split val, the best epoch's exact validation metrics. */
export function trainRunInput(done: Omit<TrainDone, "runId">, configFile?: string): RunInput {
  const cfg = done.start.config;
  const symbols = Array.isArray(cfg["symbols"]) ? (cfg["symbols"] as string[]) : done.val ? [done.val.symbol] : [];
  const interval = typeof cfg["interval"] === "string" ? cfg["interval"] : done.val?.interval;
  return {
    kind: "train",
    symbols,
    ...(interval ? { interval } : {}),
    split: "val",
    ...(done.val ? { window: done.val.window, assumptions: done.val.assumptions } : {}),
    config: { ...cfg, ...(configFile ? { configFile: path.resolve(configFile) } : {}), splits: done.start.splits, resumedFrom: done.start.resumedFrom },
    dataHash: done.start.dataHash,
    ...(done.start.environment ? { environment: done.start.environment } : {}),
    metrics: {
      ...(done.val ? done.val.metrics : {}),
      bestEpoch: done.bestEpoch,
      epochs: done.epochs.length,
      params: done.start.params,
      seconds: done.seconds,
      finalTrainLoss: done.epochs.at(-1)?.trainLoss ?? null,
    },
    artifacts: { checkpoint: path.resolve(done.checkpoint) },
  };
}

/** An evaluation as a registry record (without trades and curve). */
export function evalRunInput(e: Omit<EvalDone, "runId" | "parentRunId">, parent?: string): RunInput {
  const r = e.result;
  return {
    kind: "eval",
    symbols: [r.symbol, ...r.otherSymbols.map((o) => o.symbol)],
    interval: r.interval,
    split: r.selection ? `${e.split} (${r.selection})` : r.testBurned ? `${e.split} (burned)` : e.split,
    window: r.window,
    assumptions: r.assumptions,
    config: {
      checkpoint: path.resolve(e.checkpoint),
      bestEpoch: r.bestEpoch,
      selection: r.selection ?? null,
      testBurned: r.testBurned,
      dataHashMatches: r.dataHashMatches,
      ...(r.transfer ? { transfer: true, trainedSymbols: r.trainedSymbols, normaliserFittedRows: r.normaliserFittedRows } : {}),
    },
    ...(r.transfer ? { notes: `${r.transferLabel ?? `transfer (not trained on ${r.symbol})`}; trained on ${r.trainedSymbols.join(", ")}` } : {}),
    dataHash: r.dataHash,
    ...(e.environment ? { environment: e.environment } : {}),
    metrics: { ...r.metrics, finalCash: r.finalCash, finalInventory: r.finalInventory },
    artifacts: { checkpoint: path.resolve(e.checkpoint) },
    ...(parent ? { parent } : {}),
  };
}

/** Trains a policy from a config file (crates/train/README.md lists every field). */
export async function train(configPath: string, opts: TrainOptions = {}, onEvent?: (e: TrainEvent) => void): Promise<TrainDone> {
  const args = ["train", "--config", configPath];
  if (opts.out) args.push("--out", opts.out);
  if (opts.device) args.push("--device", opts.device);
  if (opts.resume) args.push("--resume", opts.resume);
  if (opts.store) args.push("--store", opts.store);
  if (opts.deterministic) args.push("--deterministic");
  const events = await runTrainBinary(args, { ...(onEvent ? { onEvent } : {}), ...(opts.onStderr ? { onStderr: opts.onStderr } : {}) });
  const start = only(events, "start");
  const done = only(events, "done");
  if (!start || !done) throw new TradelabError("tradelab-train train finished without its start/done events");
  const out: TrainDone = {
    checkpoint: done.checkpoint,
    bestEpoch: done.bestEpoch,
    val: done.val,
    seconds: done.seconds,
    start,
    epochs: events.filter((e): e is EpochEvent => e.event === "epoch"),
  };
  const reg = registryOf(opts.record);
  if (reg) out.runId = (await openRegistry(reg.registry).record(trainRunInput(out, configPath))).id;
  return out;
}

/** The latest train run whose checkpoint artefact is this directory. */
async function trainRunFor(checkpoint: string, registry?: string): Promise<RunRecord | undefined> {
  const dir = path.resolve(checkpoint);
  const runs = await openRegistry(registry).list({ kind: "train" });
  return runs.find((r) => r.artifacts["checkpoint"] === dir);
}

/** Exact evaluation of a checkpoint's best weights on its val or (locked) test split. */
export async function evaluate(checkpoint: string, split: "val" | "test", opts: EvaluateOptions = {}): Promise<EvalDone> {
  if (split !== "val" && split !== "test") throw new TradelabError(`split must be val or test, got '${String(split)}'`);
  const args = ["eval", "--checkpoint", checkpoint, "--split", split];
  if (opts.epoch !== undefined) args.push("--epoch", String(opts.epoch));
  if (opts.symbol) args.push("--symbol", opts.symbol);
  if (opts.iKnowTestIsBurned) args.push("--i-know-test-is-burned");
  if (opts.store) args.push("--store", opts.store);
  if (opts.out) args.push("--out", opts.out);
  if (opts.device) args.push("--device", opts.device);
  if (opts.deterministic) args.push("--deterministic");
  if (split === "test") args.push("--registry", resolveRegistryPath(opts.lockRegistry ?? registryOf(opts.record)?.registry));
  const events = await runTrainBinary(args);
  const ev: EvalEvent | undefined = only(events, "eval");
  if (!ev) throw new TradelabError("tradelab-train eval finished without an eval event");
  const out: EvalDone = { split: ev.split, checkpoint: ev.checkpoint, result: ev.result, ...(ev.environment ? { environment: ev.environment } : {}) };
  const reg = registryOf(opts.record);
  if (reg) {
    const parent = await trainRunFor(ev.checkpoint, reg.registry);
    if (parent) out.parentRunId = parent.id;
    out.runId = (await openRegistry(reg.registry).record(evalRunInput(out, parent?.id))).id;
  }
  return out;
}

export interface PolicyActionsOptions {
  /** Serve this epoch's weights (default: the best epoch). */
  epoch?: number;
  /**
   * One of the checkpoint's symbols (default: its first, the target), or one it never trained
   * on: served as a labelled transfer (`summary.transfer`).
   */
  symbol?: string;
  /** One of the checkpoint's own splits, or a window `from`/`to` (epoch ms or ISO-8601; `to` exclusive). */
  split?: "train" | "val" | "test";
  from?: number | string;
  to?: number | string;
  /** Also write the actions here (`.parquet` or `.csv`). */
  out?: string;
  store?: string;
  device?: TrainDevice;
  /** Required for a window that overlaps a test split seen before. */
  iKnowTestIsBurned?: boolean;
  /** Registry holding the global test lock (default: `$TRADELAB_REGISTRY` or ./tradelab-runs.sqlite). */
  lockRegistry?: string;
  /** One libtorch thread, CPU only. */
  deterministic?: boolean;
}

export interface PolicyActions {
  checkpoint: string;
  summary: ActionsSummary;
  /** Where the policy ran (from the trainer binary). */
  environment?: Environment;
  /** One row per bar of the window, keyed by bar open time: what `backtest` takes. */
  actions: ActionArrays;
}

/** What `checkpoint.json` stores about its splits and epochs (read, never re-derived here). */
export interface CheckpointSplits {
  /** The first bar the weights never trained on. */
  valStart: number;
  testStart: number;
  /** Epochs recorded in the checkpoint, in order. */
  epochs: number[];
}

/** Reads a checkpoint's stored split bounds and epochs; errors name the file. */
export function checkpointSplits(dir: string): CheckpointSplits {
  const file = path.join(dir, "checkpoint.json");
  if (existsSync(path.join(dir, "ensemble.json")))
    throw new TradelabError(`${dir} is an ensemble: it has no epochs to walk forward (walk its members, or give the ensemble to eval, actions, a sweep or a paper run)`, { code: "USAGE" });
  let meta: { splits?: { valStart?: unknown; testStart?: unknown }; epochs?: { epoch?: unknown }[] };
  try {
    meta = JSON.parse(readFileSync(file, "utf8")) as typeof meta;
  } catch (e) {
    throw new TradelabError(`${file}: cannot read the checkpoint (${e instanceof Error ? e.message : String(e)})`);
  }
  const { valStart, testStart } = meta.splits ?? {};
  if (typeof valStart !== "number" || typeof testStart !== "number") throw new TradelabError(`${file}: no splits.valStart/testStart`);
  const epochs = (meta.epochs ?? []).map((e) => e.epoch).filter((e): e is number => typeof e === "number");
  return { valStart, testStart, epochs };
}

/**
 * A checkpoint's actions on any stored bars (bars appended after training included), with its
 * saved normalisers and feature schema: never refitted, a schema mismatch is refused. A window
 * that overlaps the test split is a look at it and goes through the global test lock.
 */
export async function policyActions(checkpoint: string, opts: PolicyActionsOptions = {}): Promise<PolicyActions> {
  const args = ["actions", "--checkpoint", checkpoint];
  if (opts.split && (opts.from !== undefined || opts.to !== undefined)) throw new TradelabError("policyActions: give split or from/to, not both");
  if (opts.split) args.push("--split", opts.split);
  if (opts.from !== undefined) args.push("--from", String(opts.from));
  if (opts.to !== undefined) args.push("--to", String(opts.to));
  if (opts.epoch !== undefined) args.push("--epoch", String(opts.epoch));
  if (opts.symbol) args.push("--symbol", opts.symbol);
  if (opts.store) args.push("--store", opts.store);
  if (opts.device) args.push("--device", opts.device);
  if (opts.iKnowTestIsBurned) args.push("--i-know-test-is-burned");
  if (opts.deterministic) args.push("--deterministic");
  args.push("--registry", resolveRegistryPath(opts.lockRegistry));
  // Without `out`, the actions go through a temporary CSV (exact: Rust writes shortest round-trip floats).
  const tmp = opts.out ? undefined : mkdtempSync(path.join(os.tmpdir(), "tradelab-actions-"));
  const file = opts.out ?? path.join(tmp ?? ".", "actions.csv");
  try {
    const events = await runTrainBinary([...args, "--out", file]);
    const ev: ActionsEvent | undefined = only(events, "actions");
    if (!ev) throw new TradelabError("tradelab-train actions finished without an actions event");
    return {
      checkpoint: ev.checkpoint,
      summary: { ...ev.result, out: opts.out ? ev.result.out : null },
      ...(ev.environment ? { environment: ev.environment } : {}),
      actions: readActionsFile(file),
    };
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** What `train-forecaster` reports at the end. */
export interface ForecasterDone {
  checkpoint: string;
  bestEpoch: number | null;
  /** Best validation pinball loss, in target-std units. */
  valPinball: number | null;
}

/** Trains the neural quantile forecaster (`train-forecaster`). */
export async function trainForecaster(
  configPath: string,
  opts: Pick<TrainOptions, "out" | "device" | "store" | "onStderr"> = {},
  onEvent?: (e: TrainEvent) => void,
): Promise<ForecasterDone> {
  const args = ["train-forecaster", "--config", configPath];
  if (opts.out) args.push("--out", opts.out);
  if (opts.device) args.push("--device", opts.device);
  if (opts.store) args.push("--store", opts.store);
  const events = await runTrainBinary(args, { ...(onEvent ? { onEvent } : {}), ...(opts.onStderr ? { onStderr: opts.onStderr } : {}) });
  const done = [...events].reverse().find((e) => e.event === "done") as unknown as Partial<ForecasterDone> | undefined;
  if (!done || typeof done.checkpoint !== "string") throw new TradelabError("tradelab-train train-forecaster finished without a done event");
  return { checkpoint: done.checkpoint, bestEpoch: done.bestEpoch ?? null, valPinball: done.valPinball ?? null };
}
