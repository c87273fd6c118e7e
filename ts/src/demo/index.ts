/**
 * The main job end to end, offline: bundled sample -> features -> forecasts -> a small trained
 * policy -> exact-simulator evaluation on validation and the locked test window -> report ->
 * run registry. Every stage caches in the output folder, so a second run only redoes what changed.
 * Each cache records the code version and a hash of the parameters that produced it
 * (`demo-state.json`; the forecast cache keeps its own in its Parquet footer, checked in Rust);
 * a cache written by other code or other parameters is recomputed, and the stage's note says why.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TradelabError } from "../errors.js";
import { buildFeatureSet, forecastBuild, forecastEval, type ForecastEvalResult } from "../features.js";
import { codeVersion, recordRun, storeDataHash, type RunRecord } from "../registry/index.js";
import { writeReport, type ReportRun } from "../report/index.js";
import { openStore } from "../store.js";
import { evaluate, train, type EvalResult, type RecordOption, type TrainEvent } from "../train/index.js";

/** The bundled sample store shipped in the repository (`data/store`). */
export function bundledStore(): string {
  return fileURLToPath(new URL("../../../data/store", import.meta.url));
}

export interface DemoOptions {
  out: string;
  /** Target symbol of the sample (default SOL/USDT). */
  symbol?: string;
  epochs?: number;
  stepsPerEpoch?: number;
  registry?: string;
  record?: boolean;
  /** Called as stages start and finish and as training progresses. */
  onStage?: (e: DemoStageEvent) => void;
}

export type DemoStage = "data" | "features" | "forecasts" | "train" | "evaluate" | "report" | "registry";
export const DEMO_STAGES: DemoStage[] = ["data", "features", "forecasts", "train", "evaluate", "report", "registry"];

export type DemoStageEvent =
  | { kind: "start"; stage: DemoStage }
  | { kind: "done"; stage: DemoStage; seconds: number; note: string; cached: boolean }
  | { kind: "train"; event: TrainEvent };

export interface DemoSplitSummary {
  name: string;
  split: "val" | "test";
  result: EvalResult;
  /** close[last] / close[first] - 1 over the same window: the yardstick. */
  buyHoldReturn: number;
  reused: boolean;
}

export interface DemoResult {
  out: string;
  /** Stages whose cache was found stale and recomputed, with the reason (`cache stale: params changed`). */
  stale: Partial<Record<DemoStage, string>>;
  store: string;
  symbol: string;
  interval: string;
  dataHash: string;
  features: { names: number; rows: number; validRows: number };
  forecasts: ForecastEvalResult;
  forecastCacheReused: boolean;
  checkpoint: string;
  trainedNow: boolean;
  trainSeconds: number | null;
  splits: DemoSplitSummary[];
  report: string;
  run: RunRecord | null;
  seconds: number;
}

const INTERVAL = "1h";
const FORECASTER = "ewma-vol";

/** The training config the demo uses: small enough for a few minutes on 2 CPU cores. */
export function demoTrainConfig(store: string, symbol: string, epochs: number, stepsPerEpoch: number): Record<string, unknown> {
  return {
    store,
    symbols: [symbol],
    interval: INTERVAL,
    splits: { valDays: 20, testDays: 20 },
    features: { forecast: { model: FORECASTER, horizons: [1, 4, 24] } },
    decode: { band: { kind: "forecast", model: FORECASTER, horizon: 1 }, minGap: 0.0003 },
    model: { arch: "nano", dModel: 64, layers: 2, heads: 4, kvHeads: 2, window: 64, seqLen: 72 },
    optimizer: { kind: "muon", lr: 0.02, adamLr: 0.003, weightDecay: 0.0001, warmupSteps: 20, gradClip: 1.0 },
    training: { epochs, batchSize: 32, stepsPerEpoch, seed: 7, returnWeight: 0.08, temperature: { start: 0.01, end: 0.0005 } },
    sim: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001, fillRule: { kind: "cross", buffer: 0.0005 } },
    threads: 1,
  };
}

