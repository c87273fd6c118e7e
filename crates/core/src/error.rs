use thiserror::Error;

/// Errors raised by the core types when given bad values (all user input paths).
#[derive(Debug, Error, Clone, PartialEq)]
pub enum CoreError {
    #[error("unknown interval '{0}' (expected one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d)")]
    UnknownInterval(String),
    #[error("invalid symbol '{symbol}': {reason}")]
    InvalidSymbol { symbol: String, reason: String },
    #[error("cannot parse timestamp '{0}' (expected an epoch in s/ms/µs/ns or an ISO-8601 date-time)")]
    BadTimestamp(String),
    #[error("timestamp out of range: {0}")]
    OutOfRange(String),
    #[error("column length mismatch: `{column}` has {got} values, `ts` has {expected}")]
    LengthMismatch { column: &'static str, got: usize, expected: usize },
}
