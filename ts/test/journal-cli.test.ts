/** End-to-end: `tradelab journal add|list|show|study|verdict` on runs recorded by `tradelab backtest`. */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { repoRoot, tempDir } from "../src/testing/paths.js";

const store = path.join(repoRoot, "data/store");

interface Verdict {
  runId: string;
  split: string;
  verdict: string;
  checks: { metric: string; op: string; threshold: number; measured: number; pass: boolean }[];
}

describe("tradelab journal", () => {
  it("keeps entries on recorded runs, measures verdicts on the study's split, and allows one test verdict", async () => {
    const dir = tempDir();
    const registry = path.join(dir, "runs.sqlite");
    const reg = ["--registry", registry];
    const backtest = async (...args: string[]) => {
      const r = await runCli(["backtest", "--symbol", "SOL/USDT", "--store", store, ...reg, "--json", ...args]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as { runId: string; metrics: Record<string, number> };
    };
    // 120 validation days: long enough for an annualised return to mean something.
    const ema = await backtest("--strategy", "ema-cross", "--fast", "12", "--slow", "26", "--split", "val", "--val-days", "120");
    const band = await backtest("--strategy", "band", "--split", "val", "--val-days", "120");
    const full = await backtest("--strategy", "ema-cross");
    const test = await backtest("--strategy", "ema-cross", "--fast", "12", "--slow", "26", "--split", "test");

    const add = await runCli(["journal", "add", "--study", "ema-sol", "--hypothesis", "EMA 12/26 on SOL beats a 1% band after fees", "--runs", `${ema.runId.slice(0, 20)},${band.runId}`, "--saw", "EMA positive, band negative", "--next", "walk-forward the EMA", ...reg, "--json"]);
    expect(add.stderr).toBe("");
    const entry = JSON.parse(add.stdout) as { id: number; runs: string[] };
    expect(entry.runs).toEqual([ema.runId, band.runId]); // the prefix is stored as the full id

    // Run ids must exist; a bad threshold names its metric and the drawdown sign convention.
    const missing = await runCli(["journal", "add", "--study", "ema-sol", "--hypothesis", "h", "--runs", `${ema.runId},r-nope`, ...reg]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/`runs\[1\]`.*no run matches 'r-nope'/);
    const badDd = await runCli(["journal", "study", "--name", "ema-sol", "--thresholds", '{"maxDrawdown":">=-0.2"}', ...reg]);
    expect(badDd.code).toBe(1);
    expect(badDd.stderr).toContain("`thresholds.maxDrawdown`");
    expect(badDd.stderr).toContain("write '<=0.2'");

    const study = await runCli(["journal", "study", "--name", "ema-sol", "--split", "val", "--thresholds", '{"sharpe":">=0.5","maxDrawdown":"<=0.3","annualisedReturn":">=0.10"}', ...reg]);
    expect(study.stderr).toBe("");
    expect(study.stdout).toContain("annualisedReturn >= 0.1 · maxDrawdown <= 0.3 · sharpe >= 0.5 on split `val`");

    const verdict = async (run: string, name = "ema-sol") => runCli(["journal", "verdict", "--study", name, "--run", run, ...reg, "--json"]);
    const good = JSON.parse((await verdict(ema.runId)).stdout) as Verdict;
    const expectVerdict = ema.metrics.sharpe! >= 0.5 && ema.metrics.maxDrawdown! <= 0.3 && ema.metrics.annualisedReturn! >= 0.1 ? "VALIDATED" : "REJECTED";
    expect(good.verdict).toBe(expectVerdict);
    expect(good.checks.find((c) => c.metric === "sharpe")?.measured).toBe(ema.metrics.sharpe);
    expect(good.checks.find((c) => c.metric === "maxDrawdown")?.measured).toBe(ema.metrics.maxDrawdown);
    const bad = JSON.parse((await verdict(band.runId.slice(0, 21))).stdout) as Verdict;
    expect(bad.verdict).toBe(band.metrics.sharpe! >= 0.5 && band.metrics.maxDrawdown! <= 0.3 && band.metrics.annualisedReturn! >= 0.1 ? "VALIDATED" : "REJECTED");
    expect(bad.runId).toBe(band.runId);

    // A run measured on another split is refused, naming both splits.
    const mismatch = await verdict(full.runId);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain(`run ${full.runId} was measured on split 'full'`);
    expect(mismatch.stderr).toContain("judges on split 'val'");
    // A metric the run does not have is an error naming it, not a NaN verdict.
    await runCli(["journal", "study", "--name", "harvest-apr", "--split", "val", "--thresholds", '{"apr":">=0.05"}', ...reg]);
    const noMetric = await verdict(ema.runId, "harvest-apr");
    expect(noMetric.code).toBe(1);
    expect(noMetric.stderr).toContain("has no usable metric `apr` (not stored)");

    // Test split: thresholds from a JSON file; one verdict, a second attempt refused.
    const file = path.join(dir, "thresholds.json");
    writeFileSync(file, JSON.stringify({ sharpe: ">=1", maxDrawdown: "<=0.2" }));
    expect((await runCli(["journal", "study", "--name", "ema-sol-test", "--split", "test", "--thresholds", file, ...reg])).code).toBe(0);
    const first = await verdict(test.runId, "ema-sol-test");
    expect(first.stderr).toBe("");
    expect((JSON.parse(first.stdout) as Verdict).split).toBe("test");
    const second = await verdict(test.runId, "ema-sol-test");
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/study 'ema-sol-test' already has its test verdict: (VALIDATED|REJECTED) on run/);
    const frozen = await runCli(["journal", "study", "--name", "ema-sol-test", "--split", "test", "--thresholds", '{"sharpe":">=0"}', ...reg]);
    expect(frozen.code).toBe(1);
    expect(frozen.stderr).toContain("frozen");
    await runCli(["journal", "add", "--study", "ema-sol-test", "--hypothesis", "the validated EMA holds on the test window", "--runs", test.runId, ...reg]);

    const list = JSON.parse((await runCli(["journal", "list", ...reg, "--json"])).stdout) as { study: string }[];
    expect(list.map((e) => e.study)).toEqual(["ema-sol-test", "ema-sol"]);
    expect(((await runCli(["journal", "list", "--study", "ema-sol", ...reg])).stdout)).toContain(`${expectVerdict} (val)`);

    const show = await runCli(["journal", "show", "--study", "ema-sol", ...reg]);
    expect(show.stderr).toBe("");
    const md = show.stdout;
    for (const s of ["## ema-sol", "EMA 12/26 on SOL beats a 1% band after fees", "- What ran", "- What I saw", "  - EMA positive, band negative", "- What's next", "  - walk-forward the EMA", "- Verdict"]) expect(md).toContain(s);
    expect(md).toContain(`\`${ema.runId}\` backtest SOL/USDT · val `);
    expect(md).toContain("lag 1 · cross 5 bps · maker 0.1% / taker 0.1% · P 8760");
    expect(md).toContain(`**${expectVerdict}** on val — \`${ema.runId}\``);
    expect(md).not.toContain("ema-sol-test");
    const all = await runCli(["journal", "show", ...reg]);
    expect(all.stdout).toContain("## ema-sol-test");
    expect(all.stdout).toMatch(/\*\*(VALIDATED|REJECTED)\*\* on test/);
    const none = await runCli(["journal", "show", "--study", "nope", ...reg]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no journal entries or study named 'nope'");
  });
});