/** What produced a cached stage: the code version and a hash of its parameters. */
export interface StageKey {
  code: string;
  params: string;
}

/**
 * Why a cache recorded with `stored` cannot serve a stage that wants `want`; null when it can.
 * Code first: a different code version makes the parameters' meaning moot.
 */
export function staleReason(stored: StageKey | null | undefined, want: StageKey): string | null {
  if (!stored || typeof stored.code !== "string" || typeof stored.params !== "string") return "cache stale: no code version or params recorded (written by an older demo)";
  if (stored.code !== want.code) return `cache stale: code changed (${stored.code} -> ${want.code})`;
  if (stored.params !== want.params) return "cache stale: params changed";
  return null;
}

interface DemoState {
  version: 2;
  /** The store copy: the copy rule and the bundled sample's data hash. */
  data?: StageKey;
  /** The checkpoint: code version and sha256 over the train config and the data hash. */
  train?: StageKey & { checkpoint: string; trainSeconds: number };
  /** Each cached evaluation: code version and the train key, split and data hash. */
  evals?: Partial<Record<"val" | "test", StageKey>>;
}

/** A forecast-cache rebuild reason other than a first build: stale code, params or bars. */
const isStale = (r: string | null): r is string => typeof r === "string" && r !== "no cache file";

/** Bump when the store-copy rule changes. */
const DATA_COPY_RULE = "copy/1";

function sha(s: string): string {
  return createHash("sha256").update(s).digest("hex").slice(0, 16);
}

/** The state file, or an empty v2 state (an older demo's `{ trainKey }` file records no code version). */
function readState(file: string): DemoState {
  const raw = readJson<Partial<DemoState>>(file);
  return raw && raw.version === 2 ? (raw as DemoState) : { version: 2 };
}

/** Renames a stale artefact aside (kept, not deleted) so it can never be read as current. */
function setAside(file: string): void {
  if (existsSync(file)) renameSync(file, `${file}.stale-${Date.now()}`);
}

