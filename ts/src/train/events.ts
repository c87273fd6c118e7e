/**
 * The JSON-lines events `tradelab-train` prints on stdout (crates/train/README.md, "Events"),
 * as a discriminated union on `event`, and the line parser.
 */
import { TradelabError } from "../errors.js";
import type { Environment } from "../registry/environment.js";
import type { Metrics, RobustScore, RoundTrip, SimLabel, SimParams, StressRow, Trade } from "../sim.js";

export type TrainSplit = "train" | "val" | "test";

/** The bars an exact evaluation ran on (epoch ms of the first and last bar open). */
export interface TrainEvalWindow {
  split: TrainSplit;
  first: number;
  last: number;
  bars: number;
}

/** Exact-simulator summary of one split (per epoch, and the best one in `done`). */
export interface SplitSummary {
  symbol: string;
  interval: string;
  assumptions: SimLabel;
  window: TrainEvalWindow;
  metrics: Metrics;
}

/** Bar-open-time bounds of the checkpoint's splits. */
export interface SplitBounds {
  trainStart: number;
  trainEnd: number;
  valStart: number;
  valEnd: number;
  testStart: number;
  testEnd: number;
}

export interface StartEvent {
  event: "start";
  device: string;
  cuda: boolean;
  params: number;
  trainWindows: number;
  valBars: number;
  features: number;
  splits: SplitBounds;
  dataHash: string;
  resumedFrom: string | null;
  startEpoch: number;
  /** The full resolved config (see the README's config table). */
  config: Record<string, unknown>;
  /** `"forecaster"` for train-forecaster. */
  kind?: string;
  /** Where it trains: CPU, SIMD, libtorch build and threads, device, deterministic mode (absent from train-forecaster). */
  environment?: Environment;
}

export interface ProgressEvent {
  event: "progress";
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  softSortino: number;
  lr: number;
  adamLr: number;
  temperature: number;
  samplesPerSec: number;
}

export interface EpochEvent {
  event: "epoch";
  epoch: number;
  epochs: number;
  trainLoss: number;
  val: SplitSummary | null;
  valSortino: Record<string, number>;
  best: boolean;
  seconds: number;
}

export interface DoneEvent {
  event: "done";
  checkpoint: string;
  bestEpoch: number | null;
  val: SplitSummary | null;
  seconds: number;
}

/** An exact evaluation of the checkpoint's best weights on one split. */
export interface EvalResult extends SplitSummary {
  trades: Trade[];
  /** Flat to flat, computed in Rust by the engine's rule. */
  roundTrips: RoundTrip[];
  finalCash: number;
  finalInventory: number;
  /** Bar open times (epoch ms), equity at each bar close, close price. */
  curve: { ts: number[]; equity: number[]; close: number[] };
  /** True when the test split had been looked at before (`--i-know-test-is-burned`). */
  testBurned: boolean;
  /** Validation: `selection window, best of N epochs`, the window that chose the best epoch. */
  selection?: string | null;
  dataHash: string;
  /**
   * False when bars inside the checkpoint's splits changed since training; null for a transfer
   * symbol (the checkpoint's data hash covers its trained symbols only).
   */
  dataHashMatches: boolean | null;
  bestEpoch: number | null;
  /** The epoch evaluated (`--epoch`, else the best). */
  epoch: number | null;
  /** Summaries of the other symbols of a global policy (empty for a transfer symbol). */
  otherSymbols: SplitSummary[];
  /** The checkpoint never trained on `symbol`: a transfer result. */
  transfer: boolean;
  /** `transfer (not trained on SYM)` for a transfer symbol, else null. */
  transferLabel: string | null;
  /** The symbols the checkpoint trained on (the first is its target). */
  trainedSymbols: string[];
  /** First and last bar open time of the rows `symbol`'s normaliser was fitted on (its training window). */
  normaliserFittedRows: [number, number] | null;
  /** The same actions under touch, lag+1, 15 bps, fees x2 and lag 0 (OPTIMISTIC), from Rust. */
  stress: StressRow[];
  /** The seed's robust score over lags 0/1/2 × buffers 0–15 bps × trailing windows. */
  robust: RobustScore;
  /** An ensemble's eval: its members (absent for a checkpoint). */
  ensemble?: EnsembleSummary | null;
}

