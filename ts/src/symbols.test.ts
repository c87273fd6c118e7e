import { describe, expect, it } from "vitest";
import {
  classifySymbol,
  compactSymbol,
  defaultFees,
  isCrypto,
  marketHours,
  splitStableQuote,
  toCcxtSymbol,
  usdProxy,
} from "./symbols.js";

describe("stable quotes", () => {
  it("splits on the longest stable suffix with a non-empty base", () => {
    expect(splitStableQuote("BTCFDUSD")).toEqual({ base: "BTC", quote: "FDUSD" });
    expect(splitStableQuote("ETHUSDT")).toEqual({ base: "ETH", quote: "USDT" });
    expect(splitStableQuote("SOLUSDC")).toEqual({ base: "SOL", quote: "USDC" });
    expect(splitStableQuote("BNBBUSD")).toEqual({ base: "BNB", quote: "BUSD" });
    expect(splitStableQuote("ADATUSD")).toEqual({ base: "ADA", quote: "TUSD" });
    expect(splitStableQuote("BTCUSD")).toEqual({ base: "BTC", quote: "USD" });
    expect(splitStableQuote("FDUSDUSDT")).toEqual({ base: "FDUSD", quote: "USDT" });
    expect(splitStableQuote("UUSDT")).toEqual({ base: "U", quote: "USDT" });
    expect(splitStableQuote("USDT")).toBeNull();
  });

  it("BTCU is crypto (BTC/U) but MU, LULU and BIDU are stock tickers", () => {
    expect(splitStableQuote("BTCU")).toEqual({ base: "BTC", quote: "U" });
    expect(classifySymbol("BTCU")).toMatchObject({ assetClass: "crypto", symbol: "BTC/U", base: "BTC", quote: "U", stableQuote: true });
    expect(classifySymbol("ETHU").symbol).toBe("ETH/U");
    for (const t of ["MU", "LULU", "BIDU"]) {
      expect(splitStableQuote(t)).toBeNull();
      expect(classifySymbol(t)).toMatchObject({ assetClass: "stock", symbol: t, quote: null });
      expect(isCrypto(t)).toBe(false);
    }
  });

  it("USD needs a known crypto base too", () => {
    expect(classifySymbol("BTCUSD").assetClass).toBe("crypto");
    expect(classifySymbol("AUSD").assetClass).toBe("stock");
  });
});

describe("classifySymbol", () => {
  it("reads ccxt notation, swaps and crosses", () => {
    expect(classifySymbol("btc/usdt")).toMatchObject({ assetClass: "crypto", symbol: "BTC/USDT", compact: "BTCUSDT" });
    expect(classifySymbol("BTC/USDT:USDT")).toMatchObject({ symbol: "BTC/USDT:USDT", settle: "USDT", compact: "BTCUSDT" });
    expect(classifySymbol("ADABTC")).toMatchObject({ assetClass: "crypto", symbol: "ADA/BTC", stableQuote: false });
    expect(classifySymbol("BTC-USDT").symbol).toBe("BTC/USDT");
    expect(classifySymbol("sol_fdusd").symbol).toBe("SOL/FDUSD");
  });

  it("treats plain tickers as stocks and lone crypto assets as crypto", () => {
    expect(classifySymbol("AAPL").assetClass).toBe("stock");
    expect(classifySymbol("BRK.B").assetClass).toBe("stock");
    expect(classifySymbol("SPY").assetClass).toBe("stock");
    expect(classifySymbol("BTC")).toMatchObject({ assetClass: "crypto", quote: null });
    expect(classifySymbol("FDUSD")).toMatchObject({ assetClass: "crypto", quote: null });
  });

  it("refuses what it cannot tell", () => {
    expect(() => classifySymbol("NOTATICKER1")).toThrow(/crypto pair or a stock ticker/);
    expect(() => classifySymbol("")).toThrow(/empty/);
    expect(() => classifySymbol("A/B/C")).toThrow(/BASE\/QUOTE/);
  });
});

describe("conversions", () => {
  it("toCcxtSymbol converts crypto and refuses stocks", () => {
    expect(toCcxtSymbol("BTCFDUSD")).toBe("BTC/FDUSD");
    expect(toCcxtSymbol("BTC/USDT")).toBe("BTC/USDT");
    expect(() => toCcxtSymbol("MU")).toThrow(/stock ticker/);
    expect(() => toCcxtSymbol("BTC")).toThrow(/without a quote/);
  });

  it("usdProxy maps stable quotes to USD", () => {
    expect(usdProxy("BTCFDUSD")).toBe("BTCUSD");
    expect(usdProxy("ETH/USDT")).toBe("ETHUSD");
    expect(usdProxy("BTCU")).toBe("BTCUSD");
    expect(usdProxy("ADABTC")).toBe("ADABTC");
    expect(usdProxy("MU")).toBe("MU");
  });

  it("compactSymbol strips separators and the settle suffix", () => {
    expect(compactSymbol("btc/usdt:usdt")).toBe("BTCUSDT");
    expect(compactSymbol(" eth-fdusd ")).toBe("ETHFDUSD");
  });
});

describe("market hours and fees follow crypto vs stock", () => {
  it("crypto trades 24/7, stocks in the US session", () => {
    expect(marketHours("BTCU")).toMatchObject({ kind: "always", timezone: "UTC" });
    expect(marketHours("MU")).toEqual({ kind: "session", timezone: "America/New_York", open: "09:30", close: "16:00", weekdays: [1, 2, 3, 4, 5] });
  });

  it("zero maker fee for Binance FDUSD and U pairs, 10 bps crypto, 5 bps stocks", () => {
    expect(defaultFees("BTCFDUSD")).toMatchObject({ makerBps: 0, takerBps: 10 });
    expect(defaultFees("BTCU", "binance")).toMatchObject({ makerBps: 0 });
    expect(defaultFees("BTC/USDT")).toMatchObject({ makerBps: 10, takerBps: 10 });
    expect(defaultFees("BTCFDUSD", "alpaca")).toMatchObject({ makerBps: 10 });
    expect(defaultFees("LULU")).toMatchObject({ makerBps: 5, takerBps: 5 });
  });
});
