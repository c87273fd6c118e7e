// Generated from the Rust structs by crates/backtest/src/types.rs (ts-rs). Do not edit:
// `TRADELAB_BLESS=1 cargo test -p tradelab-backtest --test generated_types` rewrites it.
/* eslint-disable */

export type FillRule = { "kind": "touch" } | { "kind": "cross", buffer: number, };

export type SimParams = { 
/**
 * Bars between deciding an action (after bar t closes) and the bar it may fill on (t + lag).
 * 1 is honest; 0 fills on the decision bar itself and is flagged optimistic.
 */
decisionLag: number, fillRule: FillRule, 
/**
 * Fee fraction paid by limit fills (0.001 = 10 bps).
 */
makerFee: number, 
/**
 * Fee fraction paid by forced (market) closes.
 */
takerFee: number, 
/**
 * Caps every bar's total filled quantity at this fraction of the bar's volume (base units);
 * a zero-volume bar then fills nothing.
 */
maxVolumeFraction: number | null, 
/**
 * 0 = off (default). N > 0 allows up to N hypothetical buy→sell cycles inside one bar
 * (seed §6.2); always flagged optimistic. Unlike the seed, 1 means one cycle, not "off".
 */
maxRoundTripsPerBar: number, 
/**
 * Multiplies both order fractions; each result is clamped to [0, 1].
 */
intensity: number, 
/**
 * Moves limits away from the market: buy × (1 − offset), sell × (1 + offset).
 */
priceOffsetPct: number, 
/**
 * When a bar has a buy order, its sell limit is raised to at least buy × (1 + gap) (after
 * the offset). `None` = no adjustment. The seed used sell ≥ buy + close × gap at decode
 * time; measuring the gap from the buy keeps the rule inside the action row.
 */
minGapPct: number | null, 
/**
 * Market-sell the whole position at the open of the first bar on which it has been held for
 * this many bars (age counted from the bar whose buy opened it from flat), paying the taker
 * fee. No limit order fills on that bar.
 */
maxHoldBars: number | null, startingCash: number, 
/**
 * When an action carries both a buy and a sell, keep only the side with the larger fraction
 * (ties keep the sell). Decided from the action alone, before seeing the bar.
 */
oneSidePerBar: boolean, 
/**
 * Bar length in ms; sets periods per year (8,760 for 1h) and the window length in bars.
 */
intervalMs: number, 
/**
 * Also report the trailing window of this many days, sliced from the same equity curve.
 */
lastWindowDays: number | null, 
/**
 * Periods per year P for annualising. `None`: a 365-day year of `interval_ms` bars (crypto,
 * 24/7). Stocks get their exchange calendar's P (`tradelab_calendar`, 1,754 for NYSE 1h).
 */
periodsPerYear: number | null, };

export type SimLabel = { decisionLag: number, fillRule: string, makerFee: number, takerFee: number, 
/**
 * Periods per year used to annualise (8,760 for 24/7 hourly bars).
 */
periodsPerYear: number, optimistic: boolean, 
/**
 * Why the run is optimistic (lag 0, intrabar round trips).
 */
warnings: Array<string>, 
/**
 * Assumptions that flatter results without being OPTIMISTIC by themselves (zero fees, touch
 * fills, fills that took a large share of a bar's volume, fills on zero-volume bars).
 */
cautions: Array<string>, 
/**
 * e.g. "lag 1 · cross 5 bps · maker 0.1% / taker 0.1% · P 8760".
 */
text: string, };

export type Strategy = { "kind": "smaCross", fast: number, slow: number, slack?: number, } | { "kind": "emaCross", fast: number, slow: number, slack?: number, } | { "kind": "band", buyOffset: number, sellOffset: number, buyFrac: number, sellFrac: number, };

export type CurveMetrics = { 
/**
 * Number of per-period returns (bars) in the curve.
 */
bars: number, startEquity: number, endEquity: number, 
/**
 * end / start − 1, measured from starting cash (or the pre-window equity).
 */
totalReturn: number, 
/**
 * Geometric: (end/start)^(P/bars) − 1, log growth capped at [`MAX_ANNUAL_LOG_GROWTH`].
 * Meaningless for windows of a few days; reported anyway, read it with `bars`.
 */
annualisedReturn: number, 
/**
 * mean(r) / std(r, ddof 1) × sqrt(P); 0 when fewer than 2 bars or zero variance.
 */
sharpe: number, 
/**
 * mean(r) / downside_deviation × sqrt(P); 0 when downside_deviation is 0.
 */
sortino: number, 
/**
 * sqrt(mean(min(r, 0)^2)) over all periods, per period (not annualised).
 */
downsideDeviation: number, 
/**
 * Largest fall from a running peak, as a positive fraction (0.25 = 25 % below the peak).
 */
maxDrawdown: number, 
/**
 * Longest run of consecutive bars closing below the running peak.
 */
maxDrawdownBars: number, 
/**
 * annualised_return / max_drawdown; 0 when there was no drawdown.
 */
calmar: number, 
/**
 * False below about 3 months of bars (P / 4): the annualised return and Calmar then
 * extrapolate too little data to mean anything, and every table says so.
 */
annualisedMeaningful: boolean, };

