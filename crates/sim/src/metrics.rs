//! Performance metrics: the ONE definition of every statistic tradelab reports.
//!
//! The seed system had three incompatible Sortino ratios, measured total return from the first
//! post-trade equity and re-simulated "last 2 days" from fresh cash (design §8, §12.8). Here:
//!
//! * The equity curve is `V_0 = starting cash`, then `V_i` = equity marked at the close of bar
//!   `i-1`. Per-period returns are `r_i = V_i / V_{i-1} - 1` (one per bar), so the first bar's
//!   trading and fees are inside the first return and total return is measured from starting cash.
//! * Sortino = mean(r) / sqrt(mean(min(r, 0)^2) over ALL periods) × sqrt(P). When that downside
//!   RMS is 0 (no losing period) Sortino is reported as **0**, never infinity, so a curve with a
//!   handful of flat or winning bars cannot top a ranking; `downside_deviation` (0) tells the two
//!   cases apart.
//! * The "last N days" window is a slice of the same curve, started from the equity at the close
//!   before the window (see [`curve_metrics`]), not a restarted simulation.
//!
//! Everything is accumulated by [`CurveStats::push`] and [`TradeStats`], which both the reference
//! simulator and the batched kernel call, so the two produce bit-identical numbers.
use crate::num::fmax;
use serde::{Deserialize, Serialize};

/// Cap on the annualised log growth, ln(1 + annualised_return). Annualising a few days of +10 %
/// gives numbers like 1e180 (the seed's "annualized 49,893"); the cap keeps the value finite
/// (e^50 − 1 ≈ 5e21), which is still obviously meaningless, instead of overflowing to inf.
pub const MAX_ANNUAL_LOG_GROWTH: f64 = 50.0;

/// Streaming statistics of one equity curve. All counters are f64 so the batched kernel can keep
/// them in the same SIMD lanes as prices (exact for counts below 2^53).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurveStats {
    /// `V_0`: equity before the first return of this curve (starting cash, or the equity at the
    /// close before a trailing window).
    pub start: f64,
    /// Last pushed equity (`V_n`), `start` before any push.
    pub prev: f64,
    pub bars: f64,
    pub sum_r: f64,
    pub sum_r2: f64,
    /// Σ min(r, 0)^2 over all periods (Sortino's downside).
    pub sum_down2: f64,
    pub peak: f64,
    /// Bars since equity was last at or above its running peak.
    pub underwater: f64,
    pub max_underwater: f64,
    /// The deepest trough/peak pair seen so far; drawdown = 1 − trough/peak. Kept as a pair and
    /// compared by cross-multiplication so the per-bar update needs no division.
    pub dd_trough: f64,
    pub dd_peak: f64,
    /// Σ V_i over pushed points (mean equity for turnover).
    pub sum_equity: f64,
}

impl CurveStats {
    pub fn new(start: f64) -> Self {
        CurveStats {
            start,
            prev: start,
            bars: 0.0,
            sum_r: 0.0,
            sum_r2: 0.0,
            sum_down2: 0.0,
            peak: start,
            underwater: 0.0,
            max_underwater: 0.0,
            dd_trough: 1.0,
            dd_peak: 1.0,
            sum_equity: 0.0,
        }
    }

    /// Adds the equity marked at the next bar's close. Branch-free after if-conversion so the
    /// kernel can vectorise it across parameter sets.
    #[inline(always)]
    pub fn push(&mut self, equity: f64) {
        self.push_return(equity, period_return(self.prev, equity));
    }

    /// `push` with the period return already computed by [`period_return`] (the kernel skips
    /// the division when equity did not move, where the return is exactly 0).
    #[inline(always)]
    pub fn push_return(&mut self, equity: f64, r: f64) {
        // min(r, 0)^2 is r^2 when r < 0 and +0 otherwise, and adding +0 leaves the (never
        // negative) sum unchanged: one masked add of the r^2 already needed for sum_r2.
        let r2 = r * r;
        self.bars += 1.0;
        self.sum_r += r;
        self.sum_r2 += r2;
        if r < 0.0 {
            self.sum_down2 += r2;
        }
        self.sum_equity += equity;
        if equity >= self.peak {
            self.peak = equity;
            self.underwater = 0.0;
        } else {
            self.underwater += 1.0;
        }
        self.max_underwater = fmax(self.max_underwater, self.underwater);
        // equity/peak < trough/best_peak, both denominators positive.
        if equity * self.dd_peak < self.dd_trough * self.peak {
            self.dd_trough = equity;
            self.dd_peak = self.peak;
        }
        self.prev = equity;
    }

