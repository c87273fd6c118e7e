/**
 * `tradelab demo` end to end, as a new user runs it (needs the trainer binary: part of test:train).
 * First run: every stage computes, the metrics table is printed, report.html is written, the run
 * is in the registry. Second run: caches reused, the locked test split is not evaluated again.
 * The demo's report is opened in headless Chromium and a screenshot saved.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { chromiumPath } from "../src/testing/chromium.js";
import { repoRoot, tempDir } from "../src/testing/paths.js";

const browserPath = chromiumPath();

/** An evaluation file without what legitimately differs between two identical runs (paths, times). */
function stripVolatile(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripVolatile);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!/(^|[a-z])(checkpoint|path|dir|at|seconds|createdAt|updatedAt|environment|code)$/i.test(k)) out[k] = stripVolatile(x);
    return out;
  }
  return v;
}

describe("tradelab demo", () => {
  const dir = tempDir("tradelab-demo-");
  const out = path.join(dir, "demo");
  const registry = path.join(dir, "runs.sqlite");
  const args = ["demo", "--out", out, "--registry", registry, "--epochs", "1", "--steps", "4"];

  it("runs the whole path and records a run", async () => {
    const r = await runCli(args);
    expect(r.stderr + r.stdout).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/assumptions: lag 1 · cross 5 bps · maker 0\.1% \/ taker 0\.1% · P 8760/);
    expect(r.stdout).toMatch(/validation \(selection window, best of 1 epoch\)/);
    expect(r.stdout).toMatch(/test \(locked\)/);
    expect(r.stdout).toMatch(/trained now/);
    for (const stage of ["data", "features", "forecasts", "train", "evaluate", "report", "registry"]) expect(r.stderr).toContain(`${stage} ...`);
    expect(existsSync(path.join(out, "report.html"))).toBe(true);
    expect(existsSync(path.join(out, "checkpoint", "checkpoint.json"))).toBe(true);
    // Kept for the determinism check below (a later case retrains this folder with other params).
    copyFileSync(path.join(out, "checkpoint", "weights.safetensors"), path.join(dir, "first-weights.safetensors"));
    copyFileSync(path.join(out, "eval-val.json"), path.join(dir, "first-eval-val.json"));

    const list = await runCli(["runs", "list", "--json", "--registry", registry]);
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.stdout) as { kind: string; symbols: string[]; metrics: Record<string, unknown> }[];
    const demo = runs.find((x) => x.kind === "demo");
    expect(demo?.symbols).toEqual(["SOL/USDT"]);
    expect(Object.keys(demo?.metrics ?? {})).toEqual(expect.arrayContaining(["val", "test"]));
  });

  it("reuses every cache on a second run and never re-evaluates the locked test split", async () => {
    const r = await runCli([...args, "--json"]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { trainedNow: boolean; forecastCacheReused: boolean; splits: { split: string; reused: boolean; assumptions: { decisionLag: number } }[] };
    expect(res.trainedNow).toBe(false);
    expect(res.forecastCacheReused).toBe(true);
    expect(res.splits.map((s) => [s.split, s.reused])).toEqual([
      ["val", true],
      ["test", true],
    ]);
    expect(res.splits.every((s) => s.assumptions.decisionLag === 1)).toBe(true);
    expect(r.stderr).toMatch(/train \.\.\.\n\s+cached/);
    const ledger = JSON.parse(readFileSync(path.join(out, "checkpoint", "test-ledger.json"), "utf8")) as unknown[] | { entries: unknown[] };
    expect(Array.isArray(ledger) ? ledger.length : ledger.entries.length).toBe(1);
  });

  it("recomputes a cache written with other params or by other code, and says why (issue #13 item 6)", async () => {
    type Res = { trainedNow: boolean; stale: Record<string, string>; splits: { split: string; reused: boolean; testBurned: boolean }[] };
    // --steps 5: the train config differs from the cached checkpoint's.
    const changed = await runCli(["demo", "--out", out, "--registry", registry, "--epochs", "1", "--steps", "5", "--json"]);
    expect(changed.code).toBe(0);
    const a = JSON.parse(changed.stdout) as Res;
    expect(a.trainedNow).toBe(true);
    expect(a.stale.train).toBe("cache stale: params changed");
    expect(changed.stderr).toMatch(/train \.\.\.\n[\s\S]*?done in [\d.]+ s: [^\n]*\(cache stale: params changed\)\n\[5\/7\] evaluate/);
    expect(a.splits.map((s) => [s.split, s.reused])).toEqual([["val", false], ["test", false]]);
    expect(a.splits.find((s) => s.split === "test")?.testBurned).toBe(true); // the retrain cannot look at the test window afresh
    // The cached validation evaluation as written by other code.
    const stateFile = path.join(out, "demo-state.json");
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as { evals: { val: { code: string } } };
    state.evals.val.code = "0.0.0+older";
    writeFileSync(stateFile, JSON.stringify(state));
    const older = await runCli(["demo", "--out", out, "--registry", registry, "--epochs", "1", "--steps", "5", "--json"]);
    expect(older.code).toBe(0);
    const b = JSON.parse(older.stdout) as Res;
    expect(b.trainedNow).toBe(false);
    expect(b.stale.evaluate).toMatch(/^val: cache stale: code changed \(0\.0\.0\+older -> /);
    expect(b.splits.map((s) => [s.split, s.reused])).toEqual([["val", false], ["test", true]]);
  });

  it("an identical demo in a new folder finds the test window burned in the global lock and says so", async () => {
    const again = path.join(dir, "demo-again");
    const r = await runCli(["demo", "--out", again, "--registry", registry, "--epochs", "1", "--steps", "4", "--json"]);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as { splits: { split: string; name: string; reused: boolean; testBurned: boolean }[] };
    const test = res.splits.find((x) => x.split === "test");
    expect(test?.reused).toBe(false);
    expect(test?.testBurned).toBe(true);
    expect(test?.name).toBe("test (burned: seen before)");
    // Same config and seed on the same machine: the retrained checkpoint is byte for byte the
    // first one, and its validation numbers are identical (issue #13 item 7).
    expect(readFileSync(path.join(again, "checkpoint", "weights.safetensors")).equals(readFileSync(path.join(dir, "first-weights.safetensors")))).toBe(true);
    const first = JSON.parse(readFileSync(path.join(dir, "first-eval-val.json"), "utf8")) as unknown;
    const second = JSON.parse(readFileSync(path.join(again, "eval-val.json"), "utf8")) as unknown;
    expect(JSON.stringify(stripVolatile(second))).toBe(JSON.stringify(stripVolatile(first)));
  });

  it.skipIf(!browserPath)("writes a report that renders in headless Chromium", async () => {
    const browser = await chromium.launch({ executablePath: browserPath!, headless: true, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`file://${path.join(out, "report.html")}`);
      await page.waitForFunction(() => document.querySelectorAll("canvas").length >= 8, undefined, { timeout: 30_000 });
      const drawn = await page.evaluate(() =>
        Array.from(document.querySelectorAll("canvas")).map((c) => {
          const ctx = c.getContext("2d");
          if (!ctx || c.width === 0 || c.height === 0) return false;
          const d = ctx.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
          return false;
        }),
      );
      expect(drawn.length).toBeGreaterThanOrEqual(8);
      expect(drawn.every(Boolean)).toBe(true);
      expect(await page.textContent("body")).toMatch(/lag 1 · fill cross 5 bps/);
      expect(errors).toEqual([]);
      const artifacts = path.join(repoRoot, "test-artifacts");
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, "demo-report.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
