/**
 * An ensemble policy chosen by a study (seed 002): the best `top` complete trials of a study with
 * a train objective, written as `ensemble.json` in a directory of its own. Rust serves,
 * evaluates and decides it wherever a checkpoint is accepted (crates/train/src/ensemble.rs): the
 * row-wise mean of the members' decoded actions.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { TradelabError } from "../errors.js";
import { openRegistry } from "../registry/index.js";
import { studyStatus, type StudyOptions } from "./run.js";

export interface EnsembleMember {
  trial: number;
  value: number;
  checkpoint: string;
  params: Record<string, unknown>;
}

export interface StudyEnsemble {
  /** The ensemble directory (give it as a checkpoint to eval, actions, sweeps and paper runs). */
  dir: string;
  file: string;
  /** How the members were chosen, as ensemble.json's `source` says. */
  source: string;
  members: EnsembleMember[];
}

export async function studyEnsemble(name: string, o: StudyOptions & { top: number; out: string }): Promise<StudyEnsemble> {
  if (!Number.isInteger(o.top) || o.top < 1) throw new TradelabError(`--top: expected a whole number >= 1 (got ${o.top})`, { code: "USAGE" });
  const st = await studyStatus(name, o);
  const objective = (st.study.config as { objective?: { kind?: string; metric?: string } }).objective;
  if (objective?.kind !== "train") throw new TradelabError(`study '${name}' has a ${objective?.kind ?? "unknown"} objective: ensemble members are checkpoints, so only a study with a train objective can choose them`, { code: "USAGE" });
  const runs = (await openRegistry(o.registry).list({ kind: "trial" })).filter((r) => r.parent === st.study.id);
  const checkpointOf = new Map(runs.map((r) => [(r.config as { number: number }).number, (r.config as { checkpoint?: string }).checkpoint]));
  const sign = st.direction === "maximize" ? -1 : 1;
  const complete = st.trials.filter((t) => t.state === "complete" && t.value !== null && Number.isFinite(t.value) && checkpointOf.get(t.number));
  const best = complete.sort((a, b) => sign * ((a.value ?? 0) - (b.value ?? 0)) || a.number - b.number).slice(0, o.top);
  if (best.length < o.top) throw new TradelabError(`study '${name}' has ${complete.length} complete trial(s) with a checkpoint; --top ${o.top} needs that many`, { code: "USAGE" });
  const members = best.map((t) => ({ trial: t.number, value: t.value as number, checkpoint: path.resolve(checkpointOf.get(t.number) as string), params: t.params }));
  const dir = path.resolve(o.out);
  const file = path.join(dir, "ensemble.json");
  if (existsSync(path.join(dir, "checkpoint.json"))) throw new TradelabError(`${dir} holds a checkpoint; an ensemble needs a directory of its own`, { code: "USAGE" });
  // Nothing stored is overwritten: an ensemble others may already trade stays as it is.
  if (existsSync(file)) throw new TradelabError(`${file} already exists; choose another --out or remove it first`, { code: "USAGE" });
  const source = `study ${name}: top ${best.length} of ${complete.length} complete trials by ${objective.metric ?? "sortino"} on val (trials ${best.map((t) => `#${t.number}`).join(", ")})`;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ members: members.map((m) => ({ checkpoint: m.checkpoint })), source }, null, 2)}\n`);
  renameSync(tmp, file);
  return { dir, file, source, members };
}
