import { describe, expect, it } from "vitest";
import type { Trade } from "../sim.js";
import { buyAndHold, drawdown, histogram, monthlyReturns, roundTrips } from "./analysis.js";

const H = 3_600_000;
const trade = (side: "buy" | "sell", bar: number, price: number, qty: number, fee = 0): Trade => ({
  ts: bar * H,
  bar,
  side,
  price,
  qty,
  fee,
  cashDelta: side === "buy" ? -(price * qty + fee) : price * qty - fee,
  reason: "limit",
});

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

  it("pairs partial buys and sells into flat-to-flat round trips, fees included", () => {
    const trips = roundTrips([
      trade("buy", 1, 100, 1, 0.1),
      trade("buy", 2, 90, 1, 0.09),
      trade("sell", 5, 110, 1.5, 0.165),
      trade("sell", 6, 120, 0.5, 0.06),
      trade("buy", 8, 50, 2),
    ]);
    expect(trips).toHaveLength(2);
    const [a, b] = trips;
    expect(a!.entryBar).toBe(1);
    expect(a!.exitBar).toBe(6);
    expect(a!.entryPrice).toBeCloseTo(95);
    expect(a!.exitPrice).toBeCloseTo(112.5);
    expect(a!.fills).toBe(4);
    expect(a!.ret).toBeCloseTo((225 - 0.225) / (190 + 0.19) - 1, 10);
    expect(b!.exitTs).toBeNull();
    expect(b!.ret).toBeNull();
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
