/** Hostile parameters against `tradelab backtest` / `sweep`, actions files, forecasts and the registry (issue #11). */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { sharedData, tempDir } from "../src/testing/paths.js";

let dir = "";
let store = "";
const B = () => ["backtest", "--symbol", "SOL/USDT", "--store", store, "--no-record"];

beforeAll(async () => {
  dir = tempDir();
  store = path.join(dir, "s1");
  const r = await runCli(["data", "import", path.join(sharedData(), "kernc_backtesting_py/SOLUSDT.csv"), "--symbol", "SOL/USDT", "--interval", "1h", "--store", store]);
  expect(r.code, r.stderr).toBe(0);
});

function cfg(name: string, body: object): string {
  const p = path.join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify(body));
  return p;
}

const base = { symbol: "SOL/USDT", interval: "1h", base: { decisionLag: 1, makerFee: 0.001 }, strategy: { kind: "emaCross", fast: 12, slow: 26, slack: 0.005 }, grid: { fast: [4, 8], slow: [48, 72] } };
const sweep = (file: string) => runCli(["sweep", "--config", file, "--store", store, "--no-record", "--top", "2"]);

describe("hostile: backtest parameters", () => {
  it("--lag -1 / 1.5 name --lag (audit #77, #78); --lag 1e9 is refused (audit #79)", async () => {
    for (const v of ["-1", "1.5"]) {
      const r = await runCli([...B(), "--lag", v]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`--lag: '${v}' is not a whole number >= 0`);
    }
    const r = await runCli([...B(), "--lag", "1e9"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/decisionLag.*1000000000.*below the number of bars.*\(1000 bars\)/);
  });

  it("--buy-frac 2 is refused, not clamped (audit #84)", async () => {
    const r = await runCli([...B(), "--strategy", "band", "--buy-frac", "2"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--buy-frac: 2 is not a fraction in [0, 1]");
  });
});

describe("hostile: sweep configs", () => {
  it("a 1e12-row grid is refused with the count and the limit, no abort (audit #87)", async () => {
    const n = (k: number, f: (i: number) => number) => Array.from({ length: k }, (_, i) => f(i));
    const r = await sweep(cfg("huge1e12", { ...base, grid: { fast: n(1000, (i) => i + 1), slow: n(1000, (i) => i + 2), slack: n(1000, (i) => i * 1e-4), makerFee: n(1000, (i) => i * 1e-5) } }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("1000000000000 parameter sets");
    expect(r.stderr).toContain("limit of 2000000");
  });

  it("unknown top-level keys, empty axes, all-invalid grids and unreachable lags are errors (audit #90, #92, #93, #97)", async () => {
    const typo = await sweep(cfg("typo_from", { ...base, form: "2024-10-01" }));
    expect(typo.code).toBe(1);
    expect(typo.stderr).toMatch(/typo_from\.json: unknown key\(s\) "form" \(allowed: symbol, symbols, maxPositions, endOfDayClose, interval, store, from, to/);
    const empty = await sweep(cfg("empty_axis", { ...base, grid: { fast: [] } }));
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("grid axis `fast` is empty");
    const ge = await sweep(cfg("fast_ge_slow", { ...base, grid: { fast: [50], slow: [10] } }));
    expect(ge.code).toBe(1);
    expect(ge.stderr).toContain("every strategy combination is invalid");
    expect(ge.stderr).not.toMatch(/Arrow|row count/);
    const lag = await sweep(cfg("huge_lag", { ...base, grid: { decisionLag: [1000000000] } }));
    expect(lag.code).toBe(1);
    expect(lag.stderr).toMatch(/decisionLag.*below the number of bars/);
  });
});

describe("hostile: actions files", () => {
  const T0 = Date.parse("2024-09-21T00:00:00Z");
  const act = (name: string, rows: string[]) => {
    const p = path.join(dir, name);
    writeFileSync(p, `ts,buy_price,sell_price,buy_frac,sell_frac\n${rows.join("\n")}\n`);
    return p;
  };
  it("a row after the last bar is refused like a row in a gap (audit #99, #100)", async () => {
    const r = await runCli([...B(), "--strategy", act("act_missing_ts.csv", [`${T0 + 3_600_000 * 10},100,200,1,1`, "2030-01-01T00:00:00Z,100,200,1,1"])]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/act_missing_ts\.csv: row 2: timestamp 2030-01-01T00:00:00Z .*outside the bars/);
  });
  it("epoch seconds are read as seconds (audit #102)", async () => {
    const bars = readFileSync(path.join(sharedData(), "kernc_backtesting_py/SOLUSDT.csv"), "utf8").split("\n");
    expect(bars.length).toBeGreaterThan(10);
    const secs = Array.from({ length: 5 }, (_, i) => `${Math.floor(Date.parse("2024-09-21T00:00:00Z") / 1000) + i * 3600},1000000,0.000001,1,1`);
    const r = await runCli([...B(), "--strategy", act("act_seconds.csv", secs), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { metrics: { tradeCount: number } }).metrics.tradeCount).toBeGreaterThan(0);
  });
  it("fractions outside [0, 1] and non-positive prices are refused (audit #103)", async () => {
    for (const [name, row, field] of [["act1_bfneg.csv", "100,200,-1,1", "buy_frac"], ["act1_bf5.csv", "100,200,5,1", "buy_frac"], ["act1_bpneg.csv", "-5,200,1,1", "buy_price"]] as const) {
      const r = await runCli([...B(), "--strategy", act(name, [`${T0 + 3_600_000 * 10},${row}`])]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toContain(`${name}: row 1 (line 2): field \`${field}\``);
    }
  });
});

describe("hostile: forecasts and the registry", () => {
  it("--horizons beyond u32 are refused, not wrapped (audit #108, #109); quantiles need 0.5 (audit #110)", async () => {
    for (const h of ["4294967296", "4294967297"]) {
      const r = await runCli(["forecast", "build", "--symbols", "SOL/USDT", "--store", store, "--horizons", h]);
      expect(r.code, h).toBe(1);
      expect(r.stderr, h).toContain(`--horizons: '${h}' is too large`);
    }
    const q = await runCli(["forecast", "build", "--symbols", "SOL/USDT", "--store", store, "--horizons", "1", "--quantiles", "0.1,0.9"]);
    expect(q.code).toBe(1);
    expect(q.stderr).toContain("--quantiles: 0.1,0.9 lacks 0.5");
  });

  it("another program's SQLite as --registry is refused untouched (audit #116)", async () => {
    const reg = path.join(dir, "wrongschema.sqlite");
    execFileSync("python3", ["-c", `import sqlite3; c=sqlite3.connect(${JSON.stringify(reg)}); c.execute("create table runs(x)"); c.execute("insert into runs values (1)"); c.commit()`]);
    const before = readFileSync(reg);
    const r = await runCli(["backtest", "--symbol", "SOL/USDT", "--store", store, "--registry", reg]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("not a tradelab run registry");
    expect(r.stderr).not.toContain("CREATE TABLE");
    expect(readFileSync(reg).equals(before)).toBe(true);
  });
});
