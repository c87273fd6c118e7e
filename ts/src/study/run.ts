/**
 * Studies over the run registry: `createStudy` records a `study` run; `runStudy` asks the Rust
 * sampler for trials, runs `concurrency` objectives at once (each an off-thread engine call),
 * tells the results back and records each trial as a `trial` run whose parent is the study.
 * A study resumes from its recorded trials (a trial interrupted mid-run counts as failed), and
 * every step is mirrored into an Optuna JournalStorage log.
 */
import { availableParallelism } from "node:os";
import path from "node:path";
import { TradelabError } from "../errors.js";
import type * as S from "../generated/study.js";
import { addon } from "../native.js";
import { codeVersion, openRegistry, type RunRecord, type RunRegistry } from "../registry/index.js";
import { RemoteTrials, specHash, trialJobId } from "./distributed.js";
import { studySpec, type StudyConfig } from "./config.js";
import { OptunaJournal } from "./journal.js";
import { evaluate, type ObjectiveResult } from "./objective.js";

export interface StudyOptions {
  registry?: string;
  /** Override the objective's store. */
  store?: string;
}

export interface StudyStatus {
  study: RunRecord;
  name: string;
  nTrials: number;
  direction: S.Direction;
  summary: S.Summary;
  trials: S.Trial[];
}

function handle(spec: S.StudySpec, trials: S.Trial[] = []): InstanceType<typeof addon.StudyHandle> {
  try {
    return new addon.StudyHandle(JSON.stringify(spec), JSON.stringify(trials));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(msg);
    throw new TradelabError(m ? `study spec: ${m[2]}` : msg, { code: m?.[1] ?? "STUDY_SPEC", cause: e });
  }
}

/** JSON with sorted keys (the registry hands objects back with their keys sorted). */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

async function findStudy(reg: RunRegistry, name: string): Promise<RunRecord | undefined> {
  return (await reg.list({ kind: "study" })).find((r) => (r.config as { name?: string }).name === name);
}

/** The study's recorded trials as the sampler's Trial list: numbers 0..n, gaps as failed. */
async function recordedTrials(reg: RunRegistry, study: RunRecord): Promise<S.Trial[]> {
  return (await recordedRows(reg, study)).trials;
}

/** The trials and the latest budget (`nTrials` may be raised by a later run of the study). */
async function recordedRows(reg: RunRegistry, study: RunRecord): Promise<{ trials: S.Trial[]; nTrials: number }> {
  const rows = (await reg.list({ kind: "trial" })).filter((r) => r.parent === study.id);
  let nTrials = (study.config as { nTrials: number }).nTrials;
  for (const r of rows) nTrials = Math.max(nTrials, (r.config as { nTrials?: number }).nTrials ?? 0);
  const byNumber = new Map<number, S.Trial>();
  for (const r of rows) {
    const c = r.config as { number: number; params: Record<string, unknown> };
    const m = r.metrics as { state: S.TrialState; value?: number | null; intermediate?: [number, number][] };
    byNumber.set(c.number, { number: c.number, params: c.params, state: m.state, value: m.value ?? null, intermediate: m.intermediate ?? [] });
  }
  const n = byNumber.size === 0 ? 0 : Math.max(...byNumber.keys()) + 1;
  return { trials: Array.from({ length: n }, (_, i) => byNumber.get(i) ?? { number: i, params: {}, state: "failed" as const, value: null, intermediate: [] }), nTrials };
}

/** Records the study (its config) in the registry; refuses a name already used. */
export async function createStudy(config: StudyConfig, o: StudyOptions = {}): Promise<RunRecord> {
  handle(studySpec(config)); // the space and sampler are valid, or this throws naming the field
  const reg = openRegistry(o.registry);
  if (await findStudy(reg, config.name)) throw new TradelabError(`study '${config.name}' already exists in ${reg.path} (run it with \`study run\`)`, { code: "STUDY_EXISTS" });
  const { baseDir: _b, ...stored } = config;
  return reg.record({
    kind: "study",
    symbols: [config.objective.symbol],
    interval: config.objective.interval,
    split: config.objective.kind === "backtest" ? config.objective.split : config.objective.kind === "train" ? "val" : "walk-forward oos",
    config: stored,
    notes: `study ${config.name}: ${config.direction} ${config.objective.metric} over ${Object.keys(config.space).join(", ")}`,
  });
}

export async function studyStatus(name: string, o: StudyOptions = {}): Promise<StudyStatus> {
  const reg = openRegistry(o.registry);
  const study = await findStudy(reg, name);
  if (!study) throw new TradelabError(`no study '${name}' in ${reg.path} (create it with \`study create --config FILE\`)`, { code: "STUDY_NOT_FOUND" });
  const c = study.config as Omit<StudyConfig, "baseDir">;
  const { trials, nTrials } = await recordedRows(reg, study);
  const h = handle(studySpec({ ...c, baseDir: "" }), trials);
  return { study, name, nTrials, direction: c.direction, summary: h.summary() as S.Summary, trials };
}

export interface StudyRunResult extends StudyStatus {
  /** Trials run by this call. */
  ran: number;
  seconds: number;
  concurrency: number;
  journal: string;
}