function readJson<T>(file: string): T | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (e) {
    throw new TradelabError(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)}); delete it to rebuild`);
  }
}

function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + "\n");
  renameSync(tmp, file);
}

function buyHold(r: EvalResult): number {
  const c = r.curve.close;
  const first = c[0];
  const last = c[c.length - 1];
  return first !== undefined && last !== undefined && first > 0 ? last / first - 1 : 0;
}

function reportRun(name: string, split: "val" | "test", r: EvalResult): ReportRun {
  return {
    name,
    symbol: r.symbol,
    interval: r.interval,
    split,
    assumptions: r.assumptions,
    window: r.window,
    metrics: r.metrics,
    trades: r.trades,
    roundTrips: r.roundTrips,
    curve: r.curve,
  };
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const t0 = performance.now();
  const symbol = o.symbol ?? "SOL/USDT";
  const out = path.resolve(o.out);
  const emit = o.onStage ?? (() => {});
  mkdirSync(out, { recursive: true });
  const rec: RecordOption = o.record === false ? false : o.registry ? { registry: o.registry } : true;
  let clock = performance.now();
  const start = (stage: DemoStage) => {
    clock = performance.now();
    emit({ kind: "start", stage });
  };
  const stale: Partial<Record<DemoStage, string>> = {};
  const done = (stage: DemoStage, note: string, cached: boolean) =>
    emit({ kind: "done", stage, seconds: (performance.now() - clock) / 1000, note: stale[stage] ? `${note} (${stale[stage]})` : note, cached });
  const stateFile = path.join(out, "demo-state.json");
  const state = readState(stateFile);
  const code = codeVersion();

  // 1. Data: a private copy of the bundled sample, so caches never write into the repository.
  // Keyed by the sample's own data hash: a changed sample is copied again.
  start("data");
  const store = path.join(out, "store");
  const src = bundledStore();
  if (!existsSync(src)) throw new TradelabError(`bundled sample store not found at ${src}`);
  const dataKey: StageKey = { code: DATA_COPY_RULE, params: storeDataHash([{ symbol, interval: INTERVAL }], src) };
  const dataStale = existsSync(store) ? staleReason(state.data, dataKey) : null;
  if (dataStale) {
    stale.data = dataStale;
    setAside(store);
  }
  const copied = !existsSync(store);
  if (copied) {
    const tmp = `${store}.tmp-${process.pid}`;
    cpSync(src, tmp, { recursive: true });
    renameSync(tmp, store);
    state.data = dataKey;
    writeJsonAtomic(stateFile, state);
  }
  const info = await openStore(store).info(symbol, INTERVAL);
  const dataHash = storeDataHash([{ symbol, interval: INTERVAL }], store);
  done("data", `${symbol} ${INTERVAL}: ${info.rows} bars, ${info.gaps.count} gaps${copied ? " (sample copied)" : ""}`, !copied);

  // 2. Features (causal; the trainer computes the same set from the same spec).
  start("features");
  const fs = await buildFeatureSet(symbol, INTERVAL, { forecast: { model: FORECASTER, horizons: [1, 4, 24] } }, { store });
  // The feature build reads the forecast cache first (Rust checks its code version and params
  // hash and rebuilds a stale file), so a stale reason surfaces here, or in the next stage.
  const forecastStale = (fs.forecastCache ?? []).map((f) => f.rebuilt).find(isStale);
  done("features", `${fs.schema.names.length} features x ${fs.rows} rows (${fs.validRows} complete), schema ${fs.schema.hash.slice(0, 12)}`, false);

  // 3. Forecasts keyed by issue time, cached as Parquet in the store; evaluated on a stated window.
  start("forecasts");
  const fb = await forecastBuild(symbol, INTERVAL, { store, model: FORECASTER, horizons: [1, 4, 24] });
  const forecastCacheReused = fb.files.every((f) => f.computedRows === 0) && !forecastStale && (fs.forecastCache ?? []).every((f) => f.computedRows === 0);
  const forecastStaleNow = forecastStale ?? fb.files.map((f) => f.rebuilt).find(isStale);
  if (forecastStaleNow) stale.forecasts = forecastStaleNow;
  const fe = await forecastEval(symbol, INTERVAL, { store, model: FORECASTER, horizons: [1, 4, 24] });
  const h1 = fe.horizons.find((h) => h.horizon === 1);
  done(
    "forecasts",
    `${FORECASTER} h1/h4/h24 cached${h1 ? `; h1 close MAE ${h1.maePct.toFixed(2)}%, p10-p90 coverage ${(h1.coverage * 100).toFixed(0)}%` : ""}`,
    forecastCacheReused,
  );

  // 4. Train (or reuse the checkpoint trained on the same config and data).
  start("train");
  const config = demoTrainConfig(store, symbol, o.epochs ?? 4, o.stepsPerEpoch ?? 60);
  const configFile = path.join(out, "train-config.json");
  const trainKey: StageKey = { code, params: sha(JSON.stringify(config) + dataHash) };
  const ckpt = path.join(out, "checkpoint");
  let trainedNow = false;
  let trainSeconds: number | null = state.train?.trainSeconds ?? null;
  const hasCheckpoint = existsSync(path.join(ckpt, "checkpoint.json"));
  const trainStale = hasCheckpoint ? staleReason(state.train, trainKey) : null;
  if (trainStale) stale.train = trainStale;
  if (!hasCheckpoint || trainStale) {
    setAside(ckpt); // kept, not deleted
    for (const f of ["eval-val.json", "eval-test.json"]) setAside(path.join(out, f));
    delete state.evals;
    writeJsonAtomic(configFile, config);
    const tt = performance.now();
    await train(configFile, { out: ckpt, device: "cpu", record: rec }, (event) => emit({ kind: "train", event }));
    trainSeconds = (performance.now() - tt) / 1000;
    state.train = { ...trainKey, checkpoint: ckpt, trainSeconds };
    writeJsonAtomic(stateFile, state);
    trainedNow = true;
  }
  done("train", `nano policy, checkpoint ${path.relative(process.cwd(), ckpt) || ckpt}`, !trainedNow);

  // 5. Exact simulator on validation, then once on the locked test window (reused afterwards:
  // a second test evaluation would be refused, by design). The lock is global (the run
  // registry): when another run already looked at this window (an earlier demo in another
  // folder, an identical retrain), the numbers are shown labelled burned, never as a first look.
  start("evaluate");
  const splits: DemoSplitSummary[] = [];
  for (const [split, name] of [
    ["val", "validation"],
    ["test", "test (locked)"],
  ] as const) {
    const file = path.join(out, `eval-${split}.json`);
    const evalKey: StageKey = { code, params: sha(`${trainKey.params} ${split} ${dataHash}`) };
    const evalStale = existsSync(file) ? staleReason(state.evals?.[split], evalKey) : null;
    if (evalStale) {
      stale.evaluate = `${split}: ${evalStale}`;
      setAside(file);
    }
    let result = readJson<EvalResult>(file);
    const reused = result !== null;
    const lock = o.registry ? { lockRegistry: o.registry } : {};
    if (!result) {
      try {
        result = (await evaluate(ckpt, split, { store, out: file, record: rec, ...lock })).result;
      } catch (e) {
        if (!(e instanceof TradelabError) || e.code !== "TEST_BURNED") throw e;
        result = (await evaluate(ckpt, split, { store, out: file, record: rec, ...lock, iKnowTestIsBurned: true })).result;
      }
      if (!existsSync(file)) writeJsonAtomic(file, result);
      state.evals = { ...state.evals, [split]: evalKey };
      writeJsonAtomic(stateFile, state);
    }
    const shown = split === "test" && result.testBurned ? "test (burned: seen before)" : result.selection ? `${name} (${result.selection})` : name;
    splits.push({ name: shown, split, result, buyHoldReturn: buyHold(result), reused });
  }
  done("evaluate", splits.map((s) => `${s.split} ${s.result.window.bars} bars`).join(", "), splits.every((s) => s.reused));

  // 6. Report.
  start("report");
  const report = writeReport(path.join(out, "report.html"), {
    title: `tradelab demo — ${symbol} ${INTERVAL} nano policy`,
    subtitle: `code ${codeVersion()} · data ${dataHash.slice(0, 19)} · forecaster ${FORECASTER}`,
    config,
    runs: splits.map((s) => reportRun(s.name, s.split, s.result)),
  });
  done("report", path.relative(process.cwd(), report) || report, false);

  // 7. Registry.
  start("registry");
  let run: RunRecord | null = null;
  if (o.record ?? true) {
    const [val, test] = splits;
    run = await recordRun(
      {
        kind: "demo",
        symbols: [symbol],
        interval: INTERVAL,
        split: "val+test",
        window: val && test ? { first: val.result.window.first, last: test.result.window.last } : undefined,
        assumptions: val?.result.assumptions ?? null,
        config,
        dataHash,
        metrics: Object.fromEntries(splits.map((s) => [s.split, { ...s.result.metrics, buyHoldReturn: s.buyHoldReturn }])),
        artifacts: { report, checkpoint: ckpt, config: configFile, out },
        notes: `demo; ${trainedNow ? "trained now" : "checkpoint reused"}; test evaluated ${splits[1]?.result.testBurned ? "again: burned, seen before (global test lock)" : splits[1]?.reused ? "earlier (locked)" : "now (first time)"}`,
      },
      o.registry ? { registry: o.registry } : {},
    );
  }
  done("registry", run ? `run ${run.id}` : "not recorded (--no-record)", false);

  return {
    out,
    stale,
    store,
    symbol,
    interval: INTERVAL,
    dataHash,
    features: { names: fs.schema.names.length, rows: fs.rows, validRows: fs.validRows },
    forecasts: fe,
    forecastCacheReused,
    checkpoint: ckpt,
    trainedNow,
    trainSeconds,
    splits,
    report,
    run,
    seconds: (performance.now() - t0) / 1000,
  };
}
