import { describe, expect, it } from "vitest";
import { buyAndHold, drawdown, histogram, monthlyReturns } from "./analysis.js";

describe("report analysis", () => {
  it("drawdown is equity over the running peak, starting from the start equity", () => {
    expect(drawdown([100, 110, 99, 121, 110], 100).map((x) => +x.toFixed(4))).toEqual([0, 0, -0.1, 0, -0.0909]);
    expect(drawdown([90, 100], 100).map((x) => +x.toFixed(6))).toEqual([-0.1, 0]);
  });

  it("buy-and-hold scales the start equity by close / close[0]", () => {
    expect(buyAndHold([10, 20, 5], 1000)).toEqual([1000, 2000, 500]);
  });

  it("monthly returns chain month-end equities (UTC months)", () => {
    const ts = [Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 31, 23), Date.UTC(2024, 1, 1), Date.UTC(2024, 1, 29, 23), Date.UTC(2025, 0, 1)];
    const eq = [100, 110, 100, 99, 198];
    const m = monthlyReturns(ts, eq, 100);
    expect(m.map((x) => [x.year, x.month, +x.ret.toFixed(6)])).toEqual([
      [2024, 0, 0.1],
      [2024, 1, -0.1],
      [2025, 0, 1],
    ]);
  });

  it("histogram bins every finite value", () => {
    const h = histogram([-0.02, -0.01, 0, 0.01, 0.03, Number.NaN], 4);
    expect(h.counts.reduce((a, b) => a + b, 0)).toBe(5);
    expect(h.edges).toHaveLength(h.counts.length + 1);
    expect(h.edges[0]).toBeCloseTo(-0.02);
    expect(h.edges.at(-1)).toBeCloseTo(0.03);
    expect(histogram([]).counts).toEqual([]);
    expect(histogram([0.5]).counts).toEqual([1]);
  });
});
