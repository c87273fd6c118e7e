//! Simulation parameters and the label every report carries.
//!
//! Defaults are the honest ones (design §12): decision lag 1, `cross` fills with a 5 bps buffer,
//! limit-or-better prices, no intrabar round trips. Anything that makes a run optimistic is flagged by
//! [`SimParams::is_optimistic`] and spelled out in [`SimParams::describe`].
use crate::SimError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// When a resting limit order counts as filled by a bar.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FillRule {
    /// Buy fills if low <= buy price; sell fills if high >= sell price. A touch at exactly the
    /// limit assumes the order was at the front of the queue, so it is labelled as such.
    Touch,
    /// The bar must trade through the limit by `buffer` (fraction, 0.0005 = 5 bps):
    /// buy fills if low < buy × (1 − buffer); sell fills if high > sell × (1 + buffer).
    /// The fill price is still the limit (or better on a gap), not the buffered price.
    Cross { buffer: f64 },
}

impl fmt::Display for FillRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FillRule::Touch => f.write_str("touch (assumes queue priority)"),
            FillRule::Cross { buffer } => write!(f, "cross {} bps", fmt_num(buffer * 1e4)),
        }
    }
}

/// Parameters of one simulated run. Long-only spot, no leverage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SimParams {
    /// Bars between deciding an action (after bar t closes) and the bar it may fill on (t + lag).
    /// 1 is honest; 0 fills on the decision bar itself and is flagged optimistic.
    pub decision_lag: usize,
    pub fill_rule: FillRule,
    /// Fee fraction paid by limit fills (0.001 = 10 bps).
    pub maker_fee: f64,
    /// Fee fraction paid by forced (market) closes.
    pub taker_fee: f64,
    /// Caps every bar's total filled quantity at this fraction of the bar's volume (base units);
    /// a zero-volume bar then fills nothing.
    pub max_volume_fraction: Option<f64>,
    /// 0 = off (default). N > 0 allows up to N hypothetical buy→sell cycles inside one bar
    /// (seed §6.2); always flagged optimistic. Unlike the seed, 1 means one cycle, not "off".
    pub max_round_trips_per_bar: u32,
    /// Multiplies both order fractions; each result is clamped to [0, 1].
    pub intensity: f64,
    /// Moves limits away from the market: buy × (1 − offset), sell × (1 + offset).
    pub price_offset_pct: f64,
    /// When a bar has a buy order, its sell limit is raised to at least buy × (1 + gap) (after
    /// the offset). `None` = no adjustment. The seed used sell ≥ buy + close × gap at decode
    /// time; measuring the gap from the buy keeps the rule inside the action row.
    pub min_gap_pct: Option<f64>,
    /// Market-sell the whole position at the open of the first bar on which it has been held for
    /// this many bars (age counted from the bar whose buy opened it from flat), paying the taker
    /// fee. No limit order fills on that bar.
    pub max_hold_bars: Option<usize>,
    pub starting_cash: f64,
    /// When an action carries both a buy and a sell, keep only the side with the larger fraction
    /// (ties keep the sell). Decided from the action alone, before seeing the bar.
    pub one_side_per_bar: bool,
    /// Bar length in ms; sets periods per year (8,760 for 1h) and the window length in bars.
    #[ts(type = "number")]
    pub interval_ms: i64,
    /// Also report the trailing window of this many days, sliced from the same equity curve.
    pub last_window_days: Option<f64>,
    /// Periods per year P for annualising. `None`: a 365-day year of `interval_ms` bars (crypto,
    /// 24/7). Stocks get their exchange calendar's P (`tradelab_calendar`, 1,754 for NYSE 1h).
    pub periods_per_year: Option<f64>,
}

impl Default for SimParams {
    fn default() -> Self {
        SimParams {
            decision_lag: 1,
            fill_rule: FillRule::honest_default(),
            maker_fee: 0.001,
            taker_fee: 0.001,
            max_volume_fraction: None,
            max_round_trips_per_bar: 0,
            intensity: 1.0,
            price_offset_pct: 0.0,
            min_gap_pct: None,
            max_hold_bars: None,
            starting_cash: 10_000.0,
            one_side_per_bar: false,
            interval_ms: 3_600_000,
            last_window_days: None,
            periods_per_year: None,
        }
    }
}

