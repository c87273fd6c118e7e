//! The engine behind the built-in forecasters: a point forecast and a scale per issue row (both
//! in log price), and quantiles of the last `window` *realised* standardised residuals.
//!
//! Causality: the residual of the forecast issued at bar s for horizon h is known only once bar
//! s+h has closed, so the quantiles used at issue row t include residuals of rows s <= t-h only.
use super::quantiles::RollingQuantiles;
use super::{ForecastFrame, TARGETS};
use crate::window::{covers, run_starts};
use crate::FeatureError;
use tradelab_core::{Bars, Interval};

/// Point (log price) and scale (> 0) per issue row for one target and horizon; NaN = no forecast.
pub struct PointScale {
    pub point: Vec<f64>,
    pub scale: Vec<f64>,
}

/// A model: given bars, the run starts, a target and a horizon, its point and scale.
pub trait PointModel: Send + Sync {
    fn point_scale(&self, bars: &Bars, rs: &[usize], target: &str, h: usize) -> PointScale;
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResidualWindow {
    /// How many realised residuals the quantiles use (most recent first).
    pub window: usize,
    /// No forecast until this many residuals have been realised.
    pub min_residuals: usize,
}

impl Default for ResidualWindow {
    fn default() -> Self {
        ResidualWindow {
            window: 720,
            min_residuals: 100,
        }
    }
}

impl ResidualWindow {
    /// Canonical text for a forecaster's `params()`.
    pub fn params(&self) -> String {
        format!(
            "residual_window={} min_residuals={}",
            self.window, self.min_residuals
        )
    }
}

/// Realised log target of the forecast issued at row s for horizon h (NaN if bars s..=s+h are
/// missing or not consecutive). Only called once row s+h exists.
fn realised(bars: &Bars, rs: &[usize], target: &str, s: usize, h: usize) -> f64 {
    let e = s + h;
    if e >= bars.len() || !covers(rs, e, h) {
        return f64::NAN;
    }
    match target {
        "close" => bars.close[e].ln(),
        "high" => bars.high[s + 1..=e]
            .iter()
            .cloned()
            .fold(f64::NEG_INFINITY, f64::max)
            .ln(),
        _ => bars.low[s + 1..=e]
            .iter()
            .cloned()
            .fold(f64::INFINITY, f64::min)
            .ln(),
    }
}

pub fn run(
    model: &dyn PointModel,
    name: &str,
    rw: ResidualWindow,
    bars: &Bars,
    interval: Interval,
    horizons: &[u32],
    quantiles: &[f64],
) -> Result<ForecastFrame, FeatureError> {
    check_request(bars, horizons, quantiles)?;
    let rs = run_starts(&bars.ts, interval.ms());
    let mut frame = ForecastFrame::empty(name, &bars.ts, interval.ms(), horizons, quantiles);
    let n = bars.len();
    for &h in horizons {
        let hu = h as usize;
        for target in TARGETS {
            let ps = model.point_scale(bars, &rs, target, hu);
            let mut pool = RollingQuantiles::new(rw.window);
            let mut out: Vec<Vec<f64>> = vec![vec![f64::NAN; n]; quantiles.len()];
            #[allow(clippy::needless_range_loop)] // t indexes bars, points and outputs alike
            for t in 0..n {
                if t >= hu {
                    let s = t - hu;
                    let y = realised(bars, &rs, target, s, hu);
                    pool.push((y - ps.point[s]) / ps.scale[s]);
                }
                if pool.len() < rw.min_residuals
                    || !ps.point[t].is_finite()
                    || ps.scale[t].partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
                {
                    continue;
                }
                for (qi, &q) in quantiles.iter().enumerate() {
                    out[qi][t] = (ps.point[t] + pool.quantile(q) * ps.scale[t]).exp();
                }
            }
            for (qi, &q) in quantiles.iter().enumerate() {
                if let Some(col) = frame.get_mut(target, q, h) {
                    *col = std::mem::take(&mut out[qi]);
                }
            }
        }
    }
    Ok(frame)
}

pub fn check_request(bars: &Bars, horizons: &[u32], quantiles: &[f64]) -> Result<(), FeatureError> {
    bars.check_lengths()
        .map_err(|e| FeatureError::InvalidBars(e.to_string()))?;
    if horizons.is_empty() || horizons.contains(&0) {
        return Err(FeatureError::Forecast(format!(
            "horizons must be >= 1 bar, got {horizons:?}"
        )));
    }
    if quantiles.is_empty()
        || quantiles.iter().any(|q| !(*q > 0.0 && *q < 1.0))
        || quantiles.windows(2).any(|w| w[1] <= w[0])
    {
        return Err(FeatureError::Forecast(format!(
            "quantiles must be increasing and strictly inside (0, 1), got {quantiles:?}"
        )));
    }
    if let Some(i) =
        (0..bars.len()).find(|&i| !(bars.close[i] > 0.0 && bars.high[i] > 0.0 && bars.low[i] > 0.0))
    {
        return Err(FeatureError::InvalidBars(format!(
            "row {i}: prices must be positive"
        )));
    }
    if let Some(i) = (1..bars.len()).find(|&i| bars.ts[i] <= bars.ts[i - 1]) {
        return Err(FeatureError::InvalidBars(format!(
            "row {i}: ts is not after the previous bar's"
        )));
    }
    Ok(())
}
