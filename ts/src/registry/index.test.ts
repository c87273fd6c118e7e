import { cpSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../testing/paths.js";
import { codeVersion, hashFiles, openRegistry, recordRun, listRuns, getRun, compareRuns, storeDataHash } from "./index.js";
import { repoRoot } from "../testing/paths.js";
import { backtest } from "../sim.js";
import { TradelabError } from "../errors.js";

describe("run registry", () => {
  it("records, lists, gets by prefix and compares runs", async () => {
    const registry = path.join(tempDir(), "runs.sqlite");
    const a = await recordRun(
      { kind: "backtest", symbols: ["SOL/USDT"], interval: "1h", split: "full", window: { first: 0, last: 3_600_000 }, config: { strategy: "band" }, metrics: { sortino: 1.25, totalReturn: 0.1 }, artifacts: { report: "r.html" } },
      { registry },
    );
    expect(a.id).toMatch(/^r-\d{8}-\d{6}-[0-9a-f]{4}$/);
    expect(a.codeVersion).toBe(codeVersion());
    const b = await openRegistry(registry).record({ kind: "eval", symbols: ["BTC/USDT"], config: {}, metrics: { sortino: 2 }, parent: a.id });
    expect(b.parent).toBe(a.id);
    expect((await listRuns({}, { registry })).map((r) => r.kind).sort()).toEqual(["backtest", "eval"]);
    expect(await listRuns({ symbol: "SOL/USDT" }, { registry })).toHaveLength(1);
    expect((await getRun(a.id, { registry })).artifacts).toEqual({ report: "r.html" });
    const c = await compareRuns([a.id, b.id], { registry });
    expect(c.metrics[0]).toEqual({ metric: "sortino", values: [1.25, 2] });
  });

  it("rejects bad input naming the field", async () => {
    const registry = path.join(tempDir(), "runs.sqlite");
    // @ts-expect-error: a wrong kind is what a JS caller might pass
    await expect(recordRun({ kind: "nope", symbols: [], config: {} }, { registry })).rejects.toThrow(/`kind`: 'nope'/);
    await expect(recordRun({ kind: "eval", symbols: [], config: {}, parent: "r-missing" }, { registry })).rejects.toThrow(/`parent`/);
    await expect(getRun("r-missing", { registry })).rejects.toThrow(/no run matches 'r-missing'/);
  });

  it("hashes data files stably", () => {
    const store = path.join(repoRoot, "data/store");
    const h = storeDataHash([{ symbol: "SOL/USDT", interval: "1h" }], store);
    expect(h).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(storeDataHash([{ symbol: "SOL/USDT", interval: "1h" }], store)).toBe(h);
    expect(storeDataHash([{ symbol: "BTC/USDT", interval: "1h" }], store)).not.toBe(h);
    expect(() => hashFiles([{ name: "x", file: "/nonexistent/bars.parquet" }])).toThrow(/cannot read \/nonexistent/);
  });

  it("takes the data hash from Rust: results carry it, perpetual keys resolve, missing data has a code", async () => {
    const store = path.join(repoRoot, "data/store");
    const r = await backtest({ store, symbol: "SOL/USDT", interval: "1h", strategy: { kind: "emaCross", fast: 12, slow: 48 } });
    expect(r.dataHash).toBe(storeDataHash([{ symbol: "SOL/USDT", interval: "1h" }], store));
    // Same bytes under a perpetual's key: the store's own path rule (BTC_USDT_USDT), not a TS copy.
    const dir = tempDir();
    cpSync(path.join(store, "SOL_USDT"), path.join(dir, "SOL_USDT_USDT"), { recursive: true });
    const perp = storeDataHash([{ symbol: "SOL/USDT:USDT", interval: "1h" }], dir);
    expect(perp).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(perp).not.toBe(r.dataHash);
    let err: unknown;
    try {
      storeDataHash([{ symbol: "ETH/USDT:USDT", interval: "1h" }], dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TradelabError);
    expect((err as TradelabError).code).toBe("DATA_NOT_FOUND");
  });
});