export type Metrics = { 
/**
 * Fills of any kind (limit, forced close, each intrabar-cycle leg).
 */
tradeCount: number, roundTrips: number, 
/**
 * Fraction of closed round trips with positive pnl (after fees); 0 when none closed.
 */
winRate: number, 
/**
 * Fraction of bars that closed holding inventory.
 */
exposure: number, 
/**
 * Traded notional / mean equity (equity at each bar close).
 */
turnover: number, feesPaid: number, 
/**
 * The trailing window, re-measured on the same curve (see `SimParams::last_window_days`).
 */
lastWindow: CurveMetrics | null, 
/**
 * Number of per-period returns (bars) in the curve.
 */
bars: number, startEquity: number, endEquity: number, 
/**
 * end / start − 1, measured from starting cash (or the pre-window equity).
 */
totalReturn: number, 
/**
 * Geometric: (end/start)^(P/bars) − 1, log growth capped at [`MAX_ANNUAL_LOG_GROWTH`].
 * Meaningless for windows of a few days; reported anyway, read it with `bars`.
 */
annualisedReturn: number, 
/**
 * mean(r) / std(r, ddof 1) × sqrt(P); 0 when fewer than 2 bars or zero variance.
 */
sharpe: number, 
/**
 * mean(r) / downside_deviation × sqrt(P); 0 when downside_deviation is 0.
 */
sortino: number, 
/**
 * sqrt(mean(min(r, 0)^2)) over all periods, per period (not annualised).
 */
downsideDeviation: number, 
/**
 * Largest fall from a running peak, as a positive fraction (0.25 = 25 % below the peak).
 */
maxDrawdown: number, 
/**
 * Longest run of consecutive bars closing below the running peak.
 */
maxDrawdownBars: number, 
/**
 * annualised_return / max_drawdown; 0 when there was no drawdown.
 */
calmar: number, 
/**
 * False below about 3 months of bars (P / 4): the annualised return and Calmar then
 * extrapolate too little data to mean anything, and every table says so.
 */
annualisedMeaningful: boolean, };

export type Side = "buy" | "sell";

export type TradeReason = "limit" | "maxHold" | "intrabarCycle" | "endOfDay" | "liquidation";

export type Trade = { 
/**
 * Open time of the bar the fill happened in.
 */
ts: number, bar: number, side: Side, price: number, qty: number, 
/**
 * Fee paid, in quote currency (reporting; already inside `cash_delta`).
 */
fee: number, 
/**
 * Exact change of cash this fill caused (buys negative). Replaying these in order
 * reproduces the simulator's cash bit for bit.
 */
cashDelta: number, reason: TradeReason, };

export type Fill = { instrument: number, 
/**
 * Open time of the bar the fill happened in.
 */
ts: number, bar: number, side: Side, price: number, qty: number, 
/**
 * Fee paid, in quote currency (reporting; already inside `cash_delta`).
 */
fee: number, 
/**
 * Exact change of cash this fill caused (buys negative). Replaying these in order
 * reproduces the simulator's cash bit for bit.
 */
cashDelta: number, reason: TradeReason, };

export type RoundTrip = { entryTs: number, entryBar: number, 
/**
 * None while the position is still open at the end of the data.
 */
exitTs: number | null, exitBar: number | null, 
/**
 * Quantity-weighted average prices of the opening and closing fills.
 */
entryPrice: number, exitPrice: number | null, 
/**
 * Quantity opened (summed over the fills that grew the position).
 */
qty: number, fees: number, 
/**
 * Net cash flow of the trip, fees included (> 0 is a win); None while open.
 */
pnl: number | null, 
/**
 * Net cash in / net cash out − 1; None while open.
 */
ret: number | null, fills: number, };