impl Default for FillRule {
    fn default() -> Self {
        FillRule::honest_default()
    }
}

const DAY_MS: f64 = 86_400_000.0;

/// A decision lag at or beyond the number of bars means no action can ever fill: refuse it
/// instead of reporting a run with zero trades.
pub fn check_lag(params: &SimParams, bars: usize) -> Result<(), SimError> {
    if params.decision_lag >= bars {
        return Err(SimError::param(
            "decisionLag",
            params.decision_lag,
            &format!("must be below the number of bars ({bars} bars): no order could ever fill"),
        ));
    }
    Ok(())
}

impl SimParams {
    /// The engine's account parameters for a single-asset, long-only run.
    pub fn engine_params(&self) -> crate::engine::EngineParams {
        crate::engine::EngineParams {
            fill_rule: self.fill_rule,
            max_hold_bars: self.max_hold_bars,
            max_round_trips_per_bar: self.max_round_trips_per_bar,
            starting_cash: self.starting_cash,
            interval_ms: self.interval_ms,
            periods_per_year: self.periods_per_year,
            ..Default::default()
        }
    }

    /// A long-only spot instrument with these fees and volume cap.
    pub fn instrument(&self, symbol: &str) -> crate::engine::InstrumentSpec {
        let mut s = crate::engine::InstrumentSpec::spot(
            symbol,
            crate::model::Fees {
                maker: self.maker_fee,
                taker: self.taker_fee,
            },
        );
        s.max_volume_fraction = self.max_volume_fraction;
        s
    }

    /// How action rows become orders under these parameters.
    pub fn order_transform(&self) -> crate::engine::OrderTransform {
        crate::engine::OrderTransform {
            intensity: self.intensity,
            price_offset_pct: self.price_offset_pct,
            min_gap_pct: self.min_gap_pct,
            one_side_per_bar: self.one_side_per_bar,
        }
    }

    /// True when the run uses assumptions known to inflate results (lag 0, intrabar cycles).
    pub fn is_optimistic(&self) -> bool {
        !self.optimism_reasons().is_empty()
    }

    pub fn optimism_reasons(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.decision_lag == 0 {
            v.push("decision lag 0: actions fill on the bar they were decided from".to_string());
        }
        if self.max_round_trips_per_bar > 0 {
            v.push(format!(
                "intrabar round trips (up to {} per bar) assume the low came before the high and unlimited liquidity",
                self.max_round_trips_per_bar
            ));
        }
        v
    }

    /// Assumptions that are not optimistic by themselves but flatter results; stated next to
    /// the OPTIMISTIC flags.
    pub fn cautions(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.maker_fee == 0.0 || self.taker_fee == 0.0 {
            v.push(format!(
                "zero fees (maker {}%, taker {}%): only real where the venue charges none",
                fmt_num(self.maker_fee * 100.0),
                fmt_num(self.taker_fee * 100.0)
            ));
        }
        if let Some(f) = self.max_volume_fraction {
            if f > 1.0 {
                v.push(format!(
                    "volume cap {}% of a bar's volume is more than the bar traded",
                    fmt_num(f * 100.0)
                ));
            }
        }
        if self.fill_rule == FillRule::Touch {
            v.push("touch fills assume queue priority at exactly the limit".to_string());
        }
        v
    }

    /// P: the configured periods per year, else 365-day bars per year for `interval_ms` (8,760
    /// for 1h).
    pub fn periods_per_year(&self) -> f64 {
        self.periods_per_year
            .unwrap_or(365.0 * DAY_MS / self.interval_ms as f64)
    }

    /// Number of bars in the trailing window, if one is configured.
    pub fn window_bars(&self) -> Option<usize> {
        self.last_window_days
            .map(|d| (d * DAY_MS / self.interval_ms as f64).round() as usize)
    }