/** An ensemble's members (crates/train serve.rs `EnsembleSummary`). */
export interface EnsembleSummary {
  /** The members' checkpoint directories, in order. */
  members: string[];
  /** Each member's epoch (null = its best). */
  epochs: (number | null)[];
  /** The ensemble's identity: SHA-256 over its members' seal hashes and epochs. */
  sealHash: string;
  /** How the members were chosen (`study S: top N ...`). */
  source: string | null;
}

/** What `tradelab-train actions` served (crates/train serve.rs `ActionsSummary`). */
export interface ActionsSummary {
  symbol: string;
  interval: string;
  epoch: number | null;
  bestEpoch: number | null;
  rows: number;
  /** Rows with at least one order (rows before the feature window is valid have none). */
  decided: number;
  first: number;
  last: number;
  /** The window overlaps the checkpoint's test split (a look, claimed in the test lock). */
  touchesTest: boolean;
  burned: boolean;
  sealHash: string;
  /** Null for a transfer symbol (the checkpoint's data hash covers its trained symbols only). */
  dataHashMatches: boolean | null;
  /**
   * The checkpoint never trained on `symbol`: served as a transfer, with a normaliser fitted on
   * its own rows inside the checkpoint's training window and the mean symbol embedding.
   */
  transfer: boolean;
  /** `transfer (not trained on SYM)` for a transfer symbol, else null. */
  transferLabel: string | null;
  /** The symbols the checkpoint trained on (the first is its target). */
  trainedSymbols: string[];
  /** First and last bar open time of the rows the normaliser was fitted on. */
  normaliserFittedRows: [number, number];
  /** Simulate the actions with these to reproduce `eval`. */
  params: SimParams;
  out: string | null;
  /** Served through an ensemble (the row-wise mean of its members' actions); null otherwise. */
  ensemble: EnsembleSummary | null;
}

export interface ActionsEvent {
  event: "actions";
  checkpoint: string;
  result: ActionsSummary;
  /** Where the policy ran. */
  environment?: Environment;
}

export interface EvalEvent {
  event: "eval";
  split: "val" | "test";
  checkpoint: string;
  result: EvalResult;
  /** Where the evaluation ran (libtorch for the policy, the exact simulator for the numbers). */
  environment?: Environment;
}

export interface BenchEvent {
  event: "bench";
  arch: string;
  batch: number;
  seq: number;
  features: number;
  dModel: number;
  layers: number;
  heads: number;
  kvHeads: number;
  steps: number;
  samplesPerSec: number;
  stepsPerSec: number;
  seconds: number;
  device: string;
  threads: number;
  params: number;
}

export interface ErrorEvent {
  event: "error";
  message: string;
  /** Stable code where callers branch on it (`TEST_BURNED`). */
  code?: string;
}

export type TrainEvent = StartEvent | ProgressEvent | EpochEvent | DoneEvent | EvalEvent | ActionsEvent | BenchEvent | ErrorEvent;

const KNOWN = new Set(["start", "progress", "epoch", "done", "eval", "actions", "bench", "error"]);

/**
 * One stdout line -> an event; `null` for a blank line. Anything else on stdout breaks the
 * binary's contract, so it is an error naming the line.
 */
export function parseEventLine(line: string, lineNo = 0): TrainEvent | null {
  const text = line.trim();
  if (text === "") return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new TradelabError(`tradelab-train stdout line ${lineNo}: not JSON: ${text.slice(0, 200)}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new TradelabError(`tradelab-train stdout line ${lineNo}: expected a JSON object, got ${text.slice(0, 200)}`);
  }
  const ev = (v as { event?: unknown }).event;
  if (typeof ev !== "string" || !KNOWN.has(ev)) {
    throw new TradelabError(`tradelab-train stdout line ${lineNo}: unknown event ${JSON.stringify(ev)}`);
  }
  return v as TrainEvent;
}
