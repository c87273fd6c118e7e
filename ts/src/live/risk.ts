/**
 * Risk checks, before every order: allowed instruments, position notional per instrument and in
 * total, order rate, and the kill switch (drawdown from peak, daily loss) that cancels everything
 * and halts or flattens. Each refusal carries its reason, which the loop journals and prints.
 */
import type * as G from "../generated/engine.js";
import type { RiskConfig } from "./config.js";

export interface Refusal {
  side: "buy" | "sell";
  reason: string;
}

export interface RiskView {
  symbol: string;
  /** Open time of the bar the orders rest on. */
  barTs: number;
  cash: number;
  /** Position units and its last mark. */
  qty: number;
  mark: number;
  /** Open times of the bars of orders placed so far (for the rate limit). */
  placedBarTs: readonly number[];
}

/** The orders that pass, and why the others did not. */
export function checkOrders(risk: RiskConfig, v: RiskView, orders: G.Orders): { orders: G.Orders; refusals: Refusal[] } {
  const refusals: Refusal[] = [];
  const out: G.Orders = { buy: orders.buy, sell: orders.sell };
  const allowed = risk.allowedSymbols;
  if (allowed && !allowed.includes(v.symbol)) {
    for (const side of ["buy", "sell"] as const) if (out[side]) refusals.push({ side, reason: `${v.symbol} is not in risk.allowedSymbols (${allowed.join(", ")})` });
    return { orders: { buy: null, sell: null }, refusals };
  }
  if (risk.maxOrdersPerHour !== undefined) {
    const recent = v.placedBarTs.filter((t) => t > v.barTs - 3_600_000 && t <= v.barTs).length;
    const cap = Math.floor(risk.maxOrdersPerHour);
    let room = Math.max(0, cap - recent);
    // Sells first: reducing risk is never what the rate limit blocks when there is room for one.
    for (const side of ["sell", "buy"] as const) {
      if (!out[side]) continue;
      if (room > 0) room--;
      else {
        refusals.push({ side, reason: `order rate: ${recent + Math.max(0, cap - recent)} orders in the last hour, risk.maxOrdersPerHour is ${risk.maxOrdersPerHour}` });
        out[side] = null;
      }
    }
  }
  const buy = out.buy;
  if (buy && "frac" in buy.size && buy.size.frac > 0) {
    const spend = buy.size.frac * v.cash;
    const held = Math.abs(v.qty * v.mark);
    const after = held + spend;
    if (risk.maxPositionNotional !== undefined && after > risk.maxPositionNotional) {
      refusals.push({ side: "buy", reason: `position notional ${after.toFixed(2)} after this buy would exceed risk.maxPositionNotional ${risk.maxPositionNotional}` });
      out.buy = null;
    } else if (risk.maxTotalNotional !== undefined && after > risk.maxTotalNotional) {
      refusals.push({ side: "buy", reason: `total notional ${after.toFixed(2)} after this buy would exceed risk.maxTotalNotional ${risk.maxTotalNotional}` });
      out.buy = null;
    }
  }
  return { orders: out, refusals };
}

/** Tracks peak and day-start equity; says when the kill switch trips and why. */
export class KillSwitch {
  peak = -Infinity;
  day = -1;
  dayStart = NaN;
  constructor(readonly risk: RiskConfig) {}

  /** Feeds the equity after the bar opening at `barTs`; returns the reason when it trips. */
  update(barTs: number, equity: number): string | null {
    this.peak = Math.max(this.peak, equity);
    const day = Math.floor(barTs / 86_400_000);
    if (day !== this.day) {
      this.day = day;
      this.dayStart = equity;
    }
    const dd = this.risk.maxDrawdown;
    if (dd !== undefined && equity < this.peak * (1 - dd)) return `drawdown ${((1 - equity / this.peak) * 100).toFixed(2)}% from the peak ${this.peak.toFixed(2)} exceeds risk.maxDrawdown ${(dd * 100).toFixed(2)}%`;
    const dl = this.risk.maxDailyLoss;
    if (dl !== undefined && equity < this.dayStart * (1 - dl)) return `daily loss ${((1 - equity / this.dayStart) * 100).toFixed(2)}% exceeds risk.maxDailyLoss ${(dl * 100).toFixed(2)}%`;
    return null;
  }
}
