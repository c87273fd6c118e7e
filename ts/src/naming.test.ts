import { describe, expect, it } from "vitest";
import { inferDatasetFromFileName } from "./naming.js";

describe("inferDatasetFromFileName", () => {
  it("reads freqtrade and Binance Vision names", () => {
    expect(inferDatasetFromFileName("/x/BTC_USDT-1h.feather")).toEqual({ symbol: "BTC/USDT", interval: "1h" });
    expect(inferDatasetFromFileName("BTC_USDT_USDT-1h-futures.feather")).toEqual({ symbol: "BTC/USDT:USDT", interval: "1h" });
    expect(inferDatasetFromFileName("ADABTC-1m-2021-11-27.csv")).toEqual({ symbol: "ADABTC", interval: "1m" });
    expect(inferDatasetFromFileName("prices.csv")).toEqual({});
  });
});
