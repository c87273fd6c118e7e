/**
 * End-to-end with the real trainer binary (`npm run build:train`): `tradelab train` writes a
 * checkpoint, `tradelab eval` reads it on val and on the locked test split, both are recorded.
 * Run by `npm run test:train` (excluded from test:ts, which must pass without libtorch).
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { readActionsFile } from "../src/actions-file.js";
import type { Environment } from "../src/registry/environment.js";
import { backtest } from "../src/sim.js";
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

    const tr = await runCli(["train", "--config", cfg, "--out", ckpt, "--device", "cpu", "--deterministic", "--registry", registry]);
    expect(tr.stderr + tr.stdout).not.toMatch(/^error:/m);
    expect(tr.code).toBe(0);
    expect(existsSync(path.join(ckpt, "weights.safetensors"))).toBe(true);
    expect(existsSync(path.join(ckpt, "checkpoint.json"))).toBe(true);
    expect(tr.stderr).toMatch(/epoch 1\/1 .*\n {2}SOL\/USDT val: return .* sortino .* max drawdown .*split val .*lag 1 · touch \(assumes queue priority\) · maker 0.1% \/ taker 0.1% · P 8760/);
    expect(tr.stdout).toContain("assumptions: lag 1 · touch (assumes queue priority) · maker 0.1% / taker 0.1% · P 8760");
    expect(tr.stdout).toContain(`checkpoint ${ckpt}`);
    expect(tr.stdout).toMatch(/recorded run r-\d{8}-\d{6}-[0-9a-f]{4}/);
    expect(tr.stdout).toMatch(/environment: .* · sim (avx512|avx2|scalar) · .* · cpu · libtorch 2\.\S+ \(\w+ kernels, 1 thread, 1 inter-op\) · deterministic/);

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
    const runs = JSON.parse(list.stdout) as { id: string; kind: string; split: string | null; parent: string | null; environment: Environment | null }[];
    const trainRun = runs.find((r) => r.kind === "train");
    // Train and eval runs carry the trainer's environment, libtorch included.
    expect(trainRun?.environment?.deterministic).toBe(true);
    expect(trainRun?.environment?.libtorch?.threads).toBe(1);
    expect(trainRun?.environment?.libtorch?.version).toMatch(/^2\./);
    expect(runs.filter((r) => r.kind === "eval").every((r) => r.environment?.libtorch?.interopThreads === 1)).toBe(true);
    const meta = JSON.parse(readFileSync(path.join(ckpt, "checkpoint.json"), "utf8")) as { environment: Environment; config: { training: { deterministic?: boolean } } };
    expect(meta.environment).toEqual(trainRun?.environment);
    expect(meta.config.training.deterministic).toBe(true);
    expect(trainRun?.split).toBe("val");
    const evals = runs.filter((r) => r.kind === "eval");
    // The validation eval is labelled as the window that chose the epoch.
    expect(evals.map((r) => r.split).sort()).toEqual(["test", "val (selection window, best of 1 epoch)"]);
    expect(evals.every((r) => r.parent === trainRun?.id)).toBe(true);
    expect(vj.parentRunId).toBe(trainRun?.id);
  });

  it("serves a checkpoint's actions: backtesting them reproduces eval; epochs are kept; edits and second test looks are refused", async () => {
    const dir = tempDir();
    const registry = path.join(dir, "runs.sqlite");
    const ckpt = path.join(dir, "ckpt");
    const cfg = path.join(dir, "train.json");
    const config = {
      store,
      symbols: ["SOL/USDT"],
      interval: "1h",
      model: { arch: "nano", dModel: 16, layers: 1, heads: 2, kvHeads: 1, window: 32, seqLen: 32 },
      training: { epochs: 2, batchSize: 8, stepsPerEpoch: 3, seed: 11 },
      sim: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001, fill: "cross", fillBuffer: 0.0005 },
      threads: 1,
    };
    writeFileSync(cfg, JSON.stringify(config));
    const tr = await runCli(["train", "--config", cfg, "--out", ckpt, "--device", "cpu", "--registry", registry]);
    expect(tr.code).toBe(0);
    // Every epoch's weights are kept (training.keepEpochs unset), so any epoch can be served.
    expect(existsSync(path.join(ckpt, "epoch-001.safetensors"))).toBe(true);
    expect(existsSync(path.join(ckpt, "epoch-002.safetensors"))).toBe(true);

    const val = await runCli(["eval", "--checkpoint", ckpt, "--split", "val", "--epoch", "1", "--json", "--registry", registry]);
    expect(val.code).toBe(0);
    const ev = JSON.parse(val.stdout) as {
      epoch: number;
      window: { first: number; last: number; bars: number };
      metrics: { totalReturn: number; sortino: number; tradeCount: number; endEquity: number };
      stress: { scenario: string; optimistic: boolean; metrics: { totalReturn: number } }[];
      robust: { runs: number; scenarios: string };
    };
    expect(ev.epoch).toBe(1);
    expect(ev.stress.map((r) => r.scenario)).toEqual(["as run", "touch", "lag 2", "cross 15 bps", "fees x2", "lag 0"]);
    expect(ev.stress.map((r) => r.optimistic)).toEqual([false, false, false, false, false, true]);
    expect(ev.stress[0]?.metrics.totalReturn).toBe(ev.metrics.totalReturn);
    expect(ev.robust.runs).toBeGreaterThanOrEqual(12);
    const text = await runCli(["eval", "--checkpoint", ckpt, "--split", "val", "--epoch", "1", "--no-record"]);
    expect(text.stdout).toMatch(/stress \(the same actions, one assumption changed\)/);
    expect(text.stdout).toMatch(/lag 0 .*OPTIMISTIC/);
    expect(text.stdout).toMatch(/robust score -?\d/);

    // Served actions of epoch 1 on the validation split, as CSV and Parquet.
    const csv = path.join(dir, "val.csv");
    const pq = path.join(dir, "val.parquet");
    const a1 = await runCli(["actions", "--checkpoint", ckpt, "--split", "val", "--epoch", "1", "--out", csv, "--json", "--registry", registry]);
    expect(a1.code).toBe(0);
    const served = JSON.parse(a1.stdout) as { rows: number; decided: number; first: number; last: number; touchesTest: boolean };
    expect(served.touchesTest).toBe(false);
    expect([served.rows, served.first, served.last]).toEqual([ev.window.bars, ev.window.first, ev.window.last]);
    expect(served.decided).toBeGreaterThan(0);
    const a2 = await runCli(["actions", "--checkpoint", ckpt, "--split", "val", "--epoch", "1", "--out", pq, "--registry", registry]);
    expect(a2.code).toBe(0);
    expect(a2.stdout).toMatch(/\d+ rows .* with orders/);
    expect(readActionsFile(pq)).toEqual(readActionsFile(csv));
    // The same checkpoint served again writes the same file, byte for byte.
    const csv2 = path.join(dir, "val2.csv");
    expect((await runCli(["actions", "--checkpoint", ckpt, "--split", "val", "--epoch", "1", "--out", csv2, "--registry", registry])).code).toBe(0);
    expect(readFileSync(csv2).equals(readFileSync(csv))).toBe(true);

    // A backtest of the served actions on the same bars and assumptions is eval, exactly.
    const bt = await backtest({
      store,
      symbol: "SOL/USDT",
      interval: "1h",
      from: ev.window.first,
      to: ev.window.last + 3_600_000, // `to` is exclusive
      actions: readActionsFile(pq),
      params: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001, fillRule: { kind: "cross", buffer: 0.0005 } },
    });
    expect(bt.window.bars).toBe(ev.window.bars);
    expect(bt.metrics.totalReturn).toBe(ev.metrics.totalReturn);
    expect(bt.metrics.sortino).toBe(ev.metrics.sortino);
    expect(bt.metrics.tradeCount).toBe(ev.metrics.tradeCount);
    expect(bt.metrics.endEquity).toBe(ev.metrics.endEquity);
    expect(bt.stress?.map((r) => r.metrics.totalReturn)).toEqual(ev.stress.map((r) => r.metrics.totalReturn));

    // The served policy is a sweep strategy: simulator axes and trailing windows over its actions.
    const swCfg = path.join(dir, "sweep.json");
    writeFileSync(
      swCfg,
      JSON.stringify({
        symbol: "SOL/USDT",
        interval: "1h",
        store,
        base: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001 },
        strategy: { kind: "policy", checkpoint: ckpt, epoch: 1 },
        grid: { intensity: [0.8, 1.2], maxRoundTripsPerBar: [0, 3], decisionLag: [0, 1], lastDays: [10, 15] },
      }),
    );
    const sw = await runCli(["sweep", "--config", swCfg, "--split", "val", "--json", "--no-record"]);
    expect(sw.stderr).toBe("");
    expect(sw.code).toBe(0);
    const sj = JSON.parse(sw.stdout) as { rows: { index: number; lastDays: number; optimistic: boolean }[]; best: { index: number } | null; overfit: { deflated: { trials: number } } | null; source: string };
    expect(sj.rows.length).toBe(16);
    expect(sj.source).toMatch(/epoch 1 on val/);
    expect(sj.rows.find((r) => r.index === sj.best?.index)?.optimistic).toBe(false);
    expect(sj.overfit?.deflated.trials).toBe(2);

    // The same checkpoint as a selector's action source (served on its val split by default) and
    // as walk-forward candidates (one per kept epoch; folds start after its training rows).
    const selStore = path.join(dir, "store");
    cpSync(store, selStore, { recursive: true });
    const selCfg = path.join(dir, "select.json");
    writeFileSync(selCfg, JSON.stringify({ symbols: ["SOL/USDT"], actions: { kind: "policy", checkpoints: { "SOL/USDT": ckpt } }, forecast: { model: "ewma-vol" }, edge: { mode: "high_low", minEdge: -1 }, params: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001 } }));
    const sel = await runCli(["select", "--config", selCfg, "--store", selStore, "--json", "--no-record"]);
    expect(sel.stderr).toBe("");
    const selJ = JSON.parse(sel.stdout) as { window: string; steps: number; first: number };
    expect(selJ.window).toBe("val");
    expect(selJ.first).toBe(ev.window.first);
    writeFileSync(selCfg, JSON.stringify({ ...JSON.parse(readFileSync(selCfg, "utf8")), from: "2024-03-01", to: "2024-04-01" }));
    const inSample = await runCli(["select", "--config", selCfg, "--store", selStore, "--no-record"]);
    expect(inSample.stderr).toMatch(/inside .* training rows/);
    const wfCfg = path.join(dir, "wf.json");
    writeFileSync(wfCfg, JSON.stringify({ symbol: "SOL/USDT", folds: { mode: "rolling", inSampleDays: 10, oosDays: 5 }, strategy: { kind: "policy", checkpoint: ckpt }, grid: { intensity: [0.8, 1.2] } }));
    const wf = await runCli(["walk-forward", "--config", wfCfg, "--store", selStore, "--json", "--no-record", "--registry", registry]);
    expect(wf.stderr).toBe("");
    const wj = JSON.parse(wf.stdout) as { trials: number; folds: { oos: { from: number }; candidate: string }[] };
    expect(wj.trials).toBe(4);
    expect(wj.folds.length).toBeGreaterThanOrEqual(3);
    expect(wj.folds.every((f) => f.oos.from >= ev.window.first && /^epoch [12]$/.test(f.candidate))).toBe(true);

    // Serving the test window is a look at it: once, then refused for eval and actions alike.
    const t1 = await runCli(["actions", "--checkpoint", ckpt, "--split", "test", "--out", path.join(dir, "test.csv"), "--registry", registry]);
    expect(t1.code).toBe(0);
    expect(t1.stdout).toContain("this look is recorded in the test lock");
    const t2 = await runCli(["eval", "--checkpoint", ckpt, "--split", "test", "--registry", registry]);
    expect(t2.code).toBe(1);
    expect(t2.stderr).toMatch(/already/);

    // Resuming with other simulator assumptions would let epochs measured differently compete.
    writeFileSync(cfg, JSON.stringify({ ...config, training: { ...config.training, epochs: 3 }, sim: { ...config.sim, decisionLag: 0 } }));
    const rs = await runCli(["train", "--config", cfg, "--resume", ckpt, "--out", path.join(dir, "ckpt2"), "--device", "cpu", "--no-record"]);
    expect(rs.code).not.toBe(0);
    expect(rs.stderr).toMatch(/sim.*differs from the checkpoint being resumed/);

    // An edited checkpoint (splits moved so `val` becomes the test window) is refused.
    const metaFile = path.join(ckpt, "checkpoint.json");
    const meta = JSON.parse(readFileSync(metaFile, "utf8")) as { splits: { valStart: number; valEnd: number; testStart: number; testEnd: number } };
    meta.splits.valStart = meta.splits.testStart;
    meta.splits.valEnd = meta.splits.testEnd;
    writeFileSync(metaFile, JSON.stringify(meta));
    const edited = await runCli(["eval", "--checkpoint", ckpt, "--split", "val", "--no-record"]);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toMatch(/sealHash .* does not match its content/);
  });

  it("serves a global policy on each trained symbol and on an unseen one as a labelled transfer", async () => {
    const dir = tempDir();
    const registry = path.join(dir, "runs.sqlite");
    const ckpt = path.join(dir, "ckpt");
    const cfg = path.join(dir, "train.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        store,
        symbols: ["SOL/USDT", "ETH/USDT"],
        interval: "1h",
        splits: { valDays: 10, testDays: 5 },
        model: { arch: "nano", dModel: 16, layers: 1, heads: 2, kvHeads: 1, window: 16, seqLen: 24 },
        training: { epochs: 1, batchSize: 8, stepsPerEpoch: 2, seed: 5 },
        threads: 1,
      }),
    );
    expect((await runCli(["train", "--config", cfg, "--out", ckpt, "--device", "cpu", "--registry", registry])).code).toBe(0);

    const eth = await runCli(["actions", "--checkpoint", ckpt, "--symbol", "ETH/USDT", "--split", "val", "--out", path.join(dir, "eth.csv"), "--json", "--registry", registry]);
    expect(eth.code).toBe(0);
    expect(JSON.parse(eth.stdout)).toMatchObject({ symbol: "ETH/USDT", transfer: false, transferLabel: null, dataHashMatches: true });
    const link = await runCli(["actions", "--checkpoint", ckpt, "--symbol", "LINK/USDT", "--split", "val", "--out", path.join(dir, "link.csv"), "--registry", registry]);
    expect(link.code).toBe(0);
    expect(link.stdout).toContain("LINK/USDT 1h · transfer (not trained on LINK/USDT)");
    expect(link.stdout).toMatch(/TRANSFER: the policy never trained on LINK\/USDT \(trained on SOL\/USDT, ETH\/USDT\)/);

    const val = await runCli(["eval", "--checkpoint", ckpt, "--symbol", "LINK/USDT", "--split", "val", "--json", "--registry", registry]);
    expect(val.code).toBe(0);
    const vj = JSON.parse(val.stdout) as { symbol: string; transfer: boolean; transferLabel: string; trainedSymbols: string[]; runId: string; normaliserFittedRows: [number, number] };
    expect(vj).toMatchObject({ symbol: "LINK/USDT", transfer: true, transferLabel: "transfer (not trained on LINK/USDT)", trainedSymbols: ["SOL/USDT", "ETH/USDT"] });
    const meta = JSON.parse(readFileSync(path.join(ckpt, "checkpoint.json"), "utf8")) as { splits: { trainEnd: number } };
    expect(vj.normaliserFittedRows[1]).toBeLessThan(meta.splits.trainEnd);
    const shown = await runCli(["runs", "show", vj.runId, "--json", "--registry", registry]);
    expect((JSON.parse(shown.stdout) as { notes: string }).notes).toBe("transfer (not trained on LINK/USDT); trained on SOL/USDT, ETH/USDT");

    // The transfer symbol's test split is locked for that symbol: once, then refused.
    const t1 = await runCli(["eval", "--checkpoint", ckpt, "--symbol", "LINK/USDT", "--split", "test", "--registry", registry]);
    expect(t1.code).toBe(0);
    expect(t1.stdout).toContain("transfer (not trained on LINK/USDT)");
    const t2 = await runCli(["eval", "--checkpoint", ckpt, "--symbol", "LINK/USDT", "--split", "test", "--registry", registry]);
    expect(t2.code).toBe(1);
    expect(t2.stderr).toMatch(/already/);
  });

  it("says how to build the trainer when the binary is missing", async () => {
    const r = await runCli(["train", "--config", "x.json"], { TRADELAB_TRAIN_BIN: "/nonexistent/tradelab-train" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TRADELAB_TRAIN_BIN=\/nonexistent\/tradelab-train: no such file/);
  });
});
