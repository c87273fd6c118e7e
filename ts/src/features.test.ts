import { cpSync, existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFeatures, buildFeatureSet, ensureSameSchema, featureSchemaOf, forecastBuild, forecastEval, forecasterNames } from "./features.js";
import { repoRoot, tempDir } from "./testing/paths.js";

let store: string;

beforeAll(() => {
  // A private copy of the bundled sample: forecast caches are written into the store.
  store = tempDir();
  cpSync(path.join(repoRoot, "data/store"), store, { recursive: true });
});

describe("buildFeatures", () => {
  it("returns an Arrow table aligned with the bars, schema in the metadata", async () => {
    const t = await buildFeatures(store, "SOL/USDT", "1h");
    const schema = featureSchemaOf(t);
    expect(t.schema.fields.map((f) => f.name)).toEqual(["ts", ...schema.names]);
    expect(schema.names).toContain("rsi_14");
    expect(schema.hash).toMatch(/^[0-9a-f]{16}$/);
    const ret1 = t.getChild("ret_1")!.toArray() as Float64Array;
    expect(Number.isNaN(ret1[0])).toBe(true); // no previous bar
    expect(Number.isFinite(ret1[1])).toBe(true);
    const ma = t.getChild("ma_delta_168")!.toArray() as Float64Array;
    expect(Number.isNaN(ma[166])).toBe(true);
    expect(Number.isFinite(ma[167])).toBe(true);
  });

  it("joins forecast features and names schema differences", async () => {
    const r = await buildFeatureSet("BTC/USDT", "1h", { forecast: { model: "ewma-vol", horizons: [1, 24] } }, { store, from: "2024-06-01" });
    expect(r.schema.names).toContain("fc_close_delta_h24");
    expect(r.forecastCache?.map((c) => c.horizon)).toEqual([1, 24]);
    expect(r.first).toBe(Date.parse("2024-06-01T00:00:00Z"));
    expect(r.validRows).toBe(r.rows);
    const plain = featureSchemaOf(await buildFeatures(store, "BTC/USDT", "1h"));
    expect(() => ensureSameSchema(plain, r.schema)).toThrow(/extra: fc_close_delta_h1/);
    await expect(buildFeatures(store, "BTC/USDT", "1h", { maWindows: [0] })).rejects.toThrow(/maWindows/);
  });
});

describe("forecasts", () => {
  it("caches per symbol/model/horizon and reuses stored rows", async () => {
    const a = await forecastBuild("ETH/USDT", "1h", { store, model: "naive", horizons: [1, 4] });
    expect(a.files.map((f) => f.rebuilt)).toEqual(["no cache file", "no cache file"]);
    expect(existsSync(path.join(store, "ETH_USDT/1h/forecasts/naive_h4.parquet"))).toBe(true);
    const b = await forecastBuild("ETH/USDT", "1h", { store, model: "naive", horizons: [1, 4] });
    expect(b.files.every((f) => f.rebuilt === null && f.computedRows === 0 && f.reusedRows === a.bars)).toBe(true);
    expect(forecasterNames()).toContain("ewma-vol");
    await expect(forecastBuild("ETH/USDT", "1h", { store, model: "chronos" })).rejects.toThrow(/unknown forecaster `chronos`/);
  });

  it("evaluates on a stated window and selects the transform before it", async () => {
    const r = await forecastEval("LINK/USDT", "1h", { store, model: "auto", horizons: [1, 4, 24] });
    expect(r.window.rule).toBe("last 20%");
    expect(r.transformSelection).not.toBeNull();
    expect(r.transformSelection!.validation.last).toBeLessThan(r.window.first);
    expect(r.horizons.map((h) => h.horizon)).toEqual([1, 4, 24]);
    for (const h of r.horizons) {
      expect(h.rows).toBeGreaterThan(1000);
      expect(h.maePct).toBeGreaterThan(0);
      expect(h.coverage).toBeGreaterThan(0.5);
      expect(h.coverage).toBeLessThan(1);
      expect(h.nominal).toBeCloseTo(0.8, 12);
    }
    const c = await forecastEval("LINK/USDT", "1h", { store, model: "ewma-vol", horizons: [4], from: "2024-08-01", to: "2024-09-01" });
    expect(c.window.rule).toBe("custom");
    expect(c.window.first).toBe(Date.parse("2024-08-01T00:00:00Z"));
    expect(c.horizons[0]!.rows).toBe(31 * 24 - 4);
  });
});
