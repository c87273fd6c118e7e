/**
 * An Optuna-compatible JournalStorage log, written next to the registry records so that
 * `optuna.load_study(storage=JournalStorage(JournalFileBackend(path)))` and optuna-dashboard
 * open our studies. The format is Optuna's (optuna/storages/journal/_storage.py): one JSON
 * object per line with an `op_code` (0 create study, 4 create trial, 6 set state/values,
 * 7 intermediate value, 8 user attr) and a `worker_id`. One study per file; trials are created
 * in ask order, so Optuna's trial ids and numbers equal ours.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import type * as S from "../generated/study.js";

const OP = { CREATE_STUDY: 0, CREATE_TRIAL: 4, SET_TRIAL_STATE_VALUES: 6, SET_TRIAL_INTERMEDIATE_VALUE: 7, SET_TRIAL_USER_ATTR: 8 } as const;
const STATE = { running: 0, complete: 1, pruned: 2, failed: 3 } as const;
const DIRECTION = { minimize: 1, maximize: 2 } as const;

/** Optuna's `distribution_to_json` (a JSON *string*), and a value's internal representation. */
export function optunaDistribution(p: S.Param): string {
  switch (p.type) {
    case "float":
      return JSON.stringify({ name: "FloatDistribution", attributes: { step: p.step ?? null, low: p.low, high: p.high, log: p.log ?? false } });
    case "int":
      return JSON.stringify({ name: "IntDistribution", attributes: { log: p.log ?? false, step: p.step ?? 1, low: p.low, high: p.high } });
    case "categorical":
      return JSON.stringify({ name: "CategoricalDistribution", attributes: { choices: p.choices } });
  }
}

function internal(p: S.Param, v: unknown): number {
  if (p.type === "categorical") return p.choices.findIndex((c) => c === v);
  return Number(v);
}

function now(): string {
  // Optuna writes local naive ISO times with microseconds; UTC with the offset parses too.
  return new Date().toISOString().replace("Z", "000+00:00");
}

export class OptunaJournal {
  private readonly worker = `${randomUUID()}-tradelab`;
  /** Trials already created in the file (by number): a resumed study appends after them. */
  private created = 0;

  constructor(
    readonly file: string,
    private readonly space: Record<string, S.Param>,
  ) {}

  /** Creates the study line unless the file has it; returns the trials already in the file. */
  open(name: string, direction: S.Direction): number {
    if (existsSync(this.file)) {
      const lines = readFileSync(this.file, "utf8").split("\n").filter((l) => l.trim() !== "");
      this.created = lines.filter((l) => (JSON.parse(l) as { op_code: number }).op_code === OP.CREATE_TRIAL).length;
      return this.created;
    }
    this.write(OP.CREATE_STUDY, { study_name: name, directions: [DIRECTION[direction]] });
    return 0;
  }

  private write(op: number, fields: Record<string, unknown>): void {
    // One appendFileSync per line: O_APPEND keeps each line whole.
    appendFileSync(this.file, `${JSON.stringify({ op_code: op, worker_id: this.worker, ...fields })}\n`);
  }

  /** A trial that started (must come in number order). */
  trialStarted(number: number, params: Record<string, unknown>, attrs: Record<string, unknown> = {}): void {
    if (number < this.created) return;
    if (number !== this.created) throw new Error(`journal: trial ${number} created out of order (next is ${this.created})`);
    const distributions: Record<string, string> = {};
    const values: Record<string, number> = {};
    for (const [k, v] of Object.entries(params)) {
      const p = this.space[k];
      if (!p) continue;
      distributions[k] = optunaDistribution(p);
      values[k] = internal(p, v);
    }
    this.write(OP.CREATE_TRIAL, {
      study_id: 0,
      datetime_start: now(),
      state: STATE.running,
      value: null,
      values: null,
      distributions,
      params: values,
      user_attrs: attrs,
      system_attrs: {},
      intermediate_values: {},
    });
    this.created += 1;
  }

  intermediate(number: number, step: number, value: number): void {
    this.write(OP.SET_TRIAL_INTERMEDIATE_VALUE, { trial_id: number, step, intermediate_value: value });
  }

  userAttr(number: number, key: string, value: unknown): void {
    this.write(OP.SET_TRIAL_USER_ATTR, { trial_id: number, user_attr: { [key]: value } });
  }

  finished(number: number, state: "complete" | "pruned" | "failed", value: number | null): void {
    this.write(OP.SET_TRIAL_STATE_VALUES, { trial_id: number, state: STATE[state], values: state === "complete" && value !== null ? [value] : null, datetime_complete: now() });
  }
}

/** A whole study as a fresh journal file (atomic: temp file, then rename). */
export function writeJournal(file: string, name: string, direction: S.Direction, space: Record<string, S.Param>, trials: S.Trial[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  const j = new OptunaJournal(tmp, space);
  j.open(name, direction);
  for (const t of trials) {
    j.trialStarted(t.number, t.params);
    for (const [s, v] of t.intermediate) j.intermediate(t.number, s, v);
    j.finished(t.number, t.state === "running" ? "failed" : t.state, t.value);
  }
  renameSync(tmp, file);
}