export type InstrumentResult = { symbol: string, trades: number, roundTrips: number, winRate: number, 
/**
 * Fraction of clock bars that closed holding a position in it.
 */
exposure: number, 
/**
 * Its cash flows plus the final position at its last close: its contribution to PnL.
 */
pnl: number, fees: number, 
/**
 * Funding received minus paid.
 */
funding: number, finalQty: number, };

export type SweepRow = { 
/**
 * Position in the expanded grid (strategy-major, then simulator axes in field order).
 */
index: number, strategy: Strategy, params: SimParams, 
/**
 * The params use an optimistic assumption (lag 0, intrabar cycles).
 */
optimistic: boolean, metrics: Metrics, };

export type StressRow = { 
/**
 * What changed, e.g. `default`, `touch`, `lag 2`, `cross 15 bps`, `fees x2`, `lag 0`.
 */
scenario: string, label: SimLabel, optimistic: boolean, metrics: Metrics, };

export type RobustScore = { 
/**
 * The seed's score: 1.5·worst return + 0.75·p25 return + 0.35·mean return + 2·p25
 * Sortino + 0.5·worst Sortino − 0.8·worst drawdown − 0.25·mean drawdown −
 * 50·(negative-return rate) − 0.75 per trade of mean shortfall below 6 trades; Sortino
 * clipped to ±10. The seed's smoothness term is left out (its definition was not recovered).
 */
score: number, worstReturn: number, p25Return: number, meanReturn: number, worstSortino: number, p25Sortino: number, meanSortino: number, worstDrawdown: number, meanDrawdown: number, negativeRate: number, meanTrades: number, 
/**
 * Scenarios scored, e.g. "lags 0/1/2 × cross 0/5/10/15 bps × windows 20/30 d (24 runs)".
 */
scenarios: string, runs: number, };

export type DeflatedSharpe = { 
/**
 * P(true Sharpe of the best row > SR0): below 0.95 the best row is not significant.
 */
dsr: number, 
/**
 * The best row's per-period Sharpe and the one expected from the best of N skill-less rows.
 */
sharpe: number, expectedMaxSharpe: number, trials: number, returns: number, skew: number, kurtosis: number, };

export type Pbo = { 
/**
 * Share of the C(S, S/2) splits whose in-sample best row ranks at or below the median
 * out-of-sample (logit ≤ 0). Near 0: the selection generalises; 0.5 or more: it does not.
 */
pbo: number, blocks: number, splits: number, trials: number, 
/**
 * Mean out-of-sample relative rank of the in-sample best (0..1, 0.5 = no better than chance).
 */
meanOosRank: number, };

export type Overfit = { deflated: DeflatedSharpe, pbo: Pbo | null, 
/**
 * One line for tables, e.g. `deflated Sharpe 0.62 of best of 24 (< 0.95: not significant) · PBO 0.41 (CSCV 16 blocks)`.
 */
text: string, };

export type ActionsSweepRequest = { symbol: string, base?: Partial<SimParams>, 
/**
 * Simulator axes only (strategy axes do not apply to fixed actions).
 */
grid?: Record<string, unknown>, 
/**
 * Trailing evaluation windows in days (e.g. 20, 30, 45, 60, 90); empty = the whole window.
 */
lastDays?: Array<number>, 
/**
 * Store root directory.
 */
store: string, 
/**
 * Bar interval, e.g. `1h`.
 */
interval: string, 
/**
 * First bar open time included (epoch ms).
 */
from?: number | null, 
/**
 * Bars opening at or after this time are excluded (epoch ms).
 */
to?: number | null, 
/**
 * Run on a named split of the stored data (`tradelab_core::splits`) instead of from/to.
 */
split?: "train" | "val" | "test" | null, 
/**
 * The split definition (default: val and test 20 days each, no purge).
 */
splits?: { valDays?: number, testDays?: number, purgeBars?: number | null, maxTrainDays?: number | null } | null, 
/**
 * The run registry whose global test lock a `test` split claims (required for `test`).
 */
registry?: string, 
/**
 * `--i-know-test-is-burned`: permit a second look at a test window (labelled burned).
 */
acknowledgeBurned?: boolean, };

export type ActionsSweepRow = { index: number, 
/**
 * The trailing window in days, or null for the whole window.
 */
lastDays: number | null, bars: number, first: number, params: SimParams, 
/**
 * The row's own assumptions (lag, fill, fees, P), as every table prints them.
 */
label: SimLabel, optimistic: boolean, metrics: Metrics, };

export type ActionsSweepReport = { rows: Array<ActionsSweepRow>, 
/**
 * The best honest row by Sortino, over every window.
 */
best: BestRow | null, 
/**
 * Deflated Sharpe and PBO over the rows on the best row's window (same bars, N trials).
 */
overfit: Overfit | null, barEvaluations: number, seconds: number, bars: number, first: number, last: number, baseLabel: SimLabel, periods: string, dataHash: string, split: SplitInfo | null, };

