/**
 * A study config file (`study.json`): the search space, sampler, pruner, budget and the
 * objective (a metric of a backtest on a named split, or of walk-forward out-of-sample results).
 * The objective never sees the locked test window: `split: "test"`, from/to and anything else
 * that could reach it is refused here, naming the field.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { TradelabError } from "../errors.js";
import type * as G from "../generated/engine.js";
import type * as S from "../generated/study.js";
import { readConfigFile } from "../cli/ui.js";

export interface BacktestObjective {
  kind: "backtest";
  symbol: string;
  interval: string;
  store?: string;
  /** `train` or `val` (default val). */
  split: "train" | "val";
  splits?: { valDays?: number; testDays?: number; purgeBars?: number | null; maxTrainDays?: number | null };
  /** A key of the engine's Metrics (`sortino`, `sharpe`, `totalReturn`, ...). */
  metric: string;
  strategy: G.Strategy;
  base: Partial<G.SimParams>;
}

export interface WalkForwardObjective {
  kind: "walkForward";
  symbol: string;
  interval: string;
  store?: string;
  folds: G.WalkForwardRequest["folds"];
  /** A key of the out-of-sample CurveMetrics (`sortino`, `sharpe`, `totalReturn`, ...). */
  metric: string;
  strategy: G.Strategy;
  base: Partial<G.SimParams>;
}

/** Each trial trains a policy: the base train config with the trial's fields set (dotted paths). */
export interface TrainObjective {
  kind: "train";
  /** The base train config (absolute path). */
  config: string;
  /** From the train config, for the registry records. */
  symbol: string;
  interval: string;
  store?: string;
  /** A key of the exact validation Metrics of the best epoch (default sortino). */
  metric: string;
  device?: "auto" | "cpu" | "cuda";
}

export type Objective = BacktestObjective | WalkForwardObjective | TrainObjective;

/** Train-config fields a study may not search: they move the data or the locked test window. */
const TRAIN_FROZEN = ["splits", "store", "symbols", "interval"];

export interface StudyConfig {
  name: string;
  direction: S.Direction;
  nTrials: number;
  /** Trials run at once (default: the machine's available parallelism). */
  concurrency?: number;
  sampler?: S.SamplerSpec;
  pruner?: S.PrunerSpec;
  seed?: number;
  space: Record<string, S.Param>;
  objective: Objective;
  /** Optuna JournalStorage log (default `<config dir>/<name>.optuna-journal.log`). */
  journal: string;
  /** The folder relative paths in the objective resolve against (the config file's). */
  baseDir: string;
}

const TOP = ["name", "direction", "nTrials", "concurrency", "sampler", "pruner", "seed", "space", "objective", "journal"];
const BACKTEST = ["kind", "symbol", "interval", "store", "split", "splits", "metric", "strategy", "base"];
const WALK = ["kind", "symbol", "interval", "store", "folds", "metric", "strategy", "base"];

const fail = (field: string, msg: string) => new TradelabError(`study config \`${field}\`: ${msg}`, { code: "STUDY_SPEC" });

function obj(v: unknown, field: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw fail(field, "expected a JSON object");
  return v as Record<string, unknown>;
}

function str(v: unknown, field: string): string {
  if (typeof v !== "string" || v === "") throw fail(field, "expected a non-empty string");
  return v;
}

function keys(o: Record<string, unknown>, allowed: string[], field: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw fail(`${field}.${k}`, `unknown field (allowed: ${allowed.join(", ")})`);
}

