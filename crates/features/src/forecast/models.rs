//! Built-in forecasters: naive (with a selectable pre-processing transform), seasonal-naive and
//! EWMA-volatility, all with empirical residual quantiles (see [`super::empirical`]).
use super::empirical::{self, PointModel, PointScale, ResidualWindow};
use super::quantiles::RollingQuantiles;
use super::{ForecastFrame, Forecaster};
use crate::window::{covers, rolling_mean_std};
use crate::FeatureError;
use serde::{Deserialize, Serialize};
use tradelab_core::{Bars, Interval};

/// Pre-processing transform of the naive forecaster, chosen per symbol by validation MAE.
/// Point transforms change the median path; scale transforms standardise residuals before their
/// quantiles are taken (so intervals follow the current volatility).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// Last close; raw log residuals.
    Baseline,
    /// Drift in log returns: mean log return of the last `TRANSFORM_WINDOW` bars x h.
    LogReturns,
    /// Drift in price differences: mean close change of the last window x h.
    Differencing,
    /// Least-squares trend of log close over the last window, extrapolated h bars.
    Detrending,
    /// Residuals divided by the rolling std of log returns x sqrt(h).
    RollingNorm,
    /// Residuals divided by the rolling IQR/1.349 of log returns x sqrt(h).
    RobustScaling,
}

/// Lookback (bars) of every transform's rolling statistic.
pub const TRANSFORM_WINDOW: usize = 168;

impl Transform {
    pub const ALL: [Transform; 6] = [
        Transform::Baseline,
        Transform::LogReturns,
        Transform::Differencing,
        Transform::Detrending,
        Transform::RollingNorm,
        Transform::RobustScaling,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Transform::Baseline => "baseline",
            Transform::LogReturns => "log_returns",
            Transform::Differencing => "differencing",
            Transform::Detrending => "detrending",
            Transform::RollingNorm => "rolling_norm",
            Transform::RobustScaling => "robust_scaling",
        }
    }

    pub fn parse(s: &str) -> Option<Transform> {
        Transform::ALL.into_iter().find(|t| t.name() == s)
    }
}

