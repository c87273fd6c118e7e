//! Forecast accuracy on a stated window: MAE% of the close median and p_lo..p_hi coverage, and
//! per-symbol transform selection on a validation window that precedes the evaluation window.
use super::models::{NaiveForecaster, Transform};
use super::{ForecastFrame, Forecaster};
use crate::window::{covers, run_starts};
use crate::FeatureError;
use serde::Serialize;
use tradelab_core::{Bars, Interval};

/// Issue rows `from_row..to_row`; a row counts only if its target bar t+h is also `< to_row`, so
/// nothing after the window is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EvalWindow {
    pub from_row: usize,
    pub to_row: usize,
}

impl EvalWindow {
    /// The last `frac` of the rows.
    pub fn last_fraction(n: usize, frac: f64) -> EvalWindow {
        let k = ((n as f64) * frac.clamp(0.0, 1.0)).round() as usize;
        EvalWindow {
            from_row: n - k.min(n),
            to_row: n,
        }
    }

    /// Rows whose open time lies in `[from, to)` (either bound optional).
    pub fn from_times(ts: &[i64], from: Option<i64>, to: Option<i64>) -> EvalWindow {
        let lo = from.map_or(0, |f| ts.partition_point(|t| *t < f));
        let hi = to
            .map_or(ts.len(), |t| ts.partition_point(|x| *x < t))
            .max(lo);
        EvalWindow {
            from_row: lo,
            to_row: hi,
        }
    }

    /// The `len` rows right before this window (for validation), or None if there are too few.
    pub fn preceding(&self, len: usize) -> Option<EvalWindow> {
        (self.from_row >= len && len > 0).then(|| EvalWindow {
            from_row: self.from_row - len,
            to_row: self.from_row,
        })
    }

    pub fn len(&self) -> usize {
        self.to_row - self.from_row
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EvalRow {
    pub horizon: u32,
    /// Issue rows with a realised target and a finite forecast.
    pub rows: usize,
    /// mean |close_p50 - close[t+h]| / close[t+h] x 100.
    pub mae_pct: f64,
    /// Same for the naive "no change" forecast (close[t]), as a yardstick.
    pub naive_mae_pct: f64,
    /// Fraction of realised closes inside [close_p_lo, close_p_hi].
    pub coverage: f64,
    pub coverage_high: f64,
    pub coverage_low: f64,
    /// The quantiles bounding the interval (e.g. 0.1 and 0.9) and their nominal coverage.
    pub lo_q: f64,
    pub hi_q: f64,
    pub nominal: f64,
    /// mean (close_p_hi - close_p_lo) / close[t] x 100.
    pub width_pct: f64,
}

pub fn evaluate(
    bars: &Bars,
    interval: Interval,
    frame: &ForecastFrame,
    window: EvalWindow,
) -> Result<Vec<EvalRow>, FeatureError> {
    frame.check()?;
    if frame.bar_ts != bars.ts {
        return Err(FeatureError::Forecast(format!(
            "forecast rows ({}) are not aligned with the bars ({})",
            frame.n_rows(),
            bars.len()
        )));
    }
    if window.to_row > bars.len() {
        return Err(FeatureError::Forecast(format!(
            "evaluation window ends at row {} beyond {} bars",
            window.to_row,
            bars.len()
        )));
    }
    let rs = run_starts(&bars.ts, interval.ms());
    let lo_q = frame
        .quantiles
        .iter()
        .cloned()
        .fold(f64::INFINITY, f64::min);
    let hi_q = frame
        .quantiles
        .iter()
        .cloned()
        .fold(f64::NEG_INFINITY, f64::max);
    let missing = |c: String| FeatureError::Forecast(format!("forecast frame lacks {c}"));
    let mut out = Vec::new();
    for &h in &frame.horizons {
        let hu = h as usize;
        let col = |t: &str, q: f64| {
            frame
                .get(t, q, h)
                .ok_or_else(|| missing(super::column_name(t, q, h)))
        };
        let (p50, clo, chi) = (col("close", 0.5)?, col("close", lo_q)?, col("close", hi_q)?);
        let (hlo, hhi, llo, lhi) = (
            col("high", lo_q)?,
            col("high", hi_q)?,
            col("low", lo_q)?,
            col("low", hi_q)?,
        );
        let (mut k, mut ae, mut nae, mut cov, mut covh, mut covl, mut wid) =
            (0usize, 0.0, 0.0, 0usize, 0usize, 0usize, 0.0);
        for t in window.from_row..window.to_row {
            let e = t + hu;
            if e >= window.to_row
                || !covers(&rs, e, hu)
                || !p50[t].is_finite()
                || !clo[t].is_finite()
                || !chi[t].is_finite()
            {
                continue;
            }
            let y = bars.close[e];
            let hi = bars.high[t + 1..=e]
                .iter()
                .cloned()
                .fold(f64::NEG_INFINITY, f64::max);
            let lo = bars.low[t + 1..=e]
                .iter()
                .cloned()
                .fold(f64::INFINITY, f64::min);
            k += 1;
            ae += (p50[t] - y).abs() / y;
            nae += (bars.close[t] - y).abs() / y;
            cov += usize::from(clo[t] <= y && y <= chi[t]);
            covh += usize::from(hlo[t] <= hi && hi <= hhi[t]);
            covl += usize::from(llo[t] <= lo && lo <= lhi[t]);
            wid += (chi[t] - clo[t]) / bars.close[t];
        }
        let kf = k as f64;
        let avg = |x: f64| if k == 0 { f64::NAN } else { x / kf };
        out.push(EvalRow {
            horizon: h,
            rows: k,
            mae_pct: avg(ae) * 100.0,
            naive_mae_pct: avg(nae) * 100.0,
            coverage: avg(cov as f64),
            coverage_high: avg(covh as f64),
            coverage_low: avg(covl as f64),
            lo_q,
            hi_q,
            nominal: hi_q - lo_q,
            width_pct: avg(wid) * 100.0,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransformChoice {
    pub transform: Transform,
    pub validation: EvalWindow,
    /// Mean close-p50 MAE% over the horizons, per candidate, on the validation window.
    pub candidates: Vec<(Transform, f64)>,
}

/// Picks the naive forecaster's transform with the lowest mean close-p50 MAE% on `validation`
/// (which must end before any evaluated row). Ties and all-NaN keep the baseline.
pub fn select_transform(
    bars: &Bars,
    interval: Interval,
    horizons: &[u32],
    quantiles: &[f64],
    validation: EvalWindow,
) -> Result<TransformChoice, FeatureError> {
    let mut candidates = Vec::new();
    let mut best = (Transform::Baseline, f64::INFINITY);
    for t in Transform::ALL {
        let f = NaiveForecaster {
            transform: t,
            ..Default::default()
        };
        let frame = f.forecast(bars, interval, horizons, quantiles)?;
        let rows = evaluate(bars, interval, &frame, validation)?;
        let m = rows.iter().map(|r| r.mae_pct).sum::<f64>() / rows.len().max(1) as f64;
        candidates.push((t, m));
        if m.is_finite() && m < best.1 {
            best = (t, m);
        }
    }
    Ok(TransformChoice {
        transform: best.0,
        validation,
        candidates,
    })
}