export interface RunOptions extends StudyOptions {
  concurrency?: number;
  /** Run the trials on BullMQ workers at this Redis URL (`redis://HOST:PORT`). */
  redis?: string;
  onTrial?: (t: S.Trial, summary: S.Summary) => void;
}

/** Runs the study until it holds `nTrials` trials (creating it first when it is new). */
export async function runStudy(config: StudyConfig, o: RunOptions = {}): Promise<StudyRunResult> {
  // Redis first: an unreachable one is an error before anything is recorded or enqueued.
  const remote = o.redis ? await RemoteTrials.open(o.redis) : undefined;
  try {
    return await runStudyWith(config, o, remote);
  } finally {
    await remote?.close();
  }
}

async function runStudyWith(config: StudyConfig, o: RunOptions, remote: RemoteTrials | undefined): Promise<StudyRunResult> {
  const reg = openRegistry(o.registry);
  const study = (await findStudy(reg, config.name)) ?? (await createStudy(config, o));
  const stored = study.config as Omit<StudyConfig, "baseDir">;
  if (canonical(studySpec({ ...stored, baseDir: "" })) !== canonical(studySpec(config)) || canonical(stored.objective) !== canonical(config.objective)) {
    throw new TradelabError(`study '${config.name}' was created with another space, sampler or objective (${study.id}); give the study a new name`, { code: "STUDY_EXISTS" });
  }
  const trials = await recordedTrials(reg, study);
  const h = handle(studySpec(config), trials);
  const journal = new OptunaJournal(config.journal, config.space);
  const inJournal = journal.open(config.name, config.direction);
  // Bring the journal up to the registry: trials it lacks, and interrupted ones (failed; Optuna
  // ignores a second finish of a finished trial written by another worker).
  for (const t of trials) {
    if (t.number >= inJournal) journal.trialStarted(t.number, t.params);
    if (t.number >= inJournal || (t.state === "failed" && Object.keys(t.params).length === 0)) {
      for (const [s, v] of t.intermediate) journal.intermediate(t.number, s, v);
      journal.finished(t.number, t.state === "running" ? "failed" : t.state, t.value);
    }
  }
  const concurrency = Math.max(1, o.concurrency ?? config.concurrency ?? availableParallelism());
  const hashOfSpec = specHash({ spec: studySpec(config), objective: config.objective, study: study.id });
  const t0 = performance.now();
  let ran = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if ((h.summary() as S.Summary).trials >= config.nTrials) return;
      const asked = h.ask() as S.Asked | null;
      if (!asked) return;
      journal.trialStarted(asked.number, asked.params);
      let trial: S.Trial;
      let extra: { metrics: Record<string, unknown>; record: Omit<ObjectiveResult["record"], "window" | "split" | "assumptions" | "dataHash"> & Partial<ObjectiveResult["record"]>; notes?: string; config: Record<string, unknown> };
      try {
        const report = (step: number, value: number): boolean => {
          journal.intermediate(asked.number, step, value);
          return h.report(asked.number, step, value);
        };
        const trialsDir = path.join(path.dirname(config.journal), `${config.name}-trials`);
        const r = remote
          ? await remote.run(
              { codeVersion: codeVersion(), study: config.name, number: asked.number, objective: config.objective, params: asked.params, baseDir: config.baseDir, trialsDir, ...(o.store ? { store: o.store } : {}) },
              trialJobId(hashOfSpec, asked.number, asked.params),
              report,
            )
          : await evaluate(config.objective, asked.params, {
              baseDir: config.baseDir,
              trialDir: path.join(trialsDir, String(asked.number)),
              report,
              ...(o.registry ? { registry: o.registry } : {}),
              ...(o.store ? { store: o.store } : {}),
            });
        trial = h.tell(asked.number, JSON.stringify(r.pruned ? { state: "pruned" } : { state: "complete", value: r.value })) as S.Trial;
        extra = { metrics: r.metrics, record: r.record, config: r.inputs };
      } catch (e) {
        if (e instanceof TradelabError && e.code === "STUDY_SPEC") throw e;
        trial = h.tell(asked.number, JSON.stringify({ state: "failed" })) as S.Trial;
        extra = { metrics: {}, record: { symbols: [config.objective.symbol], interval: config.objective.interval }, notes: e instanceof Error ? e.message : String(e), config: {} };
        journal.userAttr(asked.number, "error", extra.notes);
      }
      journal.finished(trial.number, trial.state === "running" ? "failed" : trial.state, trial.value);
      await reg.record({
        kind: "trial",
        parent: study.id,
        ...extra.record,
        config: { study: config.name, number: trial.number, nTrials: config.nTrials, params: trial.params, ...extra.config },
        metrics: { ...extra.metrics, value: trial.value, state: trial.state, intermediate: trial.intermediate },
        ...(extra.notes ? { notes: extra.notes } : {}),
      });
      ran += 1;
      o.onTrial?.(trial, h.summary() as S.Summary);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return { study, name: config.name, nTrials: config.nTrials, direction: config.direction, summary: h.summary() as S.Summary, trials: h.trials() as S.Trial[], ran, seconds, concurrency, journal: config.journal };
}