function parseTrainObjective(o: Record<string, unknown>, baseDir: string): TrainObjective {
  keys(o, ["kind", "config", "metric", "store", "device"], "objective");
  const file = path.resolve(baseDir, str(o.config, "objective.config"));
  let t: Record<string, unknown>;
  try {
    t = obj(JSON.parse(readFileSync(file, "utf8")), "objective.config");
  } catch (e) {
    throw fail("objective.config", `${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const symbols = t.symbols;
  if (!Array.isArray(symbols) || typeof symbols[0] !== "string") throw fail("objective.config", `${file}: needs "symbols"`);
  const device = o.device;
  if (device !== undefined && device !== "auto" && device !== "cpu" && device !== "cuda") throw fail("objective.device", `'${String(device)}' is not auto, cpu or cuda`);
  return {
    kind: "train",
    config: file,
    symbol: symbols[0],
    interval: typeof t.interval === "string" ? t.interval : "1h",
    metric: o.metric === undefined ? "sortino" : str(o.metric, "objective.metric"),
    ...(o.store !== undefined ? { store: path.resolve(baseDir, str(o.store, "objective.store")) } : {}),
    ...(device !== undefined ? { device } : {}),
  };
}

/** The base train config of a train objective. */
export function trainBase(o: TrainObjective): Record<string, unknown> {
  return JSON.parse(readFileSync(o.config, "utf8")) as Record<string, unknown>;
}

/** A train study's searched field must exist in the base config (a typo is an error) and not be frozen. */
function checkTrainField(o: TrainObjective, name: string): void {
  if (TRAIN_FROZEN.includes(name.split(".")[0] as string)) throw fail(`space.${name}`, `'${name}' is not searchable: it changes the data or the splits (and so the locked test window)`);
  let cur: unknown = trainBase(o);
  for (const part of name.split(".")) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, part)) throw fail(`space.${name}`, `not a field of ${o.config} (give it a default there)`);
    cur = (cur as Record<string, unknown>)[part];
  }
}

/** The objective, checked: never the test split, never a span that could reach it. */
export function parseObjective(v: unknown, baseDir = process.cwd()): Objective {
  const o = obj(v, "objective");
  const kind = o.kind ?? "backtest";
  if (kind === "train") {
    if (o.split !== undefined) throw fail("objective.split", "a train objective is the trainer's exact validation Sortino (its val split); it takes no split");
    return parseTrainObjective(o, baseDir);
  }
  if (o.split === "test") {
    throw fail("objective.split", "'test' is the locked test window; a study optimises on train or val (or walk-forward folds before test), never on test");
  }
  for (const k of ["from", "to"]) {
    if (o[k] !== undefined) throw fail(`objective.${k}`, "a study's objective runs on a named split (or walk-forward's span before test), not a custom window that could reach the test split");
  }
  const strategy = obj(o.strategy, "objective.strategy") as unknown as G.Strategy;
  if (strategy.kind === undefined) throw fail("objective.strategy.kind", "missing");
  if ((strategy.kind as string) === "policy" || (strategy.kind as string) === "actions") throw fail("objective.strategy.kind", `'${strategy.kind}' is not searchable here yet: use a rule strategy (emaCross, smaCross, band)`);
  const base = (o.base === undefined ? {} : obj(o.base, "objective.base")) as Partial<G.SimParams>;
  const common = { symbol: str(o.symbol, "objective.symbol"), interval: o.interval === undefined ? "1h" : str(o.interval, "objective.interval"), metric: o.metric === undefined ? "sortino" : str(o.metric, "objective.metric"), strategy, base, ...(o.store !== undefined ? { store: str(o.store, "objective.store") } : {}) };
  if (kind === "backtest") {
    keys(o, BACKTEST, "objective");
    const split = o.split ?? "val";
    if (split !== "train" && split !== "val") throw fail("objective.split", `'${String(split)}' is not train or val`);
    return { kind, ...common, split, ...(o.splits !== undefined ? { splits: obj(o.splits, "objective.splits") as BacktestObjective["splits"] } : {}) };
  }
  if (kind === "walkForward") {
    keys(o, WALK, "objective");
    return { kind, ...common, folds: obj(o.folds, "objective.folds") as unknown as G.WalkForwardRequest["folds"] };
  }
  throw fail("objective.kind", `'${String(kind)}' is not backtest, walkForward or train`);
}

/** Which object a searched name sets: the strategy's field, else a simulator parameter in `base`. */
export function paramTarget(o: Objective, name: string): "strategy" | "base" | "train" {
  if (o.kind === "train") {
    checkTrainField(o, name);
    return "train";
  }
  if (name !== "kind" && Object.hasOwn(o.strategy, name)) return "strategy";
  if (Object.hasOwn(o.base, name)) return "base";
  throw fail(`space.${name}`, `not a field of objective.strategy (${Object.keys(o.strategy).filter((k) => k !== "kind").join(", ")}) or objective.base (${Object.keys(o.base).join(", ") || "empty"}); list it there with a default`);
}

export function parseStudyConfig(raw: Record<string, unknown>, baseDir: string): StudyConfig {
  keys(raw, TOP, "");
  const name = str(raw.name, "name");
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw fail("name", `'${name}' may hold only letters, digits, '.', '_' and '-'`);
  const direction = raw.direction ?? "maximize";
  if (direction !== "maximize" && direction !== "minimize") throw fail("direction", `'${String(direction)}' is not maximize or minimize`);
  const nTrials = raw.nTrials;
  if (typeof nTrials !== "number" || !Number.isInteger(nTrials) || nTrials < 1) throw fail("nTrials", "expected an integer >= 1");
  if (raw.concurrency !== undefined && (typeof raw.concurrency !== "number" || !Number.isInteger(raw.concurrency) || raw.concurrency < 1)) throw fail("concurrency", "expected an integer >= 1");
  const objective = parseObjective(raw.objective, baseDir);
  const space = obj(raw.space, "space") as Record<string, S.Param>;
  for (const k of Object.keys(space)) paramTarget(objective, k);
  const journal = raw.journal === undefined ? `${name}.optuna-journal.log` : str(raw.journal, "journal");
  return {
    name,
    direction,
    nTrials,
    ...(raw.concurrency !== undefined ? { concurrency: raw.concurrency as number } : {}),
    ...(raw.sampler !== undefined ? { sampler: raw.sampler as S.SamplerSpec } : {}),
    ...(raw.pruner !== undefined ? { pruner: raw.pruner as S.PrunerSpec } : {}),
    ...(raw.seed !== undefined ? { seed: raw.seed as number } : {}),
    space,
    objective,
    journal: path.resolve(baseDir, journal),
    baseDir,
  };
}

export function readStudyConfig(file: string): StudyConfig {
  const raw = readConfigFile(file, TOP, ["name", "nTrials", "space", "objective"]);
  try {
    return parseStudyConfig(raw, path.dirname(path.resolve(file)));
  } catch (e) {
    if (e instanceof TradelabError) throw new TradelabError(`${file}: ${e.message}`, { code: e.code, cause: e });
    throw e;
  }
}

/** The sampler's part of the config (validated in Rust, where errors name the field). */
export function studySpec(c: StudyConfig): S.StudySpec {
  return { direction: c.direction, space: c.space, ...(c.sampler ? { sampler: c.sampler } : {}), ...(c.pruner ? { pruner: c.pruner } : {}), ...(c.seed !== undefined ? { seed: c.seed } : {}) };
}
