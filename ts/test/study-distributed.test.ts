/**
 * Study trials on BullMQ workers over a real redis-server (`TRADELAB_REDIS_URL`, started by
 * .ci/run; without it the test is skipped, and under CI=true it fails). Two workers on
 * 127.0.0.1, one SIGKILLed mid-job: every trial still completes, exactly once in the registry,
 * the killed worker's job finished by the other. A job from another code version is refused and
 * stays queued. An unreachable Redis is a clear error with nothing recorded. A kernel sweep's
 * chunks on two workers merge into exactly the local sweep's report.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { cliPath, repoRoot, tempDir } from "../src/testing/paths.js";
import { QUEUE } from "../src/study/distributed.js";
import { locateTrainBinary } from "../src/train/index.js";

const url = process.env["TRADELAB_REDIS_URL"];
if (!url && process.env["CI"] === "true") throw new Error("TRADELAB_REDIS_URL is not set: .ci/run starts redis-server for these tests");

const workers: ChildProcess[] = [];
afterAll(() => {
  for (const w of workers) if (w.exitCode === null) w.kill("SIGKILL");
});

function startWorker(log: string): ChildProcess & { logText: () => string } {
  const w = spawn(process.execPath, [cliPath, "worker", "--redis", url as string, "--concurrency", "1", "--lock-ms", "2000"], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  w.stdout?.on("data", (d: Buffer) => {
    text += d.toString();
    writeFileSync(log, text);
  });
  w.stderr?.on("data", (d: Buffer) => (text += d.toString()));
  workers.push(w);
  return Object.assign(w, { logText: () => text });
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const TRAIN = {
  symbols: ["SOL/USDT"],
  interval: "1h",
  splits: { valDays: 20, testDays: 20 },
  decode: { band: { kind: "forecast", model: "ewma-vol", horizon: 1 }, minGap: 0.0003 },
  model: { arch: "nano", dModel: 16, layers: 1, heads: 2, kvHeads: 1, window: 16, seqLen: 24, dropout: 0.0 },
  optimizer: { kind: "muon", lr: 0.01, adamLr: 0.001, weightDecay: 0.01, warmupSteps: 2, gradClip: 1.0 },
  training: { epochs: 4, batchSize: 8, stepsPerEpoch: 8, seed: 7, returnWeight: 0.08, temperature: { start: 0.01, end: 0.0005 } },
  sim: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001, fillRule: { kind: "cross", buffer: 0.0005 } },
  threads: 1,
};

describe.skipIf(!url)("study on BullMQ workers", () => {
  it("completes every trial exactly once when a worker is killed mid-job", async () => {
    locateTrainBinary();
    // Only this queue is cleared (never the whole Redis a user's URL may point at).
    const q = new Queue(QUEUE, { connection: new Redis(url as string, { maxRetriesPerRequest: null }) });
    await q.obliterate({ force: true });
    await q.close();
    const dir = tempDir("tradelab-study-redis-");
    cpSync(path.join(repoRoot, "data/store"), path.join(dir, "store"), { recursive: true });
    writeFileSync(path.join(dir, "train.json"), JSON.stringify(TRAIN));
    const cfg = path.join(dir, "study.json");
    writeFileSync(
      cfg,
      JSON.stringify({
        name: "dist",
        nTrials: 6,
        sampler: { kind: "random" },
        seed: 5,
        objective: { kind: "train", config: "train.json", store: "store" },
        space: { "optimizer.lr": { type: "float", low: 0.001, high: 0.05, log: true }, "training.seed": { type: "int", low: 1, high: 1000 } },
      }),
    );
    const a = startWorker(path.join(dir, "a.log"));
    const b = startWorker(path.join(dir, "b.log"));
    await until("workers ready", () => a.logText().includes("ready") && b.logText().includes("ready"));
    const reg = path.join(dir, "runs.sqlite");
    const coordinator = runCli(["study", "run", "--config", cfg, "--registry", reg, "--redis", url as string, "--concurrency", "2", "--json"]);
    await until("worker a to start a trial", () => /start trial (\d+)/.test(a.logText()));
    const killed = Number(/start trial (\d+)/.exec(a.logText())?.[1]);
    a.kill("SIGKILL");
    const r = await coordinator;
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { summary: { complete: number; failed: number } };
    expect(out.summary).toMatchObject({ complete: 6, failed: 0 });
    const trials = JSON.parse((await runCli(["runs", "list", "--kind", "trial", "--registry", reg, "--json"])).stdout) as { config: { number: number } }[];
    expect(trials.map((t) => t.config.number).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(b.logText()).toMatch(new RegExp(`done trial ${killed} value`));
    expect(a.logText()).not.toMatch(new RegExp(`done trial ${killed} value`));
    // Graceful drain: SIGTERM lets the worker finish and exit 0.
    b.kill("SIGTERM");
    await until("worker b to exit", () => b.exitCode !== null, 20_000);
    expect(b.exitCode).toBe(0);
    expect(b.logText()).toContain("drained, exiting");
  }, 300_000);

  it("refuses a job from another code version and leaves it queued", async () => {
    const q = new Queue(QUEUE, { connection: new Redis(url as string, { maxRetriesPerRequest: null }) });
    await q.obliterate({ force: true });
    await q.add("trial", { codeVersion: "0.0.0+elsewhere", study: "x", number: 0, objective: {}, params: {}, baseDir: "/", trialsDir: "/tmp" }, { jobId: "foreign-0" });
    const w = startWorker(path.join(tempDir(), "w.log"));
    await until("the refusal", () => w.logText().includes("refused"));
    expect(w.logText()).toMatch(/job foreign-0: refused, made by code version 0\.0\.0\+elsewhere and this worker is \S+; returned to the queue/);
    expect(["delayed", "waiting"]).toContain(await q.getJobState("foreign-0"));
    w.kill("SIGTERM");
    await q.obliterate({ force: true });
    await q.close();
  }, 60_000);

  it("runs a kernel sweep's chunks on two workers and merges them into the local sweep's report", async () => {
    const q = new Queue(QUEUE, { connection: new Redis(url as string, { maxRetriesPerRequest: null }) });
    await q.obliterate({ force: true });
    const dir = tempDir("tradelab-sweep-redis-");
    const cfg = path.join(dir, "sweep.json");
    const sweepConfig = { symbol: "SOL/USDT", interval: "1h", store: path.join(repoRoot, "data/store"), base: { decisionLag: 1, makerFee: 0.001 }, strategy: { kind: "emaCross", fast: 12, slow: 26 }, grid: { fast: [3, 4, 6, 8, 10, 12], slow: [20, 30, 50, 80], decisionLag: [0, 1], makerFee: [0.0005, 0.001] } };
    writeFileSync(cfg, JSON.stringify(sweepConfig));
    // An invalid grid is refused by the plan, before anything is enqueued.
    writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ ...sweepConfig, grid: { fastt: [3] } }));
    const bad = await runCli(["sweep", "--config", path.join(dir, "bad.json"), "--redis", url as string, "--no-record"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/fastt/);
    expect(await q.count()).toBe(0);
    const a = startWorker(path.join(dir, "a.log"));
    const b = startWorker(path.join(dir, "b.log"));
    await until("workers ready", () => a.logText().includes("ready") && b.logText().includes("ready"));
    const local = JSON.parse((await runCli(["sweep", "--config", cfg, "--json", "--no-record"])).stdout) as Record<string, unknown>;
    const r = await runCli(["sweep", "--config", cfg, "--redis", url as string, "--chunks", "7", "--json", "--no-record"]);
    expect(r.stderr).toBe("");
    const dist = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(dist["chunks"]).toBe(7);
    for (const k of ["rows", "best", "overfit", "barEvaluations", "dataHash", "skipped"]) expect(dist[k]).toEqual(local[k]);
    // Each chunk ran once, on whichever worker took it.
    const ran = [...a.logText().matchAll(/done sweep rows (\d+)\.\.(\d+)/g), ...b.logText().matchAll(/done sweep rows (\d+)\.\.(\d+)/g)].map((m) => m[1]);
    expect(ran.sort((x, y) => Number(x) - Number(y))).toHaveLength(7);
    expect(new Set(ran).size).toBe(7);
    // The same sweep again reuses the finished chunks (same job ids): no chunk runs twice.
    const again = await runCli(["sweep", "--config", cfg, "--redis", url as string, "--chunks", "7", "--json", "--no-record"]);
    expect((JSON.parse(again.stdout) as { rows: unknown }).rows).toEqual(local["rows"]);
    expect([...a.logText().matchAll(/done sweep rows/g), ...b.logText().matchAll(/done sweep rows/g)]).toHaveLength(7);
    // The locked test split is not cut into chunks.
    const t = await runCli(["sweep", "--config", cfg, "--redis", url as string, "--split", "test", "--no-record"]);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/locked test split/);
    a.kill("SIGTERM");
    b.kill("SIGTERM");
    await q.obliterate({ force: true });
    await q.close();
  }, 120_000);

  it("says clearly when Redis is unreachable and records nothing", async () => {
    const dir = tempDir();
    const cfg = path.join(dir, "s.json");
    writeFileSync(cfg, readFileSync(path.join(repoRoot, "examples/study-ema-btc.json"), "utf8"));
    const r = await runCli(["study", "run", "--config", cfg, "--registry", path.join(dir, "r.sqlite"), "--redis", "redis://127.0.0.1:1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
    expect(existsSync(path.join(dir, "r.sqlite"))).toBe(false);
  });
});
