/** Python with `optuna` for the journal tests: a venv outside the clone (like scripts/bench/*), filled from PyPI once. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export function optunaPython(): string {
  const venv = process.env["TRADELAB_OPTUNA_VENV"] ?? path.join(os.homedir(), ".cache/tradelab/optuna-venv");
  const py = path.join(venv, "bin/python");
  if (!existsSync(py)) execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
  try {
    execFileSync(py, ["-c", "import optuna"], { stdio: "ignore" });
  } catch {
    execFileSync(path.join(venv, "bin/pip"), ["install", "-q", "optuna"], { stdio: "inherit" });
  }
  return py;
}

/** The study in an Optuna journal file as optuna.load_study sees it. */
export interface OptunaView {
  direction: string;
  best: number | null;
  trials: { number: number; state: string; value: number | null; params: Record<string, unknown>; intermediate: Record<string, number> }[];
}

export function loadWithOptuna(py: string, file: string, name: string): OptunaView {
  const script = [
    "import json, sys, optuna",
    "from optuna.storages import JournalStorage",
    "from optuna.storages.journal import JournalFileBackend",
    "s = optuna.load_study(study_name=sys.argv[2], storage=JournalStorage(JournalFileBackend(sys.argv[1])))",
    "done = [t for t in s.trials if t.state == optuna.trial.TrialState.COMPLETE]",
    "print(json.dumps({'direction': s.direction.name, 'best': s.best_trial.number if done else None, 'trials': [{'number': t.number, 'state': t.state.name, 'value': t.value, 'params': t.params, 'intermediate': {str(k): v for k, v in t.intermediate_values.items()}} for t in s.trials]}))",
  ].join("\n");
  return JSON.parse(execFileSync(py, ["-c", script, file, name], { encoding: "utf8" })) as OptunaView;
}
