/** Hostile input against `tradelab data` (issue #11): no data loss, clear refusals, no crash. */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { cliPath, sharedData, tempDir } from "../src/testing/paths.js";

const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/** `n` valid hourly bars from `start` ms, ISO timestamps. */
function csv(start: number, n: number): string {
  let s = "timestamp,open,high,low,close,volume\n";
  for (let i = 0; i < n; i++) {
    const o = 100 + i;
    s += `${iso(start + i * H)},${o},${o + 2},${o - 2},${o + 1},${1000 + i}\n`;
  }
  return s;
}

function file(dir: string, name: string, body: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, body);
  return p;
}

const T2024 = Date.parse("2024-12-01T00:00:00Z");
const T1971 = Date.parse("1971-01-01T00:00:00Z");

async function rows(store: string, symbol: string): Promise<{ rows: number; firstIso: string; lastIso: string }> {
  const r = await runCli(["data", "info", "--symbol", symbol, "--interval", "1h", "--store", store, "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { rows: number; firstIso: string; lastIso: string };
}

describe("hostile: data loss", () => {
  it("bars dated 1971 are kept exactly through re-imports (audit #38)", async () => {
    const dir = tempDir();
    const store = path.join(dir, "s");
    const old = file(dir, "y1971.csv", csv(T1971, 10));
    for (let k = 0; k < 2; k++) expect((await runCli(["data", "import", old, "--symbol", "OLD/USDT", "--interval", "1h", "--store", store])).code).toBe(0);
    expect((await runCli(["data", "import", file(dir, "new.csv", csv(T2024, 10)), "--symbol", "OLD/USDT", "--interval", "1h", "--store", store])).code).toBe(0);
    const info = await rows(store, "OLD/USDT");
    expect(info).toMatchObject({ rows: 20, firstIso: "1971-01-01T00:00:00Z", lastIso: "2024-12-01T09:00:00Z" });
    const check = await runCli(["data", "check", "--store", store]);
    expect(check.code, check.stdout).toBe(0);
  });

  it("times before 1970 or after 2100 are refused naming file, row and field (audit #29, #37)", async () => {
    const dir = tempDir();
    const store = path.join(dir, "s");
    let body = "timestamp,open,high,low,close,volume\n";
    for (let i = 0; i < 10; i++) body += `${-36_000_000 + i * H},100,102,98,101,10\n`;
    const neg = await runCli(["data", "import", file(dir, "neg_epoch.csv", body), "--symbol", "SOL/USDT", "--interval", "1h", "--store", store]);
    expect(neg.code).toBe(1);
    expect(neg.stderr).toMatch(/neg_epoch\.csv: row 1 \(line 2\): field `ts`: .*negative epoch.*1970-01-01/);
    const y5138 = await runCli(["data", "import", file(dir, "y5138.csv", `timestamp,open,high,low,close,volume\n99999997200000,1,2,0.5,1,1\n`), "--symbol", "X/USDT", "--interval", "1h", "--store", store]);
    expect(y5138.code).toBe(1);
    expect(y5138.stderr).toMatch(/y5138\.csv: row 1 \(line 2\): field `ts`:.*5138.*2100-01-01/);
    expect(existsSync(store)).toBe(false);
  });

  it("8 parallel imports of different bars into one dataset keep every bar (audit #63)", async () => {
    const dir = tempDir();
    const store = path.join(dir, "s");
    expect((await runCli(["data", "import", file(dir, "base.csv", csv(T2024 - 500 * H, 100)), "--symbol", "BTC/USDT", "--interval", "1h", "--store", store])).code).toBe(0);
    const files = Array.from({ length: 8 }, (_, k) => file(dir, `t${k}.csv`, csv(T2024 + k * 20 * H, 10)));
    const results = await Promise.all(files.map((f) => runCli(["data", "import", f, "--symbol", "BTC/USDT", "--interval", "1h", "--store", store, "--json"])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    expect(results.reduce((s, r) => s + (JSON.parse(r.stdout) as { rowsAdded: number }).rowsAdded, 0)).toBe(80);
    expect((await rows(store, "BTC/USDT")).rows).toBe(180);
  }, 60_000);
});

describe("hostile: import refusals", () => {
  it("a multi-file import with a bad 2nd file writes nothing (audit #62)", async () => {
    const dir = tempDir();
    const store = path.join(dir, "s");
    const good = file(dir, "new_bars.csv", csv(T2024, 10));
    const bad = file(dir, "nan.csv", csv(T2024 + 10 * H, 10).replace(/\n(.*?),(\d+),(\d+),(\d+),(\d+),/, "\n$1,$2,$3,$4,NaN,"));
    const r = await runCli(["data", "import", good, bad, "--symbol", "SOL/USDT", "--interval", "1h", "--store", store]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nan\.csv: row 1 \(line 2\): field `close`/);
    expect(existsSync(store)).toBe(false);
  });

  it("a file named for another symbol or interval needs --force (audit #49, #36)", async () => {
    const eth = path.join(sharedData(), "binance_imsatoshi_genetrader/ETH_USDT-1h.feather");
    const store = path.join(tempDir(), "s");
    const r = await runCli(["data", "import", eth, "--symbol", "BTC/USDT", "--interval", "1h", "--store", store]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the file name says ETH/USDT but --symbol is BTC/USDT");
    expect(r.stderr).toContain("--force");
    expect(existsSync(store)).toBe(false);
    const iv = await runCli(["data", "import", eth, "--symbol", "ETH/USDT", "--interval", "5m", "--store", store]);
    expect(iv.code).toBe(1);
    expect(iv.stderr).toContain("the file name says 1h but --interval is 5m");
    // --force skips the name check, and the bar spacing still refuses 1h bars as 5m.
    const forced = await runCli(["data", "import", eth, "--symbol", "ETH/USDT", "--interval", "5m", "--force", "--store", store]);
    expect(forced.code).toBe(1);
    expect(forced.stderr).toMatch(/bar spacing contradicts --interval 5m.*pass --interval 1h/);
    const ok = await runCli(["data", "import", eth, "--symbol", "BTC/USDT", "--interval", "1h", "--force", "--store", store]);
    expect(ok.code, ok.stderr).toBe(0);
  }, 60_000);

  it("symbols have one canonical form (audit #65, #66, #69, #70)", async () => {
    const dir = tempDir();
    const store = path.join(dir, "s");
    const f = file(dir, "bars.csv", csv(T2024, 10));
    for (const sym of ["BTC/USDT/EXTRA", "BTC/", "/USDT", "BTC_USDT", "BTC/USDT/USDT"]) {
      const r = await runCli(["data", "import", f, "--symbol", sym, "--interval", "1h", "--store", store]);
      expect(r.code, sym).toBe(1);
      expect(r.stderr, sym).toContain(`invalid symbol '${sym}'`);
    }
    expect(existsSync(store)).toBe(false);
    expect((await runCli(["data", "import", f, "--symbol", "BTC/USDT:USDT", "--interval", "1h", "--store", store])).code).toBe(0);
  });

  it("data check and data list refuse a store path that does not exist (audit #57)", async () => {
    const missing = path.join(tempDir(), "nonexist");
    for (const cmd of ["check", "list"]) {
      const r = await runCli(["data", cmd, "--store", missing]);
      expect(r.code, cmd).toBe(1);
      expect(r.stderr, cmd).toMatch(/nonexist.*does not exist/);
    }
  });

  it("a 50 MB line is not echoed whole (audit #30)", async () => {
    const dir = tempDir();
    const f = file(dir, "bigline.csv", `timestamp,open,high,low,close,volume\n${"1".repeat(50 * 1024 * 1024)}\n`);
    const r = await runCli(["data", "import", f, "--symbol", "SOL/USDT", "--interval", "1h", "--store", path.join(dir, "s")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bigline\.csv: row 1 \(line 2\): field `ts`/);
    expect(r.stderr.length).toBeLessThan(1000);
  }, 60_000);
});

describe("hostile: pipes and signals", () => {
  it("stdout closed early (| head -1) ends quietly (audit #134)", async () => {
    const dir = tempDir();
    const f = file(dir, "iso_z.csv", csv(T2024, 10));
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const c = spawn("bash", ["-c", `'${process.execPath}' '${cliPath}' data import '${f}' --symbol BTC/USDT --interval 1h --store '${path.join(dir, "s")}' | head -1 >/dev/null; echo "rc=\${PIPESTATUS[0]}" >&2`]);
      let stderr = "";
      c.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      c.on("close", (code) => resolve({ code: code ?? -1, stderr }));
    });
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|node:events/);
    expect(r.stderr).toContain("rc=0");
  });

  it("SIGINT during a large import leaves no temp file, and stale temps go at the next write (audit #133)", async () => {
    const dir = tempDir();
    const store = path.join(dir, "s");
    const big = path.join(sharedData(), "binance_roshan7869_algotrading/spot_1h/BTC_USDT-1h.feather");
    const dataset = path.join(store, "BTC_USDT/1h");
    for (const delay of [150, 300, 600]) {
      const c = spawn(process.execPath, [cliPath, "data", "import", big, "--symbol", "BTC/USDT", "--interval", "1h", "--store", store, "--on-conflict", "replace"]);
      // Listen before sleeping: a fast import may finish before the signal is sent.
      const closed = new Promise((r) => c.on("close", r));
      await new Promise((r) => setTimeout(r, delay));
      c.kill("SIGINT");
      await closed;
      const temps = existsSync(dataset) ? readdirSync(dataset).filter((n) => n.includes(".tmp-")) : [];
      expect(temps, `after SIGINT at ${delay} ms`).toEqual([]);
    }
    // A temp left by a process that died without cleanup (SIGKILL) is removed by the next write.
    expect((await runCli(["data", "import", file(dir, "a.csv", csv(T2024 + 3000 * 24 * H, 5)), "--symbol", "BTC/USDT", "--interval", "1h", "--store", store, "--force"])).code).toBe(0);
    writeFileSync(path.join(dataset, ".bars.parquet.tmp-4194304-1"), "half-written");
    expect((await runCli(["data", "import", file(dir, "b.csv", csv(T2024 + 3001 * 24 * H, 5)), "--symbol", "BTC/USDT", "--interval", "1h", "--store", store])).code).toBe(0);
    expect(readdirSync(dataset).filter((n) => n.includes(".tmp-"))).toEqual([]);
  }, 60_000);
});
