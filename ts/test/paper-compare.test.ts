/**
 * Seed 002's dual paper traders: a 1h and a 5m trader on the same fake exchange over the same
 * replayed day, then `paper compare` (go-live table from each run's journaled equity).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { comparePaper } from "../src/live/compare.js";
import { readPaperConfig } from "../src/live/config.js";
import { runPaper } from "../src/live/paper.js";
import { runCli } from "../src/testing/cli.js";
import { fakeExchange, iso } from "../src/testing/fake-exchange.js";
import { paperConfigFile, replayClock } from "../src/testing/paper.js";
import { tempDir } from "../src/testing/paths.js";

const FROM = iso("2024-06-01T00:00:00Z");
const TO = iso("2024-06-03T00:00:00Z");
const BAND = { kind: "band", buyOffset: 0.003, sellOffset: 0.003, buyFrac: 0.5, sellFrac: 0.5 } as const;

let fx: FakeExchange | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe("dual paper traders", () => {
  it("1h and 5m ETH/USDT traders over two replayed days, compared on seed 002's table", async () => {
    fx = await fakeExchange();
    const dir = tempDir("tradelab-paper-dual-");
    const base = { symbol: "ETH/USDT", from: FROM, until: TO, strategy: BAND };
    const h1 = readPaperConfig(paperConfigFile(dir, fx, { ...base, interval: "1h", runId: "eth-1h" }));
    const m5 = readPaperConfig(paperConfigFile(dir, fx, { ...base, interval: "5m", runId: "eth-5m" }));
    const a = await runPaper(h1, { clock: replayClock(fx, FROM + 3_600_000) });
    const b = await runPaper(m5, { clock: replayClock(fx, FROM + 300_000) });
    expect(a.status.stepped).toBe(48);
    expect(b.status.stepped).toBe(576);
    const c = comparePaper(h1.journal, ["eth-1h", "eth-5m"], { "eth-5m": { sharpe: 1, totalReturn: 0.1 } });
    expect(c.rows.map((r) => [r.run, r.interval, r.bars, r.days])).toEqual([
      ["eth-1h", "1h", 48, 2],
      ["eth-5m", "5m", 576, 2],
    ]);
    // Annualised with the engine's P for a 24/7 instrument, journaled with the run.
    expect(c.rows.map((r) => r.periodsPerYear)).toEqual([8760, 105_120]);
    expect(c.rows[1]?.targets).toEqual({ sharpe: 1, totalReturn: 0.1, maxDrawdown: 0.1, consistency: 0.5 });
    for (const r of c.rows) {
      expect(r.metrics.endEquity).toBe(r.run === "eth-1h" ? a.status.equity : b.status.equity);
      expect(r.score).toBeGreaterThanOrEqual(0);
    }
    expect(c.verdict.length).toBeGreaterThan(10);
    const cli = await runCli(["paper", "compare", "eth-1h", "eth-5m", "--journal", h1.journal]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain("weights: sharpe 40 %, total return 30 %, max drawdown 20 %, consistency 10 %");
    expect(cli.stdout).toMatch(/verdict: /);
    process.stdout.write(cli.stdout);
  });
});
