/**
 * The live venue over real ccxt against the loopback fake exchange's Binance spot order endpoints
 * (its matching engine fills resting limits against the shared bars as its clock advances):
 * quantisation, filter and balance rejections, idempotent placement by client order id, partial
 * fills, and reconciliation on restart. Nothing leaves 127.0.0.1.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ExchangeSession } from "../src/download/client.js";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { clientOrderId } from "../src/live/journal.js";
import { CcxtVenue, quantise } from "../src/live/venue.js";
import { FAST_RETRY, fakeExchange, H, iso } from "../src/testing/fake-exchange.js";

const T0 = iso("2025-01-01T01:00:00Z");
const RULES = { tickSize: 0.01, stepSize: 0.00001, minQty: 0.00001, minNotional: 5 };

let fx: FakeExchange | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe("quantisation", () => {
  it("buy price down, sell price up, quantity down to the step; min notional refused", () => {
    expect(quantise("buy", 93576.019, 0.123456, RULES)).toEqual({ ok: true, price: 93576.01, qty: 0.12345 });
    expect(quantise("sell", 93576.011, 0.123456, RULES)).toEqual({ ok: true, price: 93576.02, qty: 0.12345 });
    expect(quantise("buy", 100.1, 0.3, RULES)).toEqual({ ok: true, price: 100.1, qty: 0.3 }); // already on the grid: unchanged
    expect(quantise("buy", 90000, 0.000004, RULES)).toEqual({ ok: false, reason: "quantity 0.000004 rounds to 0, below the minimum 0.00001 (step 0.00001)" });
    expect(quantise("buy", 90000, 0.00005, RULES)).toEqual({ ok: false, reason: "notional 4.5000 is below the venue's minimum 5" });
  });
});

describe("ccxt against the fake exchange's order endpoints", () => {
  async function venue(o: { partialFill?: number; usdt?: number } = {}) {
    fx = await fakeExchange({ now: T0, account: { balances: { USDT: o.usdt ?? 10_000 }, filters: { tickSize: "0.01", stepSize: "0.00001", minNotional: "5" }, ...(o.partialFill ? { partialFill: o.partialFill } : {}) } });
    const session = new ExchangeSession("binance", { baseUrl: fx.url, retry: FAST_RETRY, credentials: { apiKey: "test-key", secret: "test-secret" } });
    return { fx, v: new CcxtVenue(session, "BTC/USDT"), session };
  }

  it("reads the filters, places once per client order id, rejects what the venue would", async () => {
    const { fx, v } = await venue();
    expect(await v.rules()).toEqual(RULES);
    const id = clientOrderId("live-test", T0, 0, "buy");
    const a = await v.place(id, "buy", 90_000.019, 0.05);
    expect(a).toMatchObject({ status: "placed", clientOrderId: id, price: 90_000.01, qty: 0.05 });
    // A retry with the same id (after a crash, before the ack was journaled) adopts the order.
    const b = await v.place(id, "buy", 90_000.019, 0.05);
    expect(b).toMatchObject({ status: "adopted", orderId: a.orderId });
    expect(fx.account.orders.length).toBe(1);
    expect(fx.account.orders[0]?.clientOrderId).toBe(id);
    // Refused before sending: below min notional. Refused by the venue: balance.
    expect(await v.place("tl-small", "buy", 90_000, 0.00005)).toMatchObject({ status: "rejected", reason: "notional 4.5000 is below the venue's minimum 5" });
    expect(await v.place("tl-big", "buy", 90_000, 1)).toMatchObject({ status: "rejected", reason: "Account has insufficient balance for requested action." });
    expect(fx.account.orders.length).toBe(1);
    // The venue's own filters, for an order sent unquantised (ccxt rounds to the market's
    // precision itself, to the nearest tick: quantise() above rounds the safe way first).
    for (const [price, qty, why] of [
      ["90000.005", "0.01", "Filter failure: PRICE_FILTER"],
      ["90000", "0.000015", "Filter failure: LOT_SIZE"],
      ["90000", "0.00005", "Filter failure: NOTIONAL"],
    ] as const) {
      const body = new URLSearchParams({ symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", price, quantity: qty, newClientOrderId: `raw-${qty}` });
      const r = await fetch(`${fx.url}/api/v3/order`, { method: "POST", headers: { "X-MBX-APIKEY": "test-key", "Content-Type": "application/x-www-form-urlencoded" }, body });
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({ code: -1013, msg: why });
    }
    expect(fx.account.orders.length).toBe(1);
    // Every request went to the loopback server, signed with the API key header.
    expect(fx.url.startsWith("http://127.0.0.1:")).toBe(true);
  });

  it("a resting limit fills against the bars as the clock advances, partially then fully", async () => {
    const { fx, v, session } = await venue({ partialFill: 0.4 });
    // BTC/USDT 2025-01-01: a buy 0.3 % under the 00:00 bar's close rests from 01:00.
    const id = clientOrderId("live-test", T0, 0, "buy");
    const placed = await v.place(id, "buy", 93_300, 0.05);
    expect(placed.status).toBe("placed");
    let filled = 0;
    let steps = 0;
    const statuses: string[] = [];
    for (let t = T0 + H; t <= T0 + 72 * H && filled < 0.05 - 1e-12; t += H) {
      fx.setNow(t);
      const o = await session.call("fetchOrder", (ex) => ex.fetchOrder("", "BTC/USDT", { origClientOrderId: id }));
      filled = Number(o.filled);
      statuses.push(String(o.status));
      steps++;
    }
    expect(filled).toBeCloseTo(0.05, 10);
    const trades = fx.account.trades;
    expect(trades.length).toBe(3); // 0.02 + 0.02 + 0.01 at 40 % of the order per bar
    expect(trades.every((t) => t.price <= 93_300)).toBe(true);
    expect(statuses).toContain("open"); // partially filled stays open
    expect(statuses[statuses.length - 1]).toBe("closed");
    const r = await v.reconcile(new Set([id]), 0);
    expect(r.trades.map((t) => t.clientOrderId)).toEqual([id, id, id]);
    expect(r.trades.reduce((a, t) => a + t.amount, 0)).toBeCloseTo(0.05, 10);
    expect(r.balances["BTC"]?.free).toBeCloseTo(0.05, 10);
    expect(steps).toBeGreaterThan(2);
  });

  it("reconcile on restart: adopts journaled open orders, cancels orphans, returns fills and balances", async () => {
    const { fx, v, session } = await venue();
    const known = clientOrderId("live-test", T0, 0, "buy");
    await v.place(known, "buy", 80_000, 0.01);
    // An order the journal never saw (placed by hand, or by a run that crashed before its intent).
    await session.call("createOrder", (ex) => ex.createOrder("BTC/USDT", "limit", "buy", 0.01, 81_000, { newClientOrderId: "orphan-1" }));
    const r = await v.reconcile(new Set([known]), 0);
    expect(r.adopted.map((o) => o.clientOrderId)).toEqual([known]);
    expect(r.cancelled.map((o) => o.clientOrderId)).toEqual(["orphan-1"]);
    expect(fx.account.orders.find((o) => o.clientOrderId === "orphan-1")?.status).toBe("CANCELED");
    // The orphan's locked cash is free again; the adopted order's is still locked.
    expect(r.balances["USDT"]?.used).toBeCloseTo(800, 6);
    expect(r.balances["USDT"]?.free).toBeCloseTo(9_200, 6);
    await v.cancel(known);
    expect(fx.account.orders.every((o) => o.status === "CANCELED")).toBe(true);
  });

  it("signed endpoints need the API key", async () => {
    fx = await fakeExchange({ now: T0 });
    const r = await fetch(`${fx.url}/api/v3/openOrders?symbol=BTCUSDT`);
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ code: -2015, msg: "Invalid API-key, IP, or permissions for action." });
  });
});
