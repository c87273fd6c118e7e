//! Quantile forecasters keyed by issue time, their on-disk cache and evaluation.
//!
//! A forecast row t is issued at the close of bar t (`issued_at = ts[t] + interval`) from bars
//! `0..=t`, about bars `t+1 ..= t+h`. Built-ins: [`NaiveForecaster`] (with a [`Transform`]),
//! [`SeasonalNaiveForecaster`] and [`EwmaVolForecaster`]. Learned models (crates/train) implement
//! [`Forecaster`] from outside this crate and use the same cache and evaluation.
pub mod cache;
pub mod empirical;
pub mod eval;
pub mod frame;
pub mod models;
pub mod quantiles;

pub use cache::{CacheReport, ForecastCache};
pub use eval::{evaluate, select_transform, EvalRow, EvalWindow, TransformChoice};
pub use frame::{column_name, quantile_label, ForecastFrame, TARGETS};
pub use models::{EwmaVolForecaster, NaiveForecaster, SeasonalNaiveForecaster, Transform};

use crate::FeatureError;
use tradelab_core::{Bars, Interval};

pub trait Forecaster: Send + Sync {
    /// Identifies the model and its parameters; the cache file is named after it.
    fn name(&self) -> String;

    /// Every parameter that changes the forecasts, as canonical text (the name alone may leave
    /// some out, e.g. the residual window). The cache stores its hash and rebuilds a file whose
    /// hash differs. The default is the name; a learned model should include its weights hash.
    fn params(&self) -> String {
        self.name()
    }

    /// One row per bar (row t issued after bar t closed, from bars 0..=t only).
    fn forecast(
        &self,
        bars: &Bars,
        interval: Interval,
        horizons: &[u32],
        quantiles: &[f64],
    ) -> Result<ForecastFrame, FeatureError>;

    /// Rows `from..` only: what the cache asks for when earlier rows are stored. The default
    /// computes everything and drops the earlier rows; expensive models should override it.
    fn forecast_from(
        &self,
        bars: &Bars,
        interval: Interval,
        horizons: &[u32],
        quantiles: &[f64],
        from: usize,
    ) -> Result<ForecastFrame, FeatureError> {
        Ok(self
            .forecast(bars, interval, horizons, quantiles)?
            .tail(from))
    }
}

/// Names accepted by [`forecaster_by_name`].
pub fn builtin_names() -> Vec<String> {
    let mut v = vec!["naive".to_string()];
    v.extend(
        Transform::ALL
            .iter()
            .skip(1)
            .map(|t| format!("naive:{}", t.name())),
    );
    v.push("seasonal-naive".into());
    v.push("ewma-vol".into());
    v
}

/// `naive`, `naive:<transform>`, `seasonal-naive[:<season>]`, `ewma-vol[:<lambda>]`.
pub fn forecaster_by_name(name: &str) -> Result<Box<dyn Forecaster>, FeatureError> {
    let unknown = || FeatureError::UnknownForecaster {
        name: name.to_string(),
        known: builtin_names().join(", "),
    };
    let (base, arg) = match name.split_once(':') {
        Some((b, a)) => (b, Some(a)),
        None => (name, None),
    };
    match (base, arg) {
        ("naive", None) => Ok(Box::new(NaiveForecaster::default())),
        ("naive", Some(t)) => Ok(Box::new(NaiveForecaster {
            transform: Transform::parse(t).ok_or_else(unknown)?,
            ..Default::default()
        })),
        ("seasonal-naive", None) => Ok(Box::new(SeasonalNaiveForecaster::default())),
        ("seasonal-naive", Some(s)) => {
            let season: usize = s.parse().ok().filter(|s| *s >= 1).ok_or_else(unknown)?;
            Ok(Box::new(SeasonalNaiveForecaster {
                season,
                ..Default::default()
            }))
        }
        ("ewma-vol", None) => Ok(Box::new(EwmaVolForecaster::default())),
        ("ewma-vol", Some(l)) => {
            let lambda: f64 = l
                .parse()
                .ok()
                .filter(|l: &f64| *l > 0.0 && *l < 1.0)
                .ok_or_else(unknown)?;
            Ok(Box::new(EwmaVolForecaster {
                lambda,
                ..Default::default()
            }))
        }
        _ => Err(unknown()),
    }
}
