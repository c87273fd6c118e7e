/**
 * A policy checkpoint as a paper run's order source (issue #15): a tiny policy trained on the
 * shared BTC/USDT 1h bars decides each bar of a replayed validation window in one long-lived
 * `tradelab-train decide` process, and the run trades exactly what `backtest` trades on the
 * actions `tradelab-train actions` serves for the same window; so does an ensemble of two
 * checkpoints (nano + ftTransformer). Needs the trainer (test:train).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { readPaperConfig } from "../src/live/config.js";
import { runLive } from "../src/live/live.js";
import { runPaper } from "../src/live/paper.js";
import { backtest } from "../src/sim.js";
import { runCli } from "../src/testing/cli.js";
import { FAST_RETRY, fakeExchange, H } from "../src/testing/fake-exchange.js";
import { btcStore, paperConfigFile, replayClock } from "../src/testing/paper.js";
import { tempDir } from "../src/testing/paths.js";
import { checkpointSplits, policyActions } from "../src/train/index.js";

let fx: FakeExchange | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe("paper trading a policy checkpoint", () => {
  it("a policy strategy with a bad field is refused, naming it", async () => {
    fx = await fakeExchange();
    const dir = tempDir("tradelab-paper-policy-");
    expect(() => readPaperConfig(paperConfigFile(dir, fx as FakeExchange, { from: "2025-01-01", strategy: { kind: "policy" } }))).toThrow(/strategy\.checkpoint: expected a checkpoint directory/);
    expect(() => readPaperConfig(paperConfigFile(dir, fx as FakeExchange, { from: "2025-01-01", strategy: { kind: "policy", checkpoint: "x", epochs: 2 } }))).toThrow(/unknown key\(s\) epochs/);
    expect(() => readPaperConfig(paperConfigFile(dir, fx as FakeExchange, { from: "2025-01-01", strategy: { kind: "policy", checkpoint: "x", epoch: 0 } }))).toThrow(/strategy\.epoch/);
  });

  it("replays 48 validation bars with the same trades as a backtest of the served actions", async () => {
    const dir = tempDir("tradelab-paper-policy-");
    const store = await btcStore(dir);
    const ckpt = path.join(dir, "ckpt");
    const cfgFile = path.join(dir, "train.json");
    writeFileSync(
      cfgFile,
      JSON.stringify({
        store,
        symbols: ["BTC/USDT"],
        interval: "1h",
        splits: { valDays: 10, testDays: 5 },
        model: { arch: "nano", dModel: 16, layers: 1, heads: 2, kvHeads: 1, window: 16, seqLen: 24 },
        training: { epochs: 1, batchSize: 8, stepsPerEpoch: 3, seed: 5 },
        sim: { decisionLag: 1, makerFee: 0.001, takerFee: 0.001, fill: "touch" },
        threads: 1,
      }),
    );
    const tr = await runCli(["train", "--config", cfgFile, "--out", ckpt, "--device", "cpu", "--deterministic", "--registry", path.join(dir, "runs.sqlite")]);
    expect(tr.stderr + tr.stdout).not.toMatch(/^error:/m);
    expect(tr.code).toBe(0);
    const from = checkpointSplits(ckpt).valStart;
    const until = from + 48 * H;

    const served = await policyActions(ckpt, { from, to: until, store });
    expect(served.summary.rows).toBe(48);
    const bt = await backtest({ store, symbol: "BTC/USDT", interval: "1h", from, to: until, actions: served.actions, params: served.summary.params });

    fx = await fakeExchange();
    const cfg = readPaperConfig(paperConfigFile(dir, fx, { from, until, strategy: { kind: "policy", checkpoint: ckpt }, params: {} }));
    const s = await runPaper(cfg, { clock: replayClock(fx, from + H) });
    expect(s.status.stepped).toBe(48);
    expect(s.status.strategyLabel).toMatch(/^policy .*ckpt \(best epoch, seal [0-9a-f]{12}\)$/);
    expect(bt.trades.length).toBeGreaterThan(0);
    expect(s.trades).toBe(bt.trades.length);
    expect(s.tradeSha256).toBe(bt.tradeSha256);
    expect(s.status.cash).toBe(bt.finalCash);
    expect(s.status.equity).toBe(bt.curve.equity[bt.curve.equity.length - 1]);
    process.stdout.write(`paper policy parity: ${s.trades} trades over 48 val bars, sha256 ${s.tradeSha256.slice(0, 16)}…, step+journal mean ${s.latencyMs.mean.toFixed(1)} ms\n`);

    // The checkpoint's test split is never traded, even in a replay.
    const t0 = checkpointSplits(ckpt).testStart;
    const bad = readPaperConfig(paperConfigFile(dir, fx, { runId: "into-test", from: t0, until: t0 + 4 * H, strategy: { kind: "policy", checkpoint: ckpt }, params: {} }));
    await expect(runPaper(bad, { clock: replayClock(fx, t0 + H) })).rejects.toThrow(/locked test split/);
    await fx.close();

    // The same checkpoint drives the live loop on the fake exchange's account: every order comes
    // from a journaled intent, and the engine's position follows the venue's fills.
    fx = await fakeExchange({ account: { balances: { USDT: 10_000 }, filters: { tickSize: "0.01", stepSize: "0.00001", minNotional: "5" } } });
    const live = readPaperConfig(paperConfigFile(dir, fx, { runId: "live-policy", from, until: from + 24 * H, strategy: { kind: "policy", checkpoint: ckpt }, params: {}, journal: path.join(dir, "live.sqlite") }));
    const l = await runLive(live, { credentials: { apiKey: "test-key", secret: "test-secret" }, clock: replayClock(fx, from + H), retry: FAST_RETRY });
    expect(l.status.stepped).toBe(24);
    expect(l.status.strategyLabel).toMatch(/^policy /);
    expect(fx.account.orders.length).toBeGreaterThan(0);
    expect(l.trades).toBe(fx.account.trades.length);
    const btc = fx.account.balances.get("BTC");
    expect(l.status.position).toBeCloseTo((btc?.free ?? 0) + (btc?.locked ?? 0), 9);
    await fx.close();

    // An ensemble (this checkpoint and an ftTransformer one) is an order source too: the paper
    // run trades what a backtest of the ensemble's served actions (the members' mean) trades.
    const ft = path.join(dir, "ckpt-ft");
    writeFileSync(cfgFile, JSON.stringify({ ...JSON.parse(readFileSync(cfgFile, "utf8")), model: { arch: "ftTransformer", dModel: 16, layers: 1, heads: 2, seqLen: 24 }, training: { epochs: 1, batchSize: 8, stepsPerEpoch: 3, seed: 6 } }));
    expect((await runCli(["train", "--config", cfgFile, "--out", ft, "--device", "cpu", "--deterministic", "--no-record"])).code).toBe(0);
    const ens = path.join(dir, "ens");
    mkdirSync(ens);
    writeFileSync(path.join(ens, "ensemble.json"), JSON.stringify({ members: [{ checkpoint: "../ckpt" }, { checkpoint: "../ckpt-ft" }] }));
    const servedEns = await policyActions(ens, { from, to: from + 24 * H, store });
    expect(servedEns.summary.ensemble?.members).toHaveLength(2);
    const btEns = await backtest({ store, symbol: "BTC/USDT", interval: "1h", from, to: from + 24 * H, actions: servedEns.actions, params: servedEns.summary.params });
    fx = await fakeExchange();
    const pe = await runPaper(readPaperConfig(paperConfigFile(dir, fx, { runId: "paper-ensemble", from, until: from + 24 * H, strategy: { kind: "policy", checkpoint: ens }, params: {}, journal: path.join(dir, "ens.sqlite") })), { clock: replayClock(fx, from + H) });
    expect(pe.status.strategyLabel).toMatch(/^policy .*ens \(ensemble of 2, seal [0-9a-f]{12}\)$/);
    expect(btEns.trades.length).toBeGreaterThan(0);
    expect(pe.tradeSha256).toBe(btEns.tradeSha256);
    expect(pe.status.equity).toBe(btEns.curve.equity[btEns.curve.equity.length - 1]);
  }, 240_000);
});
