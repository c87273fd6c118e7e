import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { sharedData, tempDir } from "../src/testing/paths.js";

let store: string;

beforeAll(async () => {
  store = tempDir();
  for (const s of ["BTC", "ETH"]) {
    const file = path.join(sharedData(), `binance_roshan7869_algotrading/spot_1h/${s}_USDT-1h.feather`);
    const r = await runCli(["data", "import", file, "--symbol", `${s}/USDT`, "--interval", "1h", "--store", store]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);

describe("tradelab forecast / features", () => {
  it("forecast eval prints MAE% and p10-p90 coverage per symbol and horizon as JSON", async () => {
    const r = await runCli(["forecast", "eval", "--symbols", "BTC/USDT,ETH/USDT", "--horizons", "1,4,24", "--json", "--store", store]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { symbol: string; window: { rule: string; rows: number }; transformSelection: { transform: string } | null; horizons: { horizon: number; maePct: number; coverage: number; loQ: number; hiQ: number }[] }[];
    expect(out.map((o) => o.symbol)).toEqual(["BTC/USDT", "ETH/USDT"]);
    for (const o of out) {
      expect(o.window.rule).toBe("last 20%");
      expect(o.window.rows).toBeGreaterThan(10_000);
      expect(typeof o.transformSelection?.transform).toBe("string");
      expect(o.horizons.map((h) => h.horizon)).toEqual([1, 4, 24]);
      for (const h of o.horizons) {
        expect([h.loQ, h.hiQ]).toEqual([0.1, 0.9]);
        expect(h.maePct).toBeGreaterThan(0);
        expect(h.maePct).toBeLessThan(5);
        expect(h.coverage).toBeGreaterThan(0.6);
        expect(h.coverage).toBeLessThan(0.95);
      }
      expect(o.horizons[0]!.maePct).toBeLessThan(o.horizons[2]!.maePct);
    }
  }, 120_000);

  it("prints a table stating the window, and builds features to Parquet", async () => {
    const r = await runCli(["forecast", "eval", "--symbols", "BTC/USDT", "--model", "ewma-vol,naive", "--horizons", "1,24", "--from", "2025-01-01", "--store", store]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/eval custom: 2025-01-01T00:00:00Z/);
    expect(r.stdout).toMatch(/MAE% close p50/);
    expect(r.stdout).toMatch(/ewma-vol/);
    const out = path.join(tempDir(), "f.parquet");
    const f = await runCli(["features", "build", "--symbol", "ETH/USDT", "--forecast-model", "ewma-vol", "--out", out, "--json", "--store", store]);
    expect(f.code, f.stderr).toBe(0);
    const s = JSON.parse(f.stdout) as { rows: number; schema: { names: string[] }; out: string };
    expect(s.rows).toBe(70006);
    expect(s.schema.names).toContain("fc_width_h24");
    const bad = await runCli(["forecast", "eval", "--symbols", "BTC/USDT", "--model", "nope", "--store", store]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown forecaster `nope`/);
  }, 120_000);
});