export type Window = { 
/**
 * Store root directory.
 */
store: string, 
/**
 * Bar interval, e.g. `1h`.
 */
interval: string, 
/**
 * First bar open time included (epoch ms).
 */
from?: number | null, 
/**
 * Bars opening at or after this time are excluded (epoch ms).
 */
to?: number | null, 
/**
 * Run on a named split of the stored data (`tradelab_core::splits`) instead of from/to.
 */
split?: "train" | "val" | "test" | null, 
/**
 * The split definition (default: val and test 20 days each, no purge).
 */
splits?: { valDays?: number, testDays?: number, purgeBars?: number | null, maxTrainDays?: number | null } | null, 
/**
 * The run registry whose global test lock a `test` split claims (required for `test`).
 */
registry?: string, 
/**
 * `--i-know-test-is-burned`: permit a second look at a test window (labelled burned).
 */
acknowledgeBurned?: boolean, };

export type SplitInfo = { split: "train" | "val" | "test", from: number, to: number, 
/**
 * `test`: an earlier look overlapped this window (numbers are not out-of-sample).
 */
burned: boolean, 
/**
 * `test`, `test (burned)`, `val`, ...
 */
label: string, };

export type SingleRequest = { symbol: string, 
/**
 * A built-in strategy; without it the caller passes [`KeyedActions`].
 */
strategy?: Strategy, 
/**
 * Missing fields take the honest defaults. Without `periodsPerYear`, P comes from the
 * symbol's calendar (8 760 for 1h crypto, 1 754 for 1h NYSE stocks).
 */
params?: Partial<SimParams>, 
/**
 * Store root directory.
 */
store: string, 
/**
 * Bar interval, e.g. `1h`.
 */
interval: string, 
/**
 * First bar open time included (epoch ms).
 */
from?: number | null, 
/**
 * Bars opening at or after this time are excluded (epoch ms).
 */
to?: number | null, 
/**
 * Run on a named split of the stored data (`tradelab_core::splits`) instead of from/to.
 */
split?: "train" | "val" | "test" | null, 
/**
 * The split definition (default: val and test 20 days each, no purge).
 */
splits?: { valDays?: number, testDays?: number, purgeBars?: number | null, maxTrainDays?: number | null } | null, 
/**
 * The run registry whose global test lock a `test` split claims (required for `test`).
 */
registry?: string, 
/**
 * `--i-know-test-is-burned`: permit a second look at a test window (labelled burned).
 */
acknowledgeBurned?: boolean, };

export type StrategyUsed = Strategy | { kind: ActionsKind, rows: number, };

export type ActionsKind = "actions";

export type SingleReport = { label: SimLabel, params: SimParams, strategy: StrategyUsed, strategyLabel: string, 
/**
 * Where P comes from, e.g. `P=8760 (24/7, 365 days)`.
 */
periods: string, metrics: Metrics, trades: Array<Trade>, 
/**
 * Hex SHA-256 over the trade list (`tradelab_sim::trade_sha256`): a paper run on the same
 * bars and parameters reports the same one.
 */
tradeSha256: string, 
/**
 * Flat to flat, by the engine's rule (see `tradelab_sim::trips`).
 */
roundTrips: Array<RoundTrip>, finalCash: number, finalInventory: number, 
/**
 * End equity after paying the taker fee to close the position at the last close.
 */
liquidationValue: number, 
/**
 * `sha256:…` over the stored bars read (`Store::data_hash`), for the run registry.
 */
dataHash: string, 
/**
 * The named split run on, if any (`test (burned)` when the test lock saw it before).
 */
split: SplitInfo | null, bars: number, first: number, last: number, 
/**
 * For precomputed actions (a policy's): the same actions under touch, one more bar of lag,
 * a 15 bps buffer, double fees and lag 0 (OPTIMISTIC), beside the run itself.
 */
stress: Array<StressRow> | null, };

