//! Errors for every user-input path of the simulator (bars, actions, parameters, sweep specs).
use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum SimError {
    #[error("no bars to simulate")]
    EmptyBars,
    #[error("length mismatch: `{what}` has {got} rows, bars have {expected}")]
    LengthMismatch {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    #[error("bar {index} is unusable: {reason}")]
    InvalidBar { index: usize, reason: String },
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParam {
        name: &'static str,
        value: String,
        reason: String,
    },
    #[error("invalid strategy: {0}")]
    InvalidStrategy(String),
    #[error("invalid sweep spec: {0}")]
    InvalidSweep(String),
    #[error("instrument {symbol}: {reason}")]
    Instrument { symbol: String, reason: String },
    #[error("actions row {row}: {reason}")]
    InvalidActionRow { row: usize, reason: String },
}

impl SimError {
    pub(crate) fn param(name: &'static str, value: impl std::fmt::Display, reason: &str) -> Self {
        SimError::InvalidParam {
            name,
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }
}

impl tradelab_core::ErrorCode for SimError {
    fn code(&self) -> &'static str {
        match self {
            SimError::EmptyBars => "SIM_EMPTY_BARS",
            SimError::LengthMismatch { .. } => "SIM_LENGTH_MISMATCH",
            SimError::InvalidBar { .. } => "SIM_INVALID_BAR",
            SimError::InvalidParam { .. } => "SIM_INVALID_PARAM",
            SimError::InvalidStrategy(_) => "SIM_INVALID_STRATEGY",
            SimError::InvalidSweep(_) => "SIM_INVALID_SWEEP",
            SimError::Instrument { .. } => "SIM_INSTRUMENT",
            SimError::InvalidActionRow { .. } => "SIM_INVALID_ACTION_ROW",
        }
    }
}
