/**
 * `tradelab/testkit`: helpers for offline tests and strategy work, kept out of the main library.
 *
 * ```ts
 * import { startFakeExchange } from "tradelab/testkit";
 * const ex = await startFakeExchange({ dataDir: "./my-feathers" });
 * // tradelab data download ... --base-url ex.url
 * await ex.close();
 * ```
 */
export { startFakeExchange } from "./fake-exchange.js";
export type { FakeExchange, FakeExchangeOptions, FakeRequest, FakeRoute, FakeVenue, FaultKind, FaultRule } from "./fake-exchange.js";
