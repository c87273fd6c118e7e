//! Quantile forecasters keyed by issue time, their on-disk cache and evaluation.
pub mod frame;

pub use frame::{column_name, quantile_label, ForecastFrame, TARGETS};
