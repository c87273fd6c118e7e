/**
 * The live loop (`runLive`) against the loopback fake exchange's Binance spot account: the
 * engine state follows the venue's own fills, orders live one bar (cancelled after it), every
 * order carries a journaled client id, and a restart reconciles (orphans cancelled, nothing
 * doubled). Nothing leaves 127.0.0.1.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ExchangeSession } from "../src/download/client.js";
import type { FakeExchange } from "../src/testkit/fake-exchange.js";
import { readPaperConfig } from "../src/live/config.js";
import { Journal } from "../src/live/journal.js";
import { runLive } from "../src/live/live.js";
import { FAST_RETRY, fakeExchange, H, iso } from "../src/testing/fake-exchange.js";
import { paperConfigFile, replayClock } from "../src/testing/paper.js";
import { tempDir } from "../src/testing/paths.js";

const FROM = iso("2025-01-01T00:00:00Z");
const BAND = { kind: "band", buyOffset: 0.002, sellOffset: 0.002, buyFrac: 0.5, sellFrac: 0.5 } as const;
const CREDS = { apiKey: "test-key", secret: "test-secret" };

let fx: FakeExchange | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe("live loop on the fake exchange", () => {
  it("48 bars: the engine's position equals the venue's, every order journaled once, orders live one bar; a restart cancels an orphan", async () => {
    fx = await fakeExchange({ account: { balances: { USDT: 10_000 }, filters: { tickSize: "0.01", stepSize: "0.00001", minNotional: "5" } } });
    const dir = tempDir("tradelab-live-");
    const cfg = readPaperConfig(paperConfigFile(dir, fx, { from: FROM, until: FROM + 24 * H, strategy: BAND, runId: "live-loop" }));
    const a = await runLive(cfg, { credentials: CREDS, clock: replayClock(fx, FROM + H), retry: FAST_RETRY });
    expect(a.status.stepped).toBe(24);
    expect(a.trades).toBeGreaterThan(3);
    const venueTrades = fx.account.trades.length;
    expect(a.trades).toBe(venueTrades);
    const btc = fx.account.balances.get("BTC");
    expect(a.status.position).toBeCloseTo((btc?.free ?? 0) + (btc?.locked ?? 0), 9);

    // An order the journal does not know appears while the loop is down.
    const s = new ExchangeSession("binance", { baseUrl: fx.url, retry: FAST_RETRY, credentials: CREDS });
    await s.call("createOrder", (ex) => ex.createOrder("BTC/USDT", "limit", "buy", 0.001, 50_000, { newClientOrderId: "orphan-by-hand" }));
    const b = await runLive({ ...cfg, until: FROM + 48 * H }, { credentials: CREDS, clock: replayClock(fx, FROM + 25 * H), retry: FAST_RETRY });
    expect(b.resumed).toBe(true);
    expect(b.orphansCancelled).toBe(1);
    expect(fx.account.orders.find((o) => o.clientOrderId === "orphan-by-hand")?.status).toBe("CANCELED");
    expect(b.status.stepped).toBe(48);
    expect(b.trades).toBe(fx.account.trades.length);
    const btc2 = fx.account.balances.get("BTC");
    expect(b.status.position).toBeCloseTo((btc2?.free ?? 0) + (btc2?.locked ?? 0), 9);

    const j = new Journal(cfg.journal);
    const intents = j.events(cfg.runId, "intent").map((e) => e.ref as string);
    expect(new Set(intents).size).toBe(intents.length);
    // Every venue order but the orphan came from a journaled intent, each once.
    const ids = fx.account.orders.map((o) => o.clientOrderId).filter((c) => c !== "orphan-by-hand");
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((c) => intents.includes(c))).toBe(true);
    // Orders live one bar: at most the last bar's orders are still open.
    const open = fx.account.orders.filter((o) => o.status === "NEW" || o.status === "PARTIALLY_FILLED");
    const lastBar = Math.max(...j.events(cfg.runId, "intent").map((e) => e.barTs));
    const lastIds = j.events(cfg.runId, "intent").filter((e) => e.barTs === lastBar).map((e) => e.ref);
    expect(open.every((o) => lastIds.includes(o.clientOrderId))).toBe(true);
    // Each venue fill booked once, under its venue trade id.
    const fills = j.events(cfg.runId, "fill").map((e) => e.ref as string);
    expect(new Set(fills).size).toBe(fills.length);
    expect(fills.length).toBe(fx.account.trades.length);
  });

  it("a 451 from Binance stops a live run before anything is sent: no silent switch to Binance.US", async () => {
    fx = await fakeExchange({ restricted: true, account: { balances: { USDT: 10_000 }, filters: { tickSize: "0.01", stepSize: "0.00001", minNotional: "5" } } });
    const dir = tempDir("tradelab-live-451-");
    const cfg = readPaperConfig(paperConfigFile(dir, fx, { from: FROM, until: FROM + 4 * H, strategy: BAND, runId: "live-451" }));
    await expect(runLive(cfg, { credentials: CREDS, clock: replayClock(fx, FROM + H), retry: FAST_RETRY })).rejects.toMatchObject({ code: "LIVE_REGION" });
    await expect(runLive(cfg, { credentials: CREDS, clock: replayClock(fx, FROM + H), retry: FAST_RETRY })).rejects.toThrow(/never switches venue.*"exchange": "binanceus".*Nothing was sent/);
    // Every request went to Binance global (all 451) and none was an order.
    expect(fx.requests.length).toBeGreaterThan(0);
    expect(fx.requests.every((r) => r.venue === "binance" && r.status === 451)).toBe(true);
    expect(fx.requests.some((r) => r.path === "/api/v3/order")).toBe(false);
    expect(new Journal(cfg.journal).events("live-451", "intent")).toHaveLength(0);
  });
});
