/**
 * A study over train-config fields: each trial runs tradelab-train on the bundled sample, its
 * per-epoch exact validation Sortino is the intermediate value, and a pruned trial's trainer is
 * stopped (its checkpoint holds no later epochs). The journal shows the same to Python optuna.
 */
import { cpSync, existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { repoRoot, tempDir } from "../src/testing/paths.js";
import { locateTrainBinary } from "../src/train/index.js";
import { loadWithOptuna, optunaPython } from "./study-optuna.js";

function trainer(): boolean {
  try {
    locateTrainBinary();
    return true;
  } catch (e) {
    if (process.env["CI"] === "true") throw e;
    return false;
  }
}

const EPOCHS = 4;
const TINY = {
  symbols: ["SOL/USDT"],
  interval: "1h",
  splits: { valDays: 20, testDays: 20 },
  decode: { band: { kind: "forecast", model: "ewma-vol", horizon: 1 }, minGap: 0.0003 },
  model: { arch: "nano", dModel: 16, layers: 1, heads: 2, kvHeads: 1, window: 16, seqLen: 24, dropout: 0.0 },
  optimizer: { kind: "muon", lr: 0.01, adamLr: 0.001, weightDecay: 0.01, warmupSteps: 2, gradClip: 1.0 },
  training: { epochs: EPOCHS, batchSize: 8, stepsPerEpoch: 3, seed: 7, returnWeight: 0.08, temperature: { start: 0.01, end: 0.0005 } },
  sim: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001, fillRule: { kind: "cross", buffer: 0.0005 } },
  threads: 1,
};

interface TrialRun {
  config: { number: number; checkpoint?: string };
  metrics: { state: string; value: number | null; intermediate: [number, number][]; sortino?: number };
  split: string;
}

