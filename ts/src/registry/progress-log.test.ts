import { describe, expect, it } from "vitest";
import type { RunRecord } from "./index.js";
import { progressLog } from "./progress-log.js";

const base: RunRecord = {
  id: "r-20240102-030405-abcd",
  kind: "backtest",
  createdAt: Date.UTC(2024, 0, 2, 3, 4, 5),
  symbols: ["SOL/USDT"],
  interval: "1h",
  split: "full",
  window: { first: Date.UTC(2024, 0, 1), last: Date.UTC(2024, 8, 30, 23) },
  assumptions: { decisionLag: 1, fillRule: "touch", makerFee: 0.001, takerFee: 0.001, periodsPerYear: 8760, optimistic: false, warnings: [], cautions: [], text: "lag 1 · touch" },
  config: {},
  dataHash: null,
  codeVersion: null,
  metrics: { totalReturn: 0.12345, sortino: 1.5 },
  artifacts: {},
  notes: "band | 1%",
  parent: null,
  environment: null,
};

describe("progressLog", () => {
  it("writes the seed log's columns, oldest first, escaping pipes", () => {
    const later = { ...base, id: "r-20240103-000000-0000", createdAt: base.createdAt + 86_400_000, kind: "eval" as const, metrics: { total_return: -0.5 }, notes: null };
    const md = progressLog([later, base], "markdown").trim().split("\n");
    expect(md[0]).toBe("| Timestamp (UTC) | Run | Symbol(s) | Eval window | total_return | sortino | Assumptions | Notes |");
    expect(md[2]).toBe("| 2024-01-02 03:04 | backtest r-20240102-030405-abcd | SOL/USDT | full 2024-01-01..2024-09-30 | 0.1235 | 1.50 | lag 1 · touch | band \\| 1% |");
    expect(md[3]).toContain("| eval r-20240103-000000-0000 |");
    expect(md[3]).toContain("| -0.5000 |  |");
  });

  it("states OPTIMISTIC once", () => {
    const a = { ...base.assumptions!, optimistic: true, text: "lag 0 · touch · OPTIMISTIC" };
    expect(progressLog([{ ...base, assumptions: a }])).toContain("| lag 0 · touch · OPTIMISTIC |");
  });

  it("json rows carry the same fields", () => {
    const rows = JSON.parse(progressLog([{ ...base, assumptions: { ...base.assumptions!, optimistic: true } }], "json")) as { assumptions: string; sortino: number }[];
    expect(rows[0]?.assumptions).toBe("lag 1 · touch · OPTIMISTIC");
    expect(rows[0]?.sortino).toBe(1.5);
  });
});
