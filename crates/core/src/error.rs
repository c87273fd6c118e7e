use thiserror::Error;

/// A stable, machine-readable code for an error (e.g. `DATA_NOT_FOUND`), so callers in other
/// languages tell errors apart without reading message text. Codes never change meaning; new
/// variants get new codes.
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}

/// Errors raised by the core types when given bad values (all user input paths).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    #[error("unknown interval '{0}' (expected one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d)")]
    UnknownInterval(String),
    #[error("invalid symbol '{symbol}': {reason}")]
    InvalidSymbol { symbol: String, reason: String },
    #[error(
        "cannot parse timestamp '{0}' (expected an epoch in s/ms/µs/ns or an ISO-8601 date-time)"
    )]
    BadTimestamp(String),
    #[error("timestamp out of range: {0}")]
    OutOfRange(String),
    #[error("column length mismatch: `{column}` has {got} values, `ts` has {expected}")]
    LengthMismatch {
        column: &'static str,
        got: usize,
        expected: usize,
    },
}

impl ErrorCode for CoreError {
    fn code(&self) -> &'static str {
        match self {
            CoreError::UnknownInterval(_) => "CORE_UNKNOWN_INTERVAL",
            CoreError::InvalidSymbol { .. } => "CORE_INVALID_SYMBOL",
            CoreError::BadTimestamp(_) => "CORE_BAD_TIMESTAMP",
            CoreError::OutOfRange(_) => "CORE_OUT_OF_RANGE",
            CoreError::LengthMismatch { .. } => "CORE_LENGTH_MISMATCH",
        }
    }
}
