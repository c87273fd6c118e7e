/**
 * `tradelab study` end to end on the bundled sample store: a TPE study of an EMA cross on the
 * validation split (trials recorded as runs linked to their study, several at once, resumable),
 * refusals (test split, bad space), and the Optuna journal read back by Python optuna.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { repoRoot, tempDir } from "../src/testing/paths.js";
import { loadWithOptuna, optunaPython, type OptunaView } from "./study-optuna.js";

interface Trial {
  number: number;
  state: string;
  value: number | null;
  params: Record<string, unknown>;
}

function setup(overrides: Record<string, unknown> = {}, objective: Record<string, unknown> = {}): { dir: string; cfg: string; reg: string } {
  const dir = tempDir("tradelab-study-");
  cpSync(path.join(repoRoot, "data/store"), path.join(dir, "store"), { recursive: true });
  const base = JSON.parse(readFileSync(path.join(repoRoot, "examples/study-ema-btc.json"), "utf8")) as Record<string, unknown> & { objective: Record<string, unknown> };
  const c = { ...base, ...overrides, objective: { ...base.objective, store: "store", ...objective } };
  const cfg = path.join(dir, "study.json");
  writeFileSync(cfg, JSON.stringify(c));
  return { dir, cfg, reg: path.join(dir, "runs.sqlite") };
}

describe("tradelab study", () => {
  it("runs a TPE study on val, records each trial as a run of the study, resumes, and reports best/status", async () => {
    const { dir, cfg, reg } = setup({ nTrials: 16, concurrency: 4 }, { split: "val" });
    const created = await runCli(["study", "create", "--config", cfg, "--registry", reg]);
    expect(created.stderr).toBe("");
    expect(created.stdout).toMatch(/^created study ema-btc-train as r-/);
    expect((await runCli(["study", "create", "--config", cfg, "--registry", reg])).stderr).toMatch(/already exists/);

    const run = await runCli(["study", "run", "--config", cfg, "--registry", reg, "--json"]);
    expect(run.stderr).toBe("");
    const r = JSON.parse(run.stdout) as { ran: number; concurrency: number; summary: { complete: number; failed: number; best: Trial }; trials: Trial[]; study: { id: string } };
    expect(r.ran).toBe(16);
    expect(r.concurrency).toBe(4);
    expect(r.summary.complete + r.summary.failed).toBe(16);
    expect(r.summary.complete).toBeGreaterThan(10);
    for (const t of r.trials) {
      expect(t.params["fast"]).toSatisfy((x: unknown) => Number.isInteger(x) && (x as number) >= 2 && (x as number) <= 48);
      expect([0.5, 1.0]).toContain(t.params["intensity"]);
    }
    // Every trial is a run in the registry whose parent is the study, on the val split.
    const runs = JSON.parse((await runCli(["runs", "list", "--kind", "trial", "--registry", reg, "--json"])).stdout) as { parent: string; split: string; metrics: { value: number | null; sortino?: number } }[];
    expect(runs).toHaveLength(16);
    for (const t of runs) {
      expect(t.parent).toBe(r.study.id);
      expect(t.split).toBe("val");
      if (t.metrics.value !== null) expect(t.metrics.value).toBe(t.metrics.sortino);
    }

    // Raising nTrials resumes: the 16 recorded trials are kept and 4 more run.
    const c = JSON.parse(readFileSync(cfg, "utf8")) as Record<string, unknown>;
    writeFileSync(cfg, JSON.stringify({ ...c, nTrials: 20 }));
    const more = JSON.parse((await runCli(["study", "run", "--config", cfg, "--registry", reg, "--json"])).stdout) as { ran: number; trials: Trial[] };
    expect(more.ran).toBe(4);
    expect(more.trials.slice(0, 16)).toEqual(r.trials);

    const status = await runCli(["study", "status", "ema-btc-train", "--registry", reg]);
    expect(status.stdout).toMatch(/trials done 20 of 20: complete \d+, pruned 0, failed \d+/);
    expect(status.stdout).toContain("[##############################] 20/20");
    const best = JSON.parse((await runCli(["study", "best", "--config", cfg, "--registry", reg, "--json"])).stdout) as Trial;
    const values = more.trials.filter((t) => t.state === "complete").map((t) => t.value as number);
    expect(best.value).toBe(Math.max(...values));

    // Exports: JSON and CSV of every trial.
    const out = path.join(dir, "trials.csv");
    expect((await runCli(["study", "export", "ema-btc-train", "--registry", reg, "--format", "csv", "--out", out])).code).toBe(0);
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(21);
  });

  it("refuses an objective on the locked test window, a custom window, and an invalid space, naming the field", async () => {
    const t = setup({}, { split: "test" });
    const a = await runCli(["study", "run", "--config", t.cfg, "--registry", t.reg]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/`objective.split`: 'test' is the locked test window/);
    expect(existsSync(t.reg)).toBe(false);
    const w = setup({}, { from: "2024-01-01" });
    expect((await runCli(["study", "create", "--config", w.cfg, "--registry", w.reg])).stderr).toMatch(/`objective.from`/);
    const s = setup({ space: { fast: { type: "int", low: 40, high: 4 } } });
    expect((await runCli(["study", "create", "--config", s.cfg, "--registry", s.reg])).stderr).toMatch(/`fast`: low 40 is above high 4/);
    const u = setup({ space: { fsat: { type: "int", low: 1, high: 4 } } });
    expect((await runCli(["study", "create", "--config", u.cfg, "--registry", u.reg])).stderr).toMatch(/`space.fsat`: not a field of objective.strategy/);
    const k = setup({ space: { fast: { type: "categorical", choices: [] } } });
    expect((await runCli(["study", "create", "--config", k.cfg, "--registry", k.reg])).stderr).toMatch(/`fast`: a categorical needs at least one choice/);
    // Train studies: the splits (and so the test window) are not searchable; fields must exist.
    const tr = tempDir("tradelab-study-");
    cpSync(path.join(repoRoot, "examples/train-sol.json"), path.join(tr, "train.json"));
    const trainStudy = (space: unknown) => {
      const f = path.join(tr, "study.json");
      writeFileSync(f, JSON.stringify({ name: "t", nTrials: 2, objective: { kind: "train", config: "train.json" }, space }));
      return runCli(["study", "create", "--config", f, "--registry", path.join(tr, "runs.sqlite")]);
    };
    expect((await trainStudy({ "splits.testDays": { type: "int", low: 1, high: 30 } })).stderr).toMatch(/`space.splits.testDays`: 'splits.testDays' is not searchable: it changes the data or the splits/);
    expect((await trainStudy({ "model.dModle": { type: "int", low: 8, high: 64 } })).stderr).toMatch(/`space.model.dModle`: not a field of/);
    const f = path.join(tr, "study.json");
    writeFileSync(f, JSON.stringify({ name: "t", nTrials: 2, objective: { kind: "train", config: "train.json", split: "test" }, space: {} }));
    expect((await runCli(["study", "create", "--config", f, "--registry", path.join(tr, "runs.sqlite")])).stderr).toMatch(/`objective.split`/);
  });

  it("writes an Optuna journal that optuna.load_study reads back with the same values and params", async () => {
    const py = optunaPython();
    const { dir, cfg, reg } = setup({ nTrials: 12, concurrency: 3 });
    const r = JSON.parse((await runCli(["study", "run", "--config", cfg, "--registry", reg, "--json"])).stdout) as { trials: Trial[]; journal: string };
    expect(r.journal).toBe(path.join(dir, "ema-btc-train.optuna-journal.log"));
    const exported = path.join(dir, "export.log");
    expect((await runCli(["study", "export", "ema-btc-train", "--registry", reg, "--out", exported])).code).toBe(0);
    for (const file of [r.journal, exported]) {
      const got = loadWithOptuna(py, file, "ema-btc-train");
      expect(got.direction).toBe("MAXIMIZE");
      expect(got.trials).toHaveLength(12);
      for (const t of r.trials) {
        const o = got.trials[t.number] as OptunaView["trials"][number];
        expect(o.number).toBe(t.number);
        expect(o.state).toBe(t.state === "complete" ? "COMPLETE" : "FAIL");
        if (t.state === "complete") expect(o.value).toBe(t.value);
        expect(o.params).toEqual(t.params);
      }
      const best = r.trials.filter((t) => t.state === "complete").reduce((a, b) => ((b.value as number) > (a.value as number) ? b : a));
      expect(got.best).toBe(best.number);
    }
  }, 600_000);
});
