/**
 * Seed 000's progress log from one sweep: `sweep --record-rows` records every row of an actions
 * sweep as a run derived from the sweep, and `runs log --parent` prints them with the lag-1 row
 * directly above its lag-0 twin and the optimistic ones labelled.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/testing/cli.js";
import { repoRoot, tempDir } from "../src/testing/paths.js";

describe("sweep --record-rows / runs log --parent", () => {
  it("logs one line per override set, lag 1 beside lag 0", async () => {
    const dir = tempDir();
    const t0 = Date.parse("2024-08-01T00:00:00Z");
    const rows = Array.from({ length: 240 }, (_, i) => `${t0 + i * 3_600_000},${i % 2 ? 140 : 1},${i % 3 ? 1e9 : 150},0.5,0.5`);
    writeFileSync(path.join(dir, "acts.csv"), `ts,buy_price,sell_price,buy_frac,sell_frac\n${rows.join("\n")}\n`);
    const cfg = path.join(dir, "sweep.json");
    writeFileSync(cfg, JSON.stringify({ symbol: "SOL/USDT", interval: "1h", from: "2024-08-01", to: "2024-08-11", strategy: { kind: "actions", file: "acts.csv" }, grid: { intensity: [1, 1.5], decisionLag: [1, 0], lastDays: [3, 5] } }));
    const reg = path.join(dir, "runs.sqlite");
    const s = await runCli(["sweep", "--config", cfg, "--store", path.join(repoRoot, "data/store"), "--registry", reg, "--record-rows"]);
    expect(s.stderr).toBe("");
    expect(s.code).toBe(0);
    const id = /runs log --parent (r-[0-9a-z-]+)/.exec(s.stdout)?.[1];
    expect(id).toBeDefined();
    const log = await runCli(["runs", "log", "--parent", id ?? "", "--registry", reg]);
    expect(log.code).toBe(0);
    const lines = log.stdout.trim().split("\n").slice(2);
    expect(lines.length).toBe(1 + 8);
    expect(lines[0]).toContain(`sweep ${id}`);
    const body = lines.slice(1);
    for (let i = 0; i < body.length; i += 2) {
      expect(body[i]).toContain("lag 1 ·");
      expect(body[i]).not.toContain("OPTIMISTIC");
      expect(body[i + 1]).toContain("lag 0 ·");
      expect(body[i + 1]).toContain("OPTIMISTIC");
      // The twins differ only in the lag.
      const notes = (l: string | undefined) => (l ?? "").split("|")[8]?.replace(" · OPTIMISTIC", "").replace(/row \d+/, "");
      expect(notes(body[i + 1])).toBe(notes(body[i]));
    }
    expect(body.slice(0, 4).every((l) => l.includes("| 3d "))).toBe(true);
    // Kernel (rule) sweeps have no rows to record.
    writeFileSync(cfg, JSON.stringify({ symbol: "SOL/USDT", strategy: { kind: "emaCross", fast: 12, slow: 26 } }));
    const bad = await runCli(["sweep", "--config", cfg, "--store", path.join(repoRoot, "data/store"), "--registry", reg, "--record-rows"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--record-rows applies to actions and policy sweeps");
  });
});
