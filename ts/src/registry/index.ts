/**
 * The run registry: every backtest, sweep, train and eval run recorded in one SQLite file
 * (crates/registry through the addon) with its config, data hash, code version, metrics and
 * artefact paths. The file is `--registry FILE`, else `$TRADELAB_REGISTRY`, else
 * `./tradelab-runs.sqlite`. Several processes may record into it at once (WAL + busy timeout).
 */
import { resolveRegistryPath } from "../config.js";
import { redactDeep } from "../redact.js";
import { native } from "../errors.js";
import { addon } from "../native.js";
import type { SimLabel } from "../sim.js";
import { codeVersion } from "./provenance.js";
import { environment, type Environment, type EnvironmentRow } from "./environment.js";

export { codeVersion, hashFiles, storeDataHash } from "./provenance.js";
export { environment, environmentText, type Environment, type EnvironmentRow, type LibtorchEnvironment } from "./environment.js";
export { labelText, progressLog, progressRows, type ProgressLogFormat, type ProgressLogRow } from "./progress-log.js";
export { backtestRunInput, harvestRunInput, portfolioRunInput, portfolioSweepRunInput, sweepRunInput, type RecordExtras } from "./from-sim.js";

export const RUN_KINDS = ["backtest", "sweep", "walk-forward", "train", "eval", "demo", "forecast", "study", "trial", "paper", "live"] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** Which bars a run's numbers were measured on (epoch ms of the first and last bar open). */
export interface RunWindow {
  first: number;
  last: number;
}

/**
 * What a caller records. Omitted `codeVersion` is filled in from package.json + git, an omitted
 * `environment` with this process's (train/eval runs carry the trainer's, with libtorch).
 */
export interface RunInput {
  kind: RunKind;
  symbols: string[];
  interval?: string;
  /** `full`, `custom`, `train`, `val`, `test`, ... */
  split?: string;
  /** Extra keys (e.g. an EvalWindow's `bars`, `split`) are ignored. */
  window?: RunWindow;
  assumptions?: SimLabel | null;
  /** The flags / strategy / parameters the run used (any JSON). */
  config: unknown;
  /** e.g. `sha256:…` of the bars files (see `storeDataHash`). */
  dataHash?: string;
  codeVersion?: string;
  /** What the numbers depend on beyond config, seed and data (CPU, SIMD, threads, libtorch, device). */
  environment?: Environment;
  /** Metric name -> value; numeric top-level values are what `compareRuns` lines up. */
  metrics?: Record<string, unknown>;
  /** Artefact name -> path (e.g. `{ out: "sweep.parquet", report: "report.html" }`). */
  artifacts?: Record<string, string>;
  notes?: string;
  /** The run this one derives from (e.g. eval -> train run id). Must exist. */
  parent?: string;
  /** Epoch ms; now when omitted. */
  createdAt?: number;
}

/** A stored run. */
export interface RunRecord {
  /** `r-YYYYMMDD-HHMMSS-xxxx` (UTC). Commands accept any unique prefix. */
  id: string;
  kind: RunKind;
  createdAt: number;
  symbols: string[];
  interval: string | null;
  split: string | null;
  window: RunWindow | null;
  assumptions: SimLabel | null;
  config: unknown;
  dataHash: string | null;
  codeVersion: string | null;
  /** null for runs recorded before environments were. */
  environment: Environment | null;
  metrics: Record<string, unknown>;
  artifacts: Record<string, string>;
  notes: string | null;
  parent: string | null;
}

export interface RunFilter {
  kind?: RunKind;
  /** Runs whose symbols include this one. */
  symbol?: string;
  limit?: number;
}

/** Numeric metrics of several runs, one row per metric (`null` where a run lacks it). */
export interface RunComparison {
  runs: RunRecord[];
  metrics: { metric: string; values: (number | null)[] }[];
  /** Environment fields that differ between the runs that recorded one. */
  environment: EnvironmentRow[];
  /** Every run recorded an environment and they are all the same. */
  sameEnvironment: boolean;
}

export { resolveRegistryPath };

/** The record with its keys in schema order (the addon hands objects back with sorted keys). */
function ordered(r: RunRecord): RunRecord {
  return {
    id: r.id,
    kind: r.kind,
    createdAt: r.createdAt,
    symbols: r.symbols,
    interval: r.interval,
    split: r.split,
    window: r.window,
    assumptions: r.assumptions,
    config: r.config,
    dataHash: r.dataHash,
    codeVersion: r.codeVersion,
    environment: r.environment ?? null,
    metrics: r.metrics,
    artifacts: r.artifacts,
    notes: r.notes,
    parent: r.parent,
  };
}

/** One registry file. Each call opens the file briefly, so a handle is cheap and never stale. */
export class RunRegistry {
  readonly path: string;
  constructor(file?: string) {
    this.path = resolveRegistryPath(file);
  }

  async record(input: RunInput): Promise<RunRecord> {
    const { window, ...rest } = input;
    // Nothing recorded may carry a secret (configured keys, auth header values in error text).
    const body = redactDeep({
      ...rest,
      codeVersion: input.codeVersion ?? codeVersion(),
      environment: input.environment ?? environment(),
      ...(window ? { window: { first: window.first, last: window.last } } : {}),
    });
    return ordered((await native(() => addon.registryRecord(this.path, JSON.stringify(body)))) as RunRecord);
  }

  async list(filter: RunFilter = {}): Promise<RunRecord[]> {
    return ((await native(() => addon.registryList(this.path, JSON.stringify(filter)))) as RunRecord[]).map(ordered);
  }

  /** By full id or unique prefix; a clear error when none or several match. */
  async get(id: string): Promise<RunRecord> {
    return ordered((await native(() => addon.registryGet(this.path, id))) as RunRecord);
  }

  async compare(ids: string[]): Promise<RunComparison> {
    const c = (await native(() => addon.registryCompare(this.path, ids))) as RunComparison;
    return { runs: c.runs.map(ordered), metrics: c.metrics, environment: c.environment, sameEnvironment: c.sameEnvironment };
  }
}

export function openRegistry(file?: string): RunRegistry {
  return new RunRegistry(file);
}

/** Where the free functions below record: `{ registry: FILE }`, else the default path. */
export interface RegistryOption {
  registry?: string;
}

export function recordRun(input: RunInput, o: RegistryOption = {}): Promise<RunRecord> {
  return openRegistry(o.registry).record(input);
}

export function listRuns(filter: RunFilter = {}, o: RegistryOption = {}): Promise<RunRecord[]> {
  return openRegistry(o.registry).list(filter);
}

export function getRun(id: string, o: RegistryOption = {}): Promise<RunRecord> {
  return openRegistry(o.registry).get(id);
}

export function compareRuns(ids: string[], o: RegistryOption = {}): Promise<RunComparison> {
  return openRegistry(o.registry).compare(ids);
}