describe.skipIf(!trainer())("tradelab study over train-config fields", () => {
  it("reports per-epoch validation Sortino, prunes by the median rule and stops pruned trainers", async () => {
    const dir = tempDir("tradelab-study-train-");
    cpSync(path.join(repoRoot, "data/store"), path.join(dir, "store"), { recursive: true });
    writeFileSync(path.join(dir, "train.json"), JSON.stringify(TINY));
    const cfg = path.join(dir, "study.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        name: "tiny",
        direction: "maximize",
        nTrials: 8,
        concurrency: 2,
        sampler: { kind: "random" },
        seed: 1,
        pruner: { kind: "median", nStartupTrials: 1 },
        objective: { kind: "train", config: "train.json", store: "store" },
        space: { "optimizer.lr": { type: "float", low: 0.0001, high: 0.1, log: true }, "training.seed": { type: "int", low: 1, high: 1000 } },
      }),
    );
    const reg = path.join(dir, "runs.sqlite");
    const run = await runCli(["study", "run", "--config", cfg, "--registry", reg, "--json"]);
    expect(run.stderr).toBe("");
    const r = JSON.parse(run.stdout) as { summary: { complete: number; pruned: number; failed: number } };
    expect(r.summary.failed).toBe(0);
    expect(r.summary.complete).toBeGreaterThanOrEqual(1);
    expect(r.summary.pruned).toBeGreaterThanOrEqual(1);
    const trials = JSON.parse((await runCli(["runs", "list", "--kind", "trial", "--registry", reg, "--json"])).stdout) as TrialRun[];
    expect(trials).toHaveLength(8);
    for (const t of trials) {
      expect(t.split).toBe("val");
      const ckpt = path.join(dir, "tiny-trials", String(t.config.number), "checkpoint");
      const steps = t.metrics.intermediate.map(([s]) => s);
      if (t.metrics.state === "complete") {
        expect(steps).toEqual([1, 2, 3, 4]);
        // The objective is the best epoch's exact validation Sortino.
        expect(t.metrics.value).toBe(Math.max(...t.metrics.intermediate.map(([, v]) => v)));
        expect(existsSync(path.join(ckpt, `epoch-00${EPOCHS}.safetensors`))).toBe(true);
      } else {
        expect(t.metrics.state).toBe("pruned");
        expect(steps.length).toBeLessThan(EPOCHS);
        // The trainer was stopped: no checkpoint of the last epoch.
        expect(existsSync(path.join(ckpt, `epoch-00${EPOCHS}.safetensors`))).toBe(false);
      }
    }
    const got = loadWithOptuna(optunaPython(), path.join(dir, "tiny.optuna-journal.log"), "tiny");
    for (const t of trials) {
      const o = got.trials[t.config.number];
      expect(o?.state).toBe(t.metrics.state === "complete" ? "COMPLETE" : "PRUNED");
      expect(Object.entries(o?.intermediate ?? {}).map(([k, v]) => [Number(k), v])).toEqual(t.metrics.intermediate);
    }
  }, 600_000);

  it("chooses an ensemble of its best trials (nano and ftTransformer), evaluated and swept like any policy", async () => {
    const dir = tempDir("tradelab-study-ensemble-");
    cpSync(path.join(repoRoot, "data/store"), path.join(dir, "store"), { recursive: true });
    writeFileSync(path.join(dir, "train.json"), JSON.stringify({ ...TINY, training: { ...TINY.training, epochs: 2 } }));
    const cfg = path.join(dir, "study.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        name: "mix",
        direction: "maximize",
        nTrials: 3,
        concurrency: 2,
        sampler: { kind: "grid" },
        objective: { kind: "train", config: "train.json", store: "store" },
        space: { "model.arch": { type: "categorical", choices: ["nano", "ftTransformer", "classic"] } },
      }),
    );
    const reg = path.join(dir, "runs.sqlite");
    const run = await runCli(["study", "run", "--config", cfg, "--registry", reg, "--json"]);
    expect((JSON.parse(run.stdout) as { summary: { complete: number } }).summary.complete).toBe(3);
    const ens = path.join(dir, "ens");
    const made = await runCli(["study", "ensemble", "--config", cfg, "--registry", reg, "--top", "2", "--out", ens, "--json"]);
    const e = JSON.parse(made.stdout) as { members: { trial: number; value: number; checkpoint: string; params: Record<string, unknown> }[]; source: string };
    expect(e.members).toHaveLength(2);
    expect(e.members[0]!.value).toBeGreaterThanOrEqual(e.members[1]!.value);
    expect(e.source).toMatch(/^study mix: top 2 of 3 complete trials by sortino on val \(trials #\d, #\d\)$/);
    // Nothing stored is overwritten.
    const again = await runCli(["study", "ensemble", "--config", cfg, "--registry", reg, "--top", "2", "--out", ens]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("already exists");

    const ev = await runCli(["eval", "--checkpoint", ens, "--split", "val", "--store", path.join(dir, "store"), "--registry", reg, "--json"]);
    expect(ev.stderr).toBe("");
    const r = JSON.parse(ev.stdout) as { selection: string; bestEpoch: number | null; ensemble: { members: string[]; source: string }; metrics: { sortino: number } };
    expect(r.ensemble.members).toEqual(e.members.map((m) => m.checkpoint));
    expect(r.ensemble.source).toBe(e.source);
    expect(r.selection).toContain("ensemble of 2 members");
    expect(r.bestEpoch).toBeNull();

    const sweep = path.join(dir, "sweep.json");
    writeFileSync(sweep, JSON.stringify({ symbol: "SOL/USDT", interval: "1h", base: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001 }, strategy: { kind: "policy", checkpoint: "ens" }, grid: { intensity: [0.8, 1.0] } }));
    const sw = await runCli(["sweep", "--config", sweep, "--store", path.join(dir, "store"), "--registry", reg, "--json"]);
    expect(sw.stderr).toBe("");
    const rows = JSON.parse(sw.stdout) as { source: string; rows: { params: { intensity: number }; metrics: { sortino: number } }[] };
    expect(rows.source).toContain("ensemble of 2 members on val");
    expect(rows.rows).toHaveLength(2);
    // The sweep's intensity-1 row is the eval: the same served actions through the same simulator.
    expect(rows.rows.find((x) => x.params.intensity === 1)?.metrics.sortino).toBeCloseTo(r.metrics.sortino, 10);
  }, 600_000);
});
