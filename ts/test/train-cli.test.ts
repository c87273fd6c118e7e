/**
 * End-to-end with the real trainer binary (`npm run build:train`): `tradelab train` writes a
 * checkpoint, `tradelab eval` reads it on val and on the locked test split, both are recorded.
 * Run by `npm run test:train` (excluded from test:ts, which must pass without libtorch).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { repoRoot, tempDir } from "../src/testing/paths.js";

const store = path.join(repoRoot, "data/store");

describe("tradelab train / eval", () => {
  it("trains a tiny policy, evaluates val and the locked test split, records train and eval runs", async () => {
    const dir = tempDir();
    const registry = path.join(dir, "runs.sqlite");
    const ckpt = path.join(dir, "ckpt");
    const cfg = path.join(dir, "train.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        store,
        symbols: ["SOL/USDT"],
        interval: "1h",
        model: { arch: "nano", dModel: 16, layers: 1, heads: 2, kvHeads: 1, window: 32, seqLen: 32 },
        training: { epochs: 1, batchSize: 8, stepsPerEpoch: 5, seed: 7 },
        sim: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001, fill: "touch" },
        threads: 1,
      }),
    );

    const tr = await runCli(["train", "--config", cfg, "--out", ckpt, "--device", "cpu", "--registry", registry]);
    expect(tr.stderr + tr.stdout).not.toMatch(/^error:/m);
    expect(tr.code).toBe(0);
    expect(existsSync(path.join(ckpt, "weights.safetensors"))).toBe(true);
    expect(existsSync(path.join(ckpt, "checkpoint.json"))).toBe(true);
    expect(tr.stderr).toMatch(/epoch 1\/1 .*\n  SOL\/USDT val: return .* sortino .* max drawdown .*split val .*lag 1 · touch \(assumes queue priority\) · maker 0.1% \/ taker 0.1% · P 8760/);
    expect(tr.stdout).toContain("assumptions: lag 1 · touch (assumes queue priority) · maker 0.1% / taker 0.1% · P 8760");
    expect(tr.stdout).toContain(`checkpoint ${ckpt}`);
    expect(tr.stdout).toMatch(/recorded run r-\d{8}-\d{6}-[0-9a-f]{4}/);

    const val = await runCli(["eval", "--checkpoint", ckpt, "--split", "val", "--json", "--registry", registry]);
    expect(val.code).toBe(0);
    const vj = JSON.parse(val.stdout) as {
      split: string;
      assumptions: { decisionLag: number; makerFee: number; takerFee: number; fillRule: string };
      window: { split: string; bars: number };
      metrics: { sortino: number };
      testBurned: boolean;
      selection: string | null;
      runId: string;
      parentRunId?: string;
    };
    expect(vj.split).toBe("val");
    expect(vj.assumptions.decisionLag).toBe(1);
    expect(vj.assumptions.makerFee).toBe(0.001);
    expect(vj.assumptions.takerFee).toBe(0.001);
    expect(vj.assumptions.fillRule).toBe("touch (assumes queue priority)");
    expect(vj.window.split).toBe("val");
    expect(vj.window.bars).toBeGreaterThan(0);
    expect(Number.isFinite(vj.metrics.sortino)).toBe(true);
    expect(vj.testBurned).toBe(false);
    expect(vj.selection).toBe("selection window, best of 1 epoch");

    const report = path.join(dir, "test.html");
    const test1 = await runCli(["eval", "--checkpoint", ckpt, "--split", "test", "--report", report, "--registry", registry]);
    expect(test1.code).toBe(0);
    expect(test1.stdout).toMatch(/split test .*\(\d+ bars\)/);
    expect(test1.stdout).toContain("assumptions: lag 1 · touch (assumes queue priority) · maker 0.1% / taker 0.1% · P 8760");
    expect(readFileSync(report, "utf8")).toContain("split test");

    const test2 = await runCli(["eval", "--checkpoint", ckpt, "--split", "test", "--registry", registry]);
    expect(test2.code).toBe(1);
    expect(test2.stderr).toMatch(/error: the test split .* already evaluated.*--i-know-test-is-burned/);

    const test3 = await runCli(["eval", "--checkpoint", ckpt, "--split", "test", "--i-know-test-is-burned", "--json", "--no-record"]);
    expect(test3.code).toBe(0);
    expect((JSON.parse(test3.stdout) as { testBurned: boolean }).testBurned).toBe(true);

    const list = await runCli(["runs", "list", "--json", "--registry", registry]);
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.stdout) as { id: string; kind: string; split: string | null; parent: string | null }[];
    const trainRun = runs.find((r) => r.kind === "train");
    expect(trainRun?.split).toBe("val");
    const evals = runs.filter((r) => r.kind === "eval");
    // The validation eval is labelled as the window that chose the epoch.
    expect(evals.map((r) => r.split).sort()).toEqual(["test", "val (selection window, best of 1 epoch)"]);
    expect(evals.every((r) => r.parent === trainRun?.id)).toBe(true);
    expect(vj.parentRunId).toBe(trainRun?.id);
  });

  it("says how to build the trainer when the binary is missing", async () => {
    const r = await runCli(["train", "--config", "x.json"], { TRADELAB_TRAIN_BIN: "/nonexistent/tradelab-train" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TRADELAB_TRAIN_BIN=\/nonexistent\/tradelab-train: no such file/);
  });
});