export type PortfolioRequest = { 
/**
 * Instruments, processed in this order within a bar (after all sells).
 */
symbols: Array<string>, strategy: Strategy, params?: Partial<SimParams>, 
/**
 * At most this many open positions (default: one per symbol).
 */
maxPositions?: number | null, 
/**
 * Close stock positions at the close of each session's last bar (taker fee).
 */
endOfDayClose?: boolean, 
/**
 * Store root directory.
 */
store: string, 
/**
 * Bar interval, e.g. `1h`.
 */
interval: string, 
/**
 * First bar open time included (epoch ms).
 */
from?: number | null, 
/**
 * Bars opening at or after this time are excluded (epoch ms).
 */
to?: number | null, 
/**
 * Run on a named split of the stored data (`tradelab_core::splits`) instead of from/to.
 */
split?: "train" | "val" | "test" | null, 
/**
 * The split definition (default: val and test 20 days each, no purge).
 */
splits?: { valDays?: number, testDays?: number, purgeBars?: number | null, maxTrainDays?: number | null } | null, 
/**
 * The run registry whose global test lock a `test` split claims (required for `test`).
 */
registry?: string, 
/**
 * `--i-know-test-is-burned`: permit a second look at a test window (labelled burned).
 */
acknowledgeBurned?: boolean, };

export type PortfolioReport = { label: SimLabel, params: SimParams, strategy: Strategy, strategyLabel: string, symbols: Array<string>, 
/**
 * Each symbol's calendar (`24/7`, `NYSE regular hours`).
 */
calendars: Array<string>, periods: string, maxPositions: number, metrics: Metrics, instruments: Array<InstrumentResult>, funding: number, financing: number, liquidations: number, finalCash: number, 
/**
 * End equity after paying the taker fee to close every position at its last close.
 */
liquidationValue: number, 
/**
 * `sha256:…` over the stored bars read (`Store::data_hash`), for the run registry.
 */
dataHash: string, 
/**
 * The named split run on, if any (`test (burned)` when the test lock saw it before).
 */
split: SplitInfo | null, 
/**
 * Clock steps (the union of every symbol's bar times).
 */
steps: number, 
/**
 * Bars summed over the symbols.
 */
barRows: number, first: number, last: number, };

export type BestRow = { index: number, 
/**
 * The best row's own assumptions (its lag, fill and fees: the grid may vary them).
 */
label: SimLabel, 
/**
 * How it was chosen, e.g. "best of 24 by Sortino (optimistic rows excluded), in-sample".
 */
selection: string, };

export type SweepReport = { rows: Array<SweepRow>, skipped: Array<string>, barEvaluations: number, seconds: number, threads: number, bars: number, first: number, last: number, baseLabel: SimLabel, periods: string, best: BestRow | null, 
/**
 * `sha256:…` over the stored bars read (`Store::data_hash`), for the run registry.
 */
dataHash: string, 
/**
 * The named split run on, if any (`test (burned)` when the test lock saw it before).
 */
split: SplitInfo | null, 
/**
 * Deflated Sharpe and PBO of the best row among the N honest trials.
 */
overfit: Overfit | null, };

export type SweepPlan = { 
/**
 * Parameter sets in the whole sweep.
 */
total: number, 
/**
 * `[start, end)` row ranges, one per chunk (empty ones dropped).
 */
chunks: Array<[number, number]>, bars: number, 
/**
 * `sha256:…` over the bars the sweep reads: a chunk computed on other bars is refused.
 */
dataHash: string, };

export type PortfolioSweepRequest = { symbols: Array<string>, base?: Partial<SimParams>, strategy: Strategy, 
/**
 * Value lists per axis, as in a single-asset sweep (`SweepGrid`).
 */
grid?: Partial<Record<string, unknown[]>>, 
/**
 * The `maxPositions` axis (default: one value, a slot per symbol).
 */
maxPositions?: number[], endOfDayClose?: boolean, 
/**
 * Store root directory.
 */
store: string, 
/**
 * Bar interval, e.g. `1h`.
 */
interval: string, 
/**
 * First bar open time included (epoch ms).
 */
from?: number | null, 
/**
 * Bars opening at or after this time are excluded (epoch ms).
 */
to?: number | null, 
/**
 * Run on a named split of the stored data (`tradelab_core::splits`) instead of from/to.
 */
split?: "train" | "val" | "test" | null, 
/**
 * The split definition (default: val and test 20 days each, no purge).
 */
splits?: { valDays?: number, testDays?: number, purgeBars?: number | null, maxTrainDays?: number | null } | null, 
/**
 * The run registry whose global test lock a `test` split claims (required for `test`).
 */
registry?: string, 
/**
 * `--i-know-test-is-burned`: permit a second look at a test window (labelled burned).
 */
acknowledgeBurned?: boolean, };

export type PortfolioSweepRow = { 
/**
 * Position in the expanded grid: strategy-major, then simulator axes, then maxPositions.
 */
index: number, strategy: Strategy, params: SimParams, maxPositions: number, 
/**
 * The params use an optimistic assumption (lag 0, intrabar cycles).
 */
optimistic: boolean, metrics: Metrics, liquidationValue: number, };

