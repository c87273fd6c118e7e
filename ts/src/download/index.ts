/** Data download: ccxt clients, bar and funding downloads, Binance Vision archives (the loopback fake exchange is in `tradelab/testkit`). */
export { EXCHANGES, DownloadError, isExchangeId, venueUrl } from "./client.js";
export type { ClientOptions, ExchangeId, FailureKind, RetryOptions } from "./client.js";
export { downloadBars } from "./bars.js";
export type { DownloadOptions, DownloadProgress, DownloadReport, GapFillReport, SymbolDownloadReport } from "./bars.js";
export { downloadFunding, FUNDING_EXCHANGES } from "./funding.js";
export type { FundingDownloadOptions, FundingDownloadReport, FundingExchangeId, SymbolFundingReport } from "./funding.js";
export { FundingStore, openFundingStore } from "./funding-store.js";
export type { FundingArrays, FundingImportReport, FundingInfo, FundingMergeOptions, FundingMergeReport } from "./funding-store.js";
export { importVision, parseVisionName } from "./vision.js";
export type { VisionImportOptions, VisionImportReport, VisionName } from "./vision.js";
export { ccxtSource, checkSourceMix, gapFillSource, isGapFill, missingRanges, sourceVenue } from "./sources.js";
export type { MissingRange } from "./sources.js";
export { intervalMs, parseTime, systemNow } from "./time.js";
