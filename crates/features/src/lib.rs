//! tradelab-features: causal features, a saved normaliser and quantile forecasts keyed by issue
//! time.
//!
//! * [`build_features`] — bars -> [`FeatureFrame`] (row t uses bars <= t; NaN where a window is
//!   warming up or would bridge a data gap), with a versioned [`FeatureSchema`].
//! * [`Normaliser`] — z-scores fitted on the training rows only; saved, never refitted.
//! * [`forecast`] — the [`Forecaster`] trait, built-in naive / seasonal-naive / EWMA-volatility
//!   quantile forecasters, the Parquet forecast cache and MAE%/coverage evaluation.
#![allow(clippy::result_large_err)]

pub mod error;
pub mod forecast;
pub mod frame;
pub mod indicators;
pub mod normaliser;
pub mod requests;
pub mod spec;
pub mod window;

pub use error::FeatureError;
pub use forecast::{
    forecaster_by_name, EwmaVolForecaster, ForecastCache, ForecastFrame, Forecaster,
    NaiveForecaster, SeasonalNaiveForecaster, Transform,
};
pub use frame::{build_features, read_feature_schema, FeatureFrame, KV_FEATURE_SCHEMA};
pub use normaliser::Normaliser;
pub use spec::{FeatureSchema, FeatureSpec, ForecastFeatureSpec, FEATURE_VERSION};
