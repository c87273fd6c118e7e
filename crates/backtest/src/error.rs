//! Errors of the backtest use cases; each wraps its layer's error and keeps its stable code.
use tradelab_core::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    /// Boxed: data errors carry paths and rows, and would make every `Result` large.
    #[error(transparent)]
    Data(Box<tradelab_data::DataError>),
    #[error(transparent)]
    Sim(#[from] tradelab_sim::SimError),
    #[error(transparent)]
    Core(#[from] tradelab_core::CoreError),
    #[error(transparent)]
    Calendar(#[from] tradelab_calendar::CalendarError),
    /// The run registry, e.g. the test lock refusing a second look (`TEST_BURNED`).
    #[error(transparent)]
    Registry(Box<tradelab_registry::RegistryError>),
    /// A request that names something wrong: the field and why.
    #[error("{field}: {reason}")]
    Input { field: String, reason: String },
}

impl From<tradelab_data::DataError> for BacktestError {
    fn from(e: tradelab_data::DataError) -> Self {
        BacktestError::Data(Box::new(e))
    }
}

impl From<tradelab_registry::RegistryError> for BacktestError {
    fn from(e: tradelab_registry::RegistryError) -> Self {
        BacktestError::Registry(Box::new(e))
    }
}

impl BacktestError {
    pub fn input(field: impl Into<String>, reason: impl Into<String>) -> Self {
        BacktestError::Input {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl ErrorCode for BacktestError {
    fn code(&self) -> &'static str {
        match self {
            BacktestError::Data(e) => e.code(),
            BacktestError::Sim(e) => e.code(),
            BacktestError::Core(e) => e.code(),
            BacktestError::Calendar(e) => e.code(),
            BacktestError::Registry(e) => e.code(),
            BacktestError::Input { .. } => "BACKTEST_INPUT",
        }
    }
}

pub type Result<T> = std::result::Result<T, BacktestError>;