fn log_returns(bars: &Bars, rs: &[usize]) -> Vec<f64> {
    (0..bars.len())
        .map(|t| {
            if covers(rs, t, 1) {
                (bars.close[t] / bars.close[t - 1]).ln()
            } else {
                f64::NAN
            }
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct NaiveForecaster {
    pub transform: Transform,
    pub residuals: ResidualWindow,
}

impl Default for NaiveForecaster {
    fn default() -> Self {
        NaiveForecaster {
            transform: Transform::Baseline,
            residuals: ResidualWindow::default(),
        }
    }
}

impl PointModel for NaiveForecaster {
    fn point_scale(&self, bars: &Bars, rs: &[usize], _target: &str, h: usize) -> PointScale {
        let n = bars.len();
        let w = TRANSFORM_WINDOW;
        let c = &bars.close;
        let hf = h as f64;
        let mut point: Vec<f64> = c.iter().map(|x| x.ln()).collect();
        let mut scale = vec![1.0; n];
        match self.transform {
            Transform::Baseline => {}
            Transform::LogReturns => {
                for t in 0..n {
                    point[t] = if covers(rs, t, w) {
                        point[t] + hf * (c[t] / c[t - w]).ln() / w as f64
                    } else {
                        f64::NAN
                    };
                }
            }
            Transform::Differencing => {
                for t in 0..n {
                    point[t] = if covers(rs, t, w) {
                        (c[t] + hf * (c[t] - c[t - w]) / w as f64)
                            .max(c[t] * 1e-3)
                            .ln()
                    } else {
                        f64::NAN
                    };
                }
            }
            Transform::Detrending => {
                // OLS of ln c on x = 0..w-1 over the last w bars; sum x and sum x^2 are constants.
                let wf = w as f64;
                let sx = wf * (wf - 1.0) / 2.0;
                let sxx = (wf - 1.0) * wf * (2.0 * wf - 1.0) / 6.0;
                let lc: Vec<f64> = c.iter().map(|x| x.ln()).collect();
                for t in 0..n {
                    if !covers(rs, t, w - 1) {
                        point[t] = f64::NAN;
                        continue;
                    }
                    let (mut sy, mut sxy) = (0.0, 0.0);
                    for (i, y) in lc[t + 1 - w..=t].iter().enumerate() {
                        sy += y;
                        sxy += i as f64 * y;
                    }
                    let slope = (wf * sxy - sx * sy) / (wf * sxx - sx * sx);
                    let icpt = (sy - slope * sx) / wf;
                    point[t] = icpt + slope * (wf - 1.0 + hf);
                }
            }
            Transform::RollingNorm => {
                let (_, sd) = rolling_mean_std(&log_returns(bars, rs), rs, w, true);
                for t in 0..n {
                    scale[t] = sd[t] * hf.sqrt();
                }
            }
            Transform::RobustScaling => {
                let r = log_returns(bars, rs);
                let mut q = RollingQuantiles::new(w);
                for t in 0..n {
                    if !r[t].is_finite() {
                        q.clear();
                    } else {
                        q.push(r[t]);
                    }
                    scale[t] = if q.len() == w {
                        (q.quantile(0.75) - q.quantile(0.25)) / 1.349 * hf.sqrt()
                    } else {
                        f64::NAN
                    };
                }
            }
        }
        PointScale { point, scale }
    }
}

impl Forecaster for NaiveForecaster {
    fn name(&self) -> String {
        match self.transform {
            Transform::Baseline => "naive".into(),
            t => format!("naive:{}", t.name()),
        }
    }
    fn params(&self) -> String {
        format!(
            "naive transform={} {}",
            self.transform.name(),
            self.residuals.params()
        )
    }
    fn forecast(
        &self,
        bars: &Bars,
        interval: Interval,
        horizons: &[u32],
        quantiles: &[f64],
    ) -> Result<ForecastFrame, FeatureError> {
        empirical::run(
            self,
            &self.name(),
            self.residuals,
            bars,
            interval,
            horizons,
            quantiles,
        )
    }
}

/// Repeats the log-return path of the same hours one season ago from the current close:
/// point(close, h) = ln c[t] + ln c[t+h-m] - ln c[t-m], with m = season x ceil(h / season).
#[derive(Debug, Clone, PartialEq)]
pub struct SeasonalNaiveForecaster {
    pub season: usize,
    pub residuals: ResidualWindow,
}

impl Default for SeasonalNaiveForecaster {
    fn default() -> Self {
        SeasonalNaiveForecaster {
            season: 24,
            residuals: ResidualWindow::default(),
        }
    }
}

impl PointModel for SeasonalNaiveForecaster {
    fn point_scale(&self, bars: &Bars, rs: &[usize], target: &str, h: usize) -> PointScale {
        let n = bars.len();
        let m = self.season * h.div_ceil(self.season);
        let mut point = vec![f64::NAN; n];
        #[allow(clippy::needless_range_loop)] // t indexes several columns
        for t in 0..n {
            if !covers(rs, t, m) {
                continue;
            }
            let (a, e) = (t - m, t + h - m); // season-ago issue row and target row (both <= t)
            let past = match target {
                "close" => bars.close[e],
                "high" => bars.high[a + 1..=e]
                    .iter()
                    .cloned()
                    .fold(f64::NEG_INFINITY, f64::max),
                _ => bars.low[a + 1..=e]
                    .iter()
                    .cloned()
                    .fold(f64::INFINITY, f64::min),
            };
            point[t] = bars.close[t].ln() + (past / bars.close[a]).ln();
        }
        PointScale {
            point,
            scale: vec![1.0; n],
        }
    }
}

impl Forecaster for SeasonalNaiveForecaster {
    fn name(&self) -> String {
        if self.season == 24 {
            "seasonal-naive".into()
        } else {
            format!("seasonal-naive:{}", self.season)
        }
    }
    fn params(&self) -> String {
        format!(
            "seasonal-naive season={} {}",
            self.season,
            self.residuals.params()
        )
    }
    fn forecast(
        &self,
        bars: &Bars,
        interval: Interval,
        horizons: &[u32],
        quantiles: &[f64],
    ) -> Result<ForecastFrame, FeatureError> {
        empirical::run(
            self,
            &self.name(),
            self.residuals,
            bars,
            interval,
            horizons,
            quantiles,
        )
    }
}

/// RiskMetrics EWMA variance of 1-bar log returns (restarted after gaps, valid after `warmup`
/// returns); residuals standardised by sigma x sqrt(h) (filtered historical simulation).
#[derive(Debug, Clone, PartialEq)]
pub struct EwmaVolForecaster {
    pub lambda: f64,
    pub warmup: usize,
    pub residuals: ResidualWindow,
}

impl Default for EwmaVolForecaster {
    fn default() -> Self {
        EwmaVolForecaster {
            lambda: 0.94,
            warmup: 24,
            residuals: ResidualWindow::default(),
        }
    }
}

impl EwmaVolForecaster {
    /// sigma[t] from returns up to t.
    pub fn sigma(&self, bars: &Bars, rs: &[usize]) -> Vec<f64> {
        let r = log_returns(bars, rs);
        let mut out = vec![f64::NAN; bars.len()];
        let (mut var, mut k) = (0.0f64, 0usize);
        for t in 0..bars.len() {
            if !r[t].is_finite() {
                var = 0.0;
                k = 0;
                continue;
            }
            k += 1;
            let r2 = r[t] * r[t];
            if k <= self.warmup {
                var += r2 / self.warmup as f64; // seed: mean square of the first returns
            } else {
                var = self.lambda * var + (1.0 - self.lambda) * r2;
            }
            if k >= self.warmup && var > 0.0 {
                out[t] = var.sqrt();
            }
        }
        out
    }
}

impl PointModel for EwmaVolForecaster {
    fn point_scale(&self, bars: &Bars, rs: &[usize], _target: &str, h: usize) -> PointScale {
        let sq = (h as f64).sqrt();
        PointScale {
            point: bars.close.iter().map(|c| c.ln()).collect(),
            scale: self.sigma(bars, rs).into_iter().map(|s| s * sq).collect(),
        }
    }
}

impl Forecaster for EwmaVolForecaster {
    fn name(&self) -> String {
        if self.lambda == 0.94 {
            "ewma-vol".into()
        } else {
            format!("ewma-vol:{}", self.lambda)
        }
    }
    fn params(&self) -> String {
        // Bits, not decimal text: two lambdas that print alike must not share a cache.
        format!(
            "ewma-vol lambda_bits={:016x} warmup={} {}",
            self.lambda.to_bits(),
            self.warmup,
            self.residuals.params()
        )
    }
    fn forecast(
        &self,
        bars: &Bars,
        interval: Interval,
        horizons: &[u32],
        quantiles: &[f64],
    ) -> Result<ForecastFrame, FeatureError> {
        empirical::run(
            self,
            &self.name(),
            self.residuals,
            bars,
            interval,
            horizons,
            quantiles,
        )
    }
}