    pub fn finish(&self, periods_per_year: f64) -> CurveMetrics {
        let n = self.bars;
        let p = periods_per_year;
        let ratio = if self.start > 0.0 {
            self.prev / self.start
        } else {
            1.0
        };
        let total_return = ratio - 1.0;
        let mean = if n > 0.0 { self.sum_r / n } else { 0.0 };
        let sharpe = if n >= 2.0 {
            let var = ((self.sum_r2 - self.sum_r * self.sum_r / n) / (n - 1.0)).max(0.0);
            let sd = var.sqrt();
            if sd > 0.0 {
                mean / sd * p.sqrt()
            } else {
                0.0
            }
        } else {
            0.0
        };
        let downside_deviation = if n > 0.0 {
            (self.sum_down2 / n).sqrt()
        } else {
            0.0
        };
        let sortino = if downside_deviation > 0.0 {
            mean / downside_deviation * p.sqrt()
        } else {
            0.0
        };
        let annualised_return = if n == 0.0 {
            0.0
        } else if ratio <= 0.0 {
            -1.0
        } else {
            (ratio.ln() * p / n).min(MAX_ANNUAL_LOG_GROWTH).exp() - 1.0
        };
        let max_drawdown = 1.0 - self.dd_trough / self.dd_peak;
        let calmar = if max_drawdown > 0.0 {
            annualised_return / max_drawdown
        } else {
            0.0
        };
        CurveMetrics {
            bars: n as u64,
            start_equity: self.start,
            end_equity: self.prev,
            total_return,
            annualised_return,
            sharpe,
            sortino,
            downside_deviation,
            max_drawdown,
            max_drawdown_bars: self.max_underwater as u64,
            calmar,
            annualised_meaningful: n >= p / 4.0,
        }
    }
}

/// Per-period return `equity / prev − 1`. `prev` is > 0 in every real run (validated positive
/// cash and prices); the guard keeps a wiped-out curve finite instead of producing inf/NaN.
#[inline(always)]
pub fn period_return(prev: f64, equity: f64) -> f64 {
    if prev > 0.0 {
        equity / prev - 1.0
    } else {
        0.0
    }
}

/// Metrics that depend only on an equity curve (used for the whole run and for trailing windows).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct CurveMetrics {
    /// Number of per-period returns (bars) in the curve.
    #[ts(type = "number")]
    pub bars: u64,
    pub start_equity: f64,
    pub end_equity: f64,
    /// end / start − 1, measured from starting cash (or the pre-window equity).
    pub total_return: f64,
    /// Geometric: (end/start)^(P/bars) − 1, log growth capped at [`MAX_ANNUAL_LOG_GROWTH`].
    /// Meaningless for windows of a few days; reported anyway, read it with `bars`.
    pub annualised_return: f64,
    /// mean(r) / std(r, ddof 1) × sqrt(P); 0 when fewer than 2 bars or zero variance.
    pub sharpe: f64,
    /// mean(r) / downside_deviation × sqrt(P); 0 when downside_deviation is 0.
    pub sortino: f64,
    /// sqrt(mean(min(r, 0)^2)) over all periods, per period (not annualised).
    pub downside_deviation: f64,
    /// Largest fall from a running peak, as a positive fraction (0.25 = 25 % below the peak).
    pub max_drawdown: f64,
    /// Longest run of consecutive bars closing below the running peak.
    #[ts(type = "number")]
    pub max_drawdown_bars: u64,
    /// annualised_return / max_drawdown; 0 when there was no drawdown.
    pub calmar: f64,
    /// False below about 3 months of bars (P / 4): the annualised return and Calmar then
    /// extrapolate too little data to mean anything, and every table says so.
    pub annualised_meaningful: bool,
}

