/** `tradelab doctor` and the no-torch messages, from a checkout (the installed package: scripts/package-smoke.sh). */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { tempDir } from "../src/testing/paths.js";

interface Check {
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
}

describe("tradelab doctor", () => {
  it("reports the addon's local build and SIMD level, and warns (exit 0) when torch is missing", async () => {
    // No Redis configured here (CI exports TRADELAB_REDIS_URL for the study tests; empty = unset).
    const r = await runCli(["doctor", "--json"], { TRADELAB_TORCH_VENV: path.join(tempDir(), "no-venv"), TRADELAB_REDIS_URL: "" });
    expect(r.code, r.stderr).toBe(0);
    const checks = (JSON.parse(r.stdout) as { checks: Check[] }).checks;
    const byName = new Map(checks.map((c) => [c.name, c]));
    expect(byName.get("addon")?.status).toBe("ok");
    expect(byName.get("addon")?.detail).toMatch(/local build .*tradelab\.linux-x64-gnu\.node · sim SIMD (avx512|avx2|scalar)/);
    expect(byName.get("torch")?.status).toBe("warn");
    expect(byName.get("torch")?.detail).toContain("npx tradelab setup train");
    expect(byName.has("redis")).toBe(false);
  });

  it("checks Redis only when TRADELAB_REDIS_URL is set, and fails on one that does not answer", async () => {
    const r = await runCli(["doctor", "--json"], { TRADELAB_REDIS_URL: "redis://127.0.0.1:1" });
    expect(r.code).toBe(1);
    const redis = (JSON.parse(r.stdout) as { checks: Check[] }).checks.find((c) => c.name === "redis");
    expect(redis?.status).toBe("fail");
    expect(redis?.detail).toMatch(/127\.0\.0\.1:1/);
  });

  it("demo without torch fails before any stage and says what to run", async () => {
    const out = path.join(tempDir(), "demo");
    const r = await runCli(["demo", "--out", out], { TRADELAB_TORCH_VENV: path.join(tempDir(), "no-venv") });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/training needs pip torch 2\.11\.0 in .*no-venv, which is missing: run `npm run setup:torch`/);
    expect(r.stderr).not.toContain("[1/7]");
  });
});