export type PortfolioSweepReport = { symbols: Array<string>, rows: Array<PortfolioSweepRow>, 
/**
 * Strategy combinations dropped as invalid, with the reason.
 */
skipped: Array<string>, best: BestRow | null, baseLabel: SimLabel, periods: string, 
/**
 * Bar rows over all symbols, per parameter set.
 */
barRows: number, 
/**
 * Bar rows times parameter sets.
 */
barEvaluations: number, seconds: number, threads: number, steps: number, first: number, last: number, dataHash: string, 
/**
 * The named split run on, if any (`test (burned)` when the test lock saw it before).
 */
split: SplitInfo | null, 
/**
 * Deflated Sharpe and PBO of the best row among the N honest runs.
 */
overfit: Overfit | null, };

export type HarvestRule = { "kind": "always" } | { "kind": "every", hours: number, } | { "kind": "gate", window: number, enter: number, exit: number, };

export type HarvestRequest = { 
/**
 * The spot market, e.g. `BTC/USDT`.
 */
symbol: string, 
/**
 * The perpetual (default: `BASE/QUOTE:QUOTE`, e.g. `BTC/USDT:USDT`).
 */
perp?: string, 
/**
 * Default: always on.
 */
rule?: HarvestRule, 
/**
 * Capital deployed (default 1): each leg's notional is `allocation × equity / 2`.
 */
allocation?: number, 
/**
 * Relative drift of a leg's notional from its target that triggers a rebalance (default 0.05).
 */
rebalanceThreshold?: number, 
/**
 * Taker fee of the spot leg (default 0.1 %; every harvest trade crosses the spread).
 */
spotFee?: number, 
/**
 * Taker fee of the perpetual leg (default 0.05 %).
 */
perpFee?: number, 
/**
 * Default 10 000.
 */
startingCash?: number, 
/**
 * Store root directory.
 */
store: string, 
/**
 * Bar interval, e.g. `1h`.
 */
interval: string, 
/**
 * First bar open time included (epoch ms).
 */
from?: number | null, 
/**
 * Bars opening at or after this time are excluded (epoch ms).
 */
to?: number | null, 
/**
 * Run on a named split of the stored data (`tradelab_core::splits`) instead of from/to.
 */
split?: "train" | "val" | "test" | null, 
/**
 * The split definition (default: val and test 20 days each, no purge).
 */
splits?: { valDays?: number, testDays?: number, purgeBars?: number | null, maxTrainDays?: number | null } | null, 
/**
 * The run registry whose global test lock a `test` split claims (required for `test`).
 */
registry?: string, 
/**
 * `--i-know-test-is-burned`: permit a second look at a test window (labelled burned).
 */
acknowledgeBurned?: boolean, };

export type HarvestReport = { 
/**
 * Every assumption behind the numbers.
 */
label: string, rule: HarvestRule, ruleLabel: string, spot: string, perp: string, metrics: Metrics, 
/**
 * Annualised return of the equity curve (calendar time, compounding).
 */
apr: number, sharpe: number, maxDrawdown: number, 
/**
 * Fraction of UTC calendar months whose equity rose.
 */
monthlyWinRate: number, months: number, 
/**
 * Funding received minus paid.
 */
fundingNet: number, fundingReceived: number, fundingPaid: number, feesPaid: number, 
/**
 * Fraction of the clock the hedge was on.
 */
deployed: number, entries: number, exits: number, rebalances: number, fundingEvents: number, legs: Array<InstrumentResult>, finalEquity: number, liquidationValue: number, 
/**
 * `sha256:…` over the stored bars read (`Store::data_hash`), for the run registry.
 */
dataHash: string, 
/**
 * The named split run on, if any (`test (burned)` when the test lock saw it before).
 */
split: SplitInfo | null, steps: number, first: number, last: number, };

export type EdgeMode = "high_low" | "high" | "close";

