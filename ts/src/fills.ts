/**
 * A backtest's trades and round trips arrive as columns (one typed array per field; see
 * `bindings/node/src/fills.rs`): crossing 17k trades as JS objects cost more than an 8-year
 * backtest. The rows are built here, on first access, in the generated types' field order.
 */
import type { TradeColumns, TripColumns } from "../../bindings/node/index.cjs";
import type * as G from "./generated/engine.js";

const orNull = (v: number | undefined): number | null => (v === undefined || Number.isNaN(v) ? null : v);

export function tradeRows(c: TradeColumns): G.Trade[] {
  const out: G.Trade[] = new Array<G.Trade>(c.ts.length);
  for (let i = 0; i < c.ts.length; i++) {
    out[i] = {
      ts: c.ts[i] ?? NaN,
      bar: c.bar[i] ?? NaN,
      side: c.sideNames[c.side[i] ?? 0] as G.Side,
      price: c.price[i] ?? NaN,
      qty: c.qty[i] ?? NaN,
      fee: c.fee[i] ?? NaN,
      cashDelta: c.cashDelta[i] ?? NaN,
      reason: c.reasonNames[c.reason[i] ?? 0] as G.TradeReason,
    };
  }
  return out;
}

export function tripRows(c: TripColumns): G.RoundTrip[] {
  const out: G.RoundTrip[] = new Array<G.RoundTrip>(c.entryTs.length);
  for (let i = 0; i < c.entryTs.length; i++) {
    out[i] = {
      entryTs: c.entryTs[i] ?? NaN,
      entryBar: c.entryBar[i] ?? NaN,
      exitTs: orNull(c.exitTs[i]),
      exitBar: orNull(c.exitBar[i]),
      entryPrice: c.entryPrice[i] ?? NaN,
      exitPrice: orNull(c.exitPrice[i]),
      qty: c.qty[i] ?? NaN,
      fees: c.fees[i] ?? NaN,
      pnl: orNull(c.pnl[i]),
      ret: orNull(c.ret[i]),
      fills: c.fills[i] ?? NaN,
    };
  }
  return out;
}

/** Defines `key` on `obj` as an enumerable property computed once, on first read. */
export function lazy<T extends object, K extends keyof T>(obj: T, key: K, make: () => T[K]): T {
  let v: T[K] | undefined;
  let done = false;
  Object.defineProperty(obj, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      if (!done) {
        v = make();
        done = true;
      }
      return v as T[K];
    },
    set: (x: T[K]) => {
      v = x;
      done = true;
    },
  });
  return obj;
}