    pub fn validate(&self) -> Result<(), SimError> {
        let frac = |name: &'static str, v: f64, hi: f64| {
            if v.is_finite() && (0.0..hi).contains(&v) {
                Ok(())
            } else {
                Err(SimError::param(
                    name,
                    v,
                    &format!("must be finite and in [0, {hi})"),
                ))
            }
        };
        frac("makerFee", self.maker_fee, 0.5)?;
        frac("takerFee", self.taker_fee, 0.5)?;
        frac("priceOffsetPct", self.price_offset_pct, 1.0)?;
        if !(self.intensity.is_finite() && self.intensity >= 0.0) {
            return Err(SimError::param(
                "intensity",
                self.intensity,
                "must be finite and >= 0",
            ));
        }
        if let FillRule::Cross { buffer } = self.fill_rule {
            frac("fillRule.buffer", buffer, 1.0)?;
        }
        if let Some(p) = self.periods_per_year {
            if !(p.is_finite() && p > 0.0) {
                return Err(SimError::param(
                    "periodsPerYear",
                    p,
                    "must be finite and > 0",
                ));
            }
        }
        if let Some(v) = self.max_volume_fraction {
            if !(v.is_finite() && v > 0.0) {
                return Err(SimError::param(
                    "maxVolumeFraction",
                    v,
                    "must be finite and > 0",
                ));
            }
        }
        if let Some(g) = self.min_gap_pct {
            if !(g.is_finite() && g >= 0.0) {
                return Err(SimError::param("minGapPct", g, "must be finite and >= 0"));
            }
        }
        if self.max_hold_bars == Some(0) {
            return Err(SimError::param(
                "maxHoldBars",
                0,
                "must be >= 1 (or absent)",
            ));
        }
        if !(self.starting_cash > 0.0 && self.starting_cash <= 1e15) {
            return Err(SimError::param(
                "startingCash",
                self.starting_cash,
                "must be in (0, 1e15]",
            ));
        }
        if self.interval_ms <= 0 {
            return Err(SimError::param(
                "intervalMs",
                self.interval_ms,
                "must be > 0",
            ));
        }
        if let Some(d) = self.last_window_days {
            if !(d.is_finite() && d > 0.0) {
                return Err(SimError::param(
                    "lastWindowDays",
                    d,
                    "must be finite and > 0",
                ));
            }
        }
        Ok(())
    }

    /// The label every report must carry: lag, fill rule, fees, and why it may be optimistic.
    pub fn describe(&self) -> SimLabel {
        let mut text = format!(
            "lag {} · {} · maker {}% / taker {}%",
            self.decision_lag,
            self.fill_rule,
            fmt_num(self.maker_fee * 100.0),
            fmt_num(self.taker_fee * 100.0)
        );
        if let Some(v) = self.max_volume_fraction {
            text.push_str(&format!(" · ≤{}% of bar volume", fmt_num(v * 100.0)));
        }
        if self.max_round_trips_per_bar > 0 {
            text.push_str(&format!(
                " · ≤{} intrabar round trips",
                self.max_round_trips_per_bar
            ));
        }
        if self.one_side_per_bar {
            text.push_str(" · one side per bar");
        }
        if let Some(h) = self.max_hold_bars {
            text.push_str(&format!(" · max hold {h} bars"));
        }
        text.push_str(&format!(" · P {}", fmt_num(self.periods_per_year())));
        if self.is_optimistic() {
            text.push_str(" · OPTIMISTIC");
        }
        SimLabel {
            decision_lag: self.decision_lag,
            fill_rule: self.fill_rule.to_string(),
            maker_fee: self.maker_fee,
            taker_fee: self.taker_fee,
            periods_per_year: self.periods_per_year(),
            optimistic: self.is_optimistic(),
            warnings: self.optimism_reasons(),
            cautions: self.cautions(),
            text,
        }
    }
}

/// Human- and machine-readable summary of the assumptions behind a result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct SimLabel {
    pub decision_lag: usize,
    pub fill_rule: String,
    pub maker_fee: f64,
    pub taker_fee: f64,
    /// Periods per year used to annualise (8,760 for 24/7 hourly bars).
    pub periods_per_year: f64,
    pub optimistic: bool,
    /// Why the run is optimistic (lag 0, intrabar round trips).
    pub warnings: Vec<String>,
    /// Assumptions that flatter results without being OPTIMISTIC by themselves (zero fees, touch
    /// fills, fills that took a large share of a bar's volume, fills on zero-volume bars).
    pub cautions: Vec<String>,
    /// e.g. "lag 1 · cross 5 bps · maker 0.1% / taker 0.1% · P 8760".
    pub text: String,
}