/// Streaming trade statistics, shared by the reference simulator and the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeStats {
    pub trades: f64,
    /// Positions taken from flat back to flat (plus one per bar of intrabar cycles).
    pub round_trips: f64,
    pub wins: f64,
    /// Σ qty × price over every fill.
    pub notional: f64,
    pub fees: f64,
    /// Cash flow of the open round trip: −cost of buys + net proceeds of sells.
    pub trip_flow: f64,
    /// Bars that closed holding a position (long or short).
    pub exposure_bars: f64,
}

impl TradeStats {
    #[inline(always)]
    pub fn on_buy(&mut self, notional: f64, fee: f64, cost: f64) {
        self.on_buy_if(true, notional, fee, cost);
    }

    /// `on_buy` when `m`, nothing otherwise. Written as selects of the updated value so the
    /// kernel applies it to all SIMD lanes at once (one masked add per field).
    #[inline(always)]
    pub fn on_buy_if(&mut self, m: bool, notional: f64, fee: f64, cost: f64) {
        self.trades = if m { self.trades + 1.0 } else { self.trades };
        self.notional = if m {
            self.notional + notional
        } else {
            self.notional
        };
        self.fees = if m { self.fees + fee } else { self.fees };
        self.trip_flow = if m {
            self.trip_flow - cost
        } else {
            self.trip_flow
        };
    }

    /// `closes`: inventory is zero after this sell, so the round trip is complete.
    #[inline(always)]
    pub fn on_sell(&mut self, notional: f64, fee: f64, net: f64, closes: bool) {
        self.on_sell_if(true, notional, fee, net, closes);
    }

    /// `on_sell` when `m`, nothing otherwise (see `on_buy_if`).
    #[inline(always)]
    pub fn on_sell_if(&mut self, m: bool, notional: f64, fee: f64, net: f64, closes: bool) {
        self.trades = if m { self.trades + 1.0 } else { self.trades };
        self.notional = if m {
            self.notional + notional
        } else {
            self.notional
        };
        self.fees = if m { self.fees + fee } else { self.fees };
        let flow = if m {
            self.trip_flow + net
        } else {
            self.trip_flow
        };
        let closed = m && closes;
        self.round_trips = if closed {
            self.round_trips + 1.0
        } else {
            self.round_trips
        };
        self.wins = if closed && flow > 0.0 {
            self.wins + 1.0
        } else {
            self.wins
        };
        self.trip_flow = if closed { 0.0 } else { flow };
    }

    /// Fraction of closed round trips with positive pnl; 0 when none closed.
    pub fn win_rate(&self) -> f64 {
        if self.round_trips > 0.0 {
            self.wins / self.round_trips
        } else {
            0.0
        }
    }

    /// A buy brought a short back to flat: the round trip (sell first) is complete.
    pub fn close_trip(&mut self) {
        self.round_trips += 1.0;
        if self.trip_flow > 0.0 {
            self.wins += 1.0;
        }
        self.trip_flow = 0.0;
    }

    /// One bar's aggregated intrabar cycles: a buy and a sell leg, one round trip.
    #[inline(always)]
    pub fn on_cycles(&mut self, notional: f64, fees: f64, pnl: f64) {
        self.trades += 2.0;
        self.notional += notional;
        self.fees += fees;
        self.round_trips += 1.0;
        if pnl > 0.0 {
            self.wins += 1.0;
        }
    }

    #[inline(always)]
    pub fn on_bar_close(&mut self, inventory: f64) {
        self.exposure_bars = if inventory > 0.0 {
            self.exposure_bars + 1.0
        } else {
            self.exposure_bars
        };
    }
}