export type SelectRequest = { symbols: Array<string>, 
/**
 * Every symbol's actions from this rule strategy; absent: fixed actions are given per symbol.
 */
strategy?: Strategy, params?: Partial<SimParams>, 
/**
 * The forecaster (`tradelab forecast build`'s names) and the horizon whose p50 high, low
 * and close score the edge; computed causally on all stored bars, keyed by issue time.
 */
forecastModel: string, horizon?: number, edgeMode: EdgeMode, 
/**
 * rw in `high_low` (default 0.5).
 */
riskWeight?: number, 
/**
 * OPTIMISTIC (seed §12.6): also tell the selector whether each buy limit is reached on the
 * bar it would rest on — a look at that bar's low before it happens.
 */
fillableLookahead?: boolean, 
/**
 * OPTIMISTIC (seed §12.6, `--dip-threshold-pct`): also tell the selector whether the bar
 * the order rests on dips to close × (1 − x) — its own low and close, before they happen.
 */
dipThresholdPct?: number, 
/**
 * Per-symbol fees replacing `params`' maker/taker for that symbol, keyed by symbol or by a
 * star, a slash and a quote for every symbol of that quote (a venue's zero-fee FDUSD pairs);
 * an exact symbol wins over its quote. The label lists every symbol with its own fees.
 */
fees?: Record<string, { maker: number, taker: number }>, 
/**
 * Stocks: close every position at its session's last bar (taker fee).
 */
endOfDayClose?: boolean, 
/**
 * Spot shorts (seed §7's mirrored candidates); absent: long-only.
 */
shorts?: ShortSettings, 
/**
 * Store root directory.
 */
store: string, 
/**
 * Bar interval, e.g. `1h`.
 */
interval: string, 
/**
 * First bar open time included (epoch ms).
 */
from?: number | null, 
/**
 * Bars opening at or after this time are excluded (epoch ms).
 */
to?: number | null, 
/**
 * Run on a named split of the stored data (`tradelab_core::splits`) instead of from/to.
 */
split?: "train" | "val" | "test" | null, 
/**
 * The split definition (default: val and test 20 days each, no purge).
 */
splits?: { valDays?: number, testDays?: number, purgeBars?: number | null, maxTrainDays?: number | null } | null, 
/**
 * The run registry whose global test lock a `test` split claims (required for `test`).
 */
registry?: string, 
/**
 * `--i-know-test-is-burned`: permit a second look at a test window (labelled burned).
 */
acknowledgeBurned?: boolean, };

export type ShortSettings = { 
/**
 * Symbols that may go short (absent: every symbol).
 */
symbols?: Array<string>, 
/**
 * Annual borrow cost on the short's notional at each close, accrued per bar (e.g. 0.03).
 */
borrowRate: number, };

export type SelectReport = { symbols: Array<string>, 
/**
 * The simulator's assumptions (lag, fill, fees, P), with the selector's OPTIMISTIC modes.
 */
label: SimLabel, 
/**
 * The selector's own description (from TS), e.g. "edge high_low rw 0.5, min edge 0.001, 1 slot".
 */
selector: string, params: SimParams, periods: string, metrics: Metrics, 
/**
 * Per symbol: trades, round trips, PnL contribution, share of time held (`exposure`).
 */
instruments: Array<InstrumentResult>, finalCash: number, liquidationValue: number, 
/**
 * Borrow cost of shorts plus margin interest paid over the run.
 */
financing: number, steps: number, first: number, last: number, dataHash: string, split: SplitInfo | null, };

export type SweptRow = { index: number, 
/**
 * The run's label says OPTIMISTIC (lag 0, intrabar cycles, fillable lookahead).
 */
optimistic: boolean, sortino: number, sharpe: number, params: SimParams, };

export type WalkForwardRequest = { symbol: string, folds: { mode: "anchored" | "rolling", oosDays: number, inSampleDays: number, folds?: number | null, purgeBars?: number, embargoBars?: number }, base?: Partial<SimParams>, 
/**
 * A rule strategy whose grid axes are searched per fold (absent for fixed actions).
 */
strategy?: Strategy, grid?: Record<string, unknown>, 
/**
 * Folds whose out-of-sample part starts before this bar open time are dropped: a policy's
 * first bar after its training data (its validation start).
 */
oosNotBefore?: number | null, 
/**
 * Store root directory.
 */
store: string, 
/**
 * Bar interval, e.g. `1h`.
 */
interval: string, 
/**
 * First bar open time included (epoch ms).
 */
from?: number | null, 
/**
 * Bars opening at or after this time are excluded (epoch ms).
 */
to?: number | null, 
/**
 * Run on a named split of the stored data (`tradelab_core::splits`) instead of from/to.
 */
split?: "train" | "val" | "test" | null, 
/**
 * The split definition (default: val and test 20 days each, no purge).
 */
splits?: { valDays?: number, testDays?: number, purgeBars?: number | null, maxTrainDays?: number | null } | null, 
/**
 * The run registry whose global test lock a `test` split claims (required for `test`).
 */
registry?: string, 
/**
 * `--i-know-test-is-burned`: permit a second look at a test window (labelled burned).
 */
acknowledgeBurned?: boolean, };