impl SimLabel {
    /// Cautions that depend on the fills: without a volume cap, fills above 10 % of their bar's
    /// volume, and fills on bars that traded nothing.
    pub fn add_fill_warnings(
        &mut self,
        bars: &tradelab_core::Bars,
        trades: &[crate::Trade],
        p: &SimParams,
    ) {
        let mut big = 0usize;
        let mut zero = 0usize;
        for t in trades {
            let v = bars.volume[t.bar];
            if v == 0.0 {
                zero += 1;
            } else if p.max_volume_fraction.is_none() && t.qty > 0.1 * v {
                big += 1;
            }
        }
        if big > 0 {
            self.cautions.push(format!(
                "{big} fill(s) above 10% of their bar's volume with no volume cap"
            ));
        }
        if zero > 0 {
            self.cautions
                .push(format!("{zero} fill(s) on bars with zero volume"));
        }
    }
}

impl fmt::Display for SimLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Shortest decimal form without float noise (0.1 not 0.1000000000000000055).
pub(crate) fn fmt_num(v: f64) -> String {
    let s = format!("{:.6}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_honest() {
        let p = SimParams::default();
        assert_eq!(p.decision_lag, 1);
        assert!(!p.is_optimistic());
        assert!(p.validate().is_ok());
        assert_eq!(p.periods_per_year(), 8760.0);
        assert_eq!(
            p.describe().text,
            "lag 1 · cross 5 bps · maker 0.1% / taker 0.1% · P 8760"
        );
        assert_eq!(p.fill_rule, FillRule::Cross { buffer: 0.0005 });
    }

    #[test]
    fn lag_zero_and_round_trips_are_flagged() {
        let p = SimParams {
            decision_lag: 0,
            ..Default::default()
        };
        assert!(p.is_optimistic());
        assert!(p.describe().text.ends_with("OPTIMISTIC"));
        let p = SimParams {
            max_round_trips_per_bar: 3,
            ..Default::default()
        };
        assert!(p.is_optimistic());
        assert_eq!(p.describe().warnings.len(), 1);
    }

    #[test]
    fn label_names_cross_buffer_in_bps() {
        let p = SimParams {
            fill_rule: FillRule::Cross { buffer: 0.0005 },
            ..Default::default()
        };
        assert_eq!(p.describe().fill_rule, "cross 5 bps");
    }

    #[test]
    fn json_round_trip_uses_camel_case_and_defaults() {
        let p: SimParams = serde_json::from_str(
            r#"{"decisionLag":2,"fillRule":{"kind":"cross","buffer":0.001},"maxHoldBars":6}"#,
        )
        .unwrap();
        assert_eq!(p.decision_lag, 2);
        assert_eq!(p.fill_rule, FillRule::Cross { buffer: 0.001 });
        assert_eq!(p.max_hold_bars, Some(6));
        assert_eq!(p.starting_cash, 10_000.0);
        let s = serde_json::to_string(&p).unwrap();
        assert!(s.contains("\"maxVolumeFraction\":null"));
        let back: SimParams = serde_json::from_str(&s).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn unknown_fields_are_errors() {
        assert!(serde_json::from_str::<SimParams>(r#"{"intensty": 2}"#).is_err());
    }

    #[test]
    fn rejects_bad_values() {
        assert!(SimParams {
            maker_fee: -0.1,
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(SimParams {
            intensity: f64::NAN,
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(SimParams {
            starting_cash: 0.0,
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(SimParams {
            max_hold_bars: Some(0),
            ..Default::default()
        }
        .validate()
        .is_err());
        assert!(SimParams {
            max_volume_fraction: Some(0.0),
            ..Default::default()
        }
        .validate()
        .is_err());
    }

    #[test]
    fn window_bars_from_days() {
        let p = SimParams {
            last_window_days: Some(2.0),
            ..Default::default()
        };
        assert_eq!(p.window_bars(), Some(48));
    }
}