/// Everything reported for one simulated parameter set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    #[serde(flatten)]
    pub curve: CurveMetrics,
    /// Fills of any kind (limit, forced close, each intrabar-cycle leg).
    #[ts(type = "number")]
    pub trade_count: u64,
    #[ts(type = "number")]
    pub round_trips: u64,
    /// Fraction of closed round trips with positive pnl (after fees); 0 when none closed.
    pub win_rate: f64,
    /// Fraction of bars that closed holding inventory.
    pub exposure: f64,
    /// Traded notional / mean equity (equity at each bar close).
    pub turnover: f64,
    pub fees_paid: f64,
    /// The trailing window, re-measured on the same curve (see `SimParams::last_window_days`).
    pub last_window: Option<CurveMetrics>,
}

impl Metrics {
    pub fn from_stats(
        curve: &CurveStats,
        trades: &TradeStats,
        window: Option<&CurveStats>,
        periods_per_year: f64,
    ) -> Metrics {
        let mean_equity = if curve.bars > 0.0 {
            curve.sum_equity / curve.bars
        } else {
            0.0
        };
        Metrics {
            curve: curve.finish(periods_per_year),
            trade_count: trades.trades as u64,
            round_trips: trades.round_trips as u64,
            win_rate: trades.win_rate(),
            exposure: if curve.bars > 0.0 {
                trades.exposure_bars / curve.bars
            } else {
                0.0
            },
            turnover: if mean_equity > 0.0 {
                trades.notional / mean_equity
            } else {
                0.0
            },
            fees_paid: trades.fees,
            last_window: window.map(|w| w.finish(periods_per_year)),
        }
    }
}

/// Curve statistics of `equity` (one value per bar close) starting from `start`.
pub fn curve_stats(start: f64, equity: &[f64]) -> CurveStats {
    let mut s = CurveStats::new(start);
    for &e in equity {
        s.push(e);
    }
    s
}

/// Metrics of an equity curve: `start` is V_0 (starting cash), `equity[i]` the mark at the close
/// of bar i.
pub fn curve_metrics(start: f64, equity: &[f64], periods_per_year: f64) -> CurveMetrics {
    curve_stats(start, equity).finish(periods_per_year)
}

/// Index of the first bar of a trailing window of `window_bars` bars in a run of `n` bars.
pub fn window_start(n: usize, window_bars: usize) -> usize {
    n - window_bars.min(n)
}