export type Part = { from: number, 
/**
 * Exclusive.
 */
to: number, bars: number, };

export type FoldResult = { index: number, inSample: Part, oos: Part, 
/**
 * The chosen trial: index into strategies × simulator combinations (or candidates × ...).
 */
trial: number, 
/**
 * The chosen rule strategy, or the chosen candidate's label.
 */
strategy: Strategy | null, candidate: string | null, params: SimParams, label: SimLabel, 
/**
 * e.g. "best of 36 by Sortino (12 optimistic rows excluded), selected on this fold's in-sample part".
 */
selection: string, 
/**
 * The chosen trial on the in-sample part (where it was chosen: optimistic by construction).
 */
inSampleMetrics: Metrics, 
/**
 * The chosen trial on the out-of-sample part (the reference `simulate`, restarted flat).
 */
oosMetrics: Metrics, 
/**
 * The chosen trial's out-of-sample Sortino rank among the honest trials, in (0, 1):
 * 1 = best. At or below 0.5 the in-sample choice did no better than the median out of sample.
 */
oosRank: number, 
/**
 * Deflated Sharpe and PBO of the in-sample choice over its N honest trials.
 */
overfit: Overfit | null, };

export type WalkForwardReport = { folds: Array<FoldResult>, 
/**
 * Folds left out, and why (e.g. out-of-sample before a policy's first unseen bar).
 */
notes: Array<string>, 
/**
 * Trials per fold (strategies or candidates × simulator combinations), optimistic ones included.
 */
trials: number, 
/**
 * The concatenated out-of-sample curve: each fold's curve, chained from the previous end.
 */
oos: CurveMetrics, oosTrades: number, oosRoundTrips: number, oosFees: number, 
/**
 * Probabilistic Sharpe of the concatenated out-of-sample returns against 0 (no selection on
 * them, so no deflation): the probability the true per-bar Sharpe is positive.
 */
oosPsr: number, 
/**
 * Share of folds whose in-sample choice ranked at or below the median out of sample: the
 * walk-forward estimate of the probability of backtest overfitting.
 */
pbo: number | null, curveTs: number[], curveEquity: Array<number>, barEvaluations: number, seconds: number, bars: number, first: number, last: number, 
/**
 * What the span is: `before test`, `custom`, a split name, or `... (burned)`.
 */
span: string, baseLabel: SimLabel, periods: string, dataHash: string, split: SplitInfo | null, 
/**
 * One line for tables: what the out-of-sample numbers are and are not.
 */
text: string, };

export type Size = { "frac": number } | { "qty": number };

export type Limit = { price: number, size: Size, };

export type Orders = { buy: Limit | null, sell: Limit | null, 
/**
 * Makes `buy` contingent on the exit of instrument `after_exit` (this one or another;
 * OPTIMISTIC same-bar re-entry, seed §7 `allow_reentry_same_bar`): it rests only if that
 * instrument was long at the open and is flat after this bar's sells, and its fraction is
 * of that exit's proceeds, not of the cash held at the open. Bars do not say whether the
 * exit or the entry came first, so this assumes the exit did; runs that use it are
 * labelled optimistic. One contingent buy per exit (the first in instrument order spends
 * the proceeds).
 */
afterExit?: number, };

export type PaperRequest = { symbol: string, 
/**
 * Bar length in ms (every pushed bar is checked against it).
 */
intervalMs: number, 
/**
 * A rule strategy, decided here from the pushed bars ([`PaperSession::decide`]).
 */
strategy?: Strategy, 
/**
 * Instead of a strategy: the label of an outside decider (a policy checkpoint) whose action
 * rows come in through [`PaperSession::decide_row`].
 */
actionsSource?: string, 
/**
 * Missing fields take the honest defaults (as `tradelab backtest`).
 */
params?: Partial<SimParams>, };

export type ActionRow = { 
/**
 * Open time of the bar the row was decided on (epoch ms).
 */
ts: number, buyPrice: number | null, sellPrice: number | null, buyFrac: number, sellFrac: number, };

export type PaperStatus = { symbol: string, label: SimLabel, strategyLabel: string, 
/**
 * Bars pushed / bars stepped (filled).
 */
bars: number, stepped: number, 
/**
 * Open time of the last stepped bar (null before the first).
 */
lastSteppedTs: number | null, cash: number, position: number, equity: number, 
/**
 * Equity after paying the taker fee to close the position at its mark.
 */
liquidationValue: number, };