/// The trailing `window_bars` bars of the same curve: starts from the equity at the close before
/// the window (or `start` when the window covers everything). Not a restarted simulation.
pub fn window_metrics(
    start: f64,
    equity: &[f64],
    window_bars: usize,
    periods_per_year: f64,
) -> CurveMetrics {
    let s = window_start(equity.len(), window_bars);
    let v0 = if s == 0 { start } else { equity[s - 1] };
    curve_metrics(v0, &equity[s..], periods_per_year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annualised_figures_are_flagged_below_three_months() {
        let eq = |n: usize| (0..n).map(|i| 100.0 + i as f64 * 0.01).collect::<Vec<_>>();
        assert!(!curve_metrics(100.0, &eq(2000), 8760.0).annualised_meaningful);
        assert!(curve_metrics(100.0, &eq(2190), 8760.0).annualised_meaningful);
        assert!(curve_metrics(100.0, &eq(500), 1754.0).annualised_meaningful);
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn hand_computed_curve() {
        // returns +10 %, −10 %, +10 %
        let m = curve_metrics(100.0, &[110.0, 99.0, 108.9], 1.0);
        assert_eq!(m.bars, 3);
        assert!(close(m.total_return, 0.089));
        let mean = 0.1 / 3.0;
        // sample variance of (0.1, −0.1, 0.1): mean 1/30, Σ(r−m)^2 = 0.0266.., /2
        let var = ((0.1f64 - mean).powi(2) * 2.0 + (-0.1f64 - mean).powi(2)) / 2.0;
        assert!(close(m.sharpe, mean / var.sqrt()));
        let dd = (0.01f64 / 3.0).sqrt();
        assert!(close(m.downside_deviation, dd));
        assert!(close(m.sortino, mean / dd));
        assert!(close(m.max_drawdown, 0.1));
        assert_eq!(m.max_drawdown_bars, 2);
        // P = 1 and 3 bars: 1.089^(1/3) − 1
        assert!(close(m.annualised_return, 1.089f64.powf(1.0 / 3.0) - 1.0));
        assert!(close(m.calmar, m.annualised_return / 0.1));
    }

    #[test]
    fn annualisation_scales_with_sqrt_p() {
        let a = curve_metrics(100.0, &[110.0, 99.0, 108.9], 1.0);
        let b = curve_metrics(100.0, &[110.0, 99.0, 108.9], 8760.0);
        assert!(close(b.sharpe, a.sharpe * 8760f64.sqrt()));
        assert!(close(b.sortino, a.sortino * 8760f64.sqrt()));
        // 8.9 % in 3 hourly bars annualised overflows; the cap keeps it finite.
        assert!(b.annualised_return.is_finite());
        assert!(close(
            b.annualised_return,
            MAX_ANNUAL_LOG_GROWTH.exp() - 1.0
        ));
    }

    #[test]
    fn first_bar_fee_counts_in_total_return() {
        // A fee paid on the first bar is a loss measured from starting cash.
        let m = curve_metrics(100.0, &[99.9, 99.9], 8760.0);
        assert!(close(m.total_return, -0.001));
        assert!(m.sortino < 0.0);
    }

    #[test]
    fn no_losing_period_gives_zero_sortino() {
        let m = curve_metrics(100.0, &[101.0, 102.0, 102.0], 8760.0);
        assert_eq!(m.downside_deviation, 0.0);
        assert_eq!(m.sortino, 0.0);
        assert_eq!(m.max_drawdown, 0.0);
        assert_eq!(m.calmar, 0.0);
        assert!(m.sharpe > 0.0);
    }

    #[test]
    fn drawdown_duration_counts_consecutive_underwater_bars() {
        // peak 120, underwater for 3 bars, recover to 120 (at peak counts as recovered), dip 1.
        let m = curve_metrics(100.0, &[120.0, 90.0, 100.0, 110.0, 120.0, 119.0], 1.0);
        assert_eq!(m.max_drawdown_bars, 3);
        assert!(close(m.max_drawdown, 0.25));
    }

    #[test]
    fn drawdown_from_starting_cash() {
        let m = curve_metrics(100.0, &[80.0, 90.0], 1.0);
        assert!(close(m.max_drawdown, 0.2));
        assert_eq!(m.max_drawdown_bars, 2);
    }

    #[test]
    fn window_is_a_slice_of_the_same_curve() {
        let eq = [110.0, 99.0, 108.9, 120.0];
        let w = window_metrics(100.0, &eq, 2, 1.0);
        assert_eq!(w.bars, 2);
        assert_eq!(w.start_equity, 99.0);
        assert!(close(w.total_return, 120.0 / 99.0 - 1.0));
        let all = window_metrics(100.0, &eq, 10, 1.0);
        assert_eq!(all, curve_metrics(100.0, &eq, 1.0));
    }

    #[test]
    fn trade_stats_round_trips_and_exposure() {
        let mut t = TradeStats::default();
        t.on_buy(100.0, 0.1, 100.1);
        t.on_bar_close(1.0);
        t.on_sell(50.0, 0.05, 49.95, false);
        t.on_sell(60.0, 0.06, 59.94, true); // flow −100.1 + 49.95 + 59.94 > 0: win
        t.on_bar_close(0.0);
        t.on_buy(100.0, 0.0, 100.0);
        t.on_sell(90.0, 0.0, 90.0, true); // loss
        assert_eq!(t.round_trips, 2.0);
        assert_eq!(t.wins, 1.0);
        assert_eq!(t.trades, 5.0);
        assert_eq!(t.exposure_bars, 1.0);
        let c = curve_stats(100.0, &[100.0, 100.0]);
        let m = Metrics::from_stats(&c, &t, None, 8760.0);
        assert_eq!(m.win_rate, 0.5);
        assert!(close(m.turnover, 4.0));
        assert!(close(m.fees_paid, 0.21));
        assert!(close(m.exposure, 0.5));
    }
}
