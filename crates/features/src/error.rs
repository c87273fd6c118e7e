//! Errors of feature building, schemas, normalisers and forecasts. Messages name the feature,
//! field or row so a caller can fix the input without reading code.
use thiserror::Error;

#[derive(Debug, Error)]
pub enum FeatureError {
    #[error("invalid feature spec: `{field}` {reason}")]
    InvalidSpec { field: String, reason: String },
    #[error("bars are unusable: {0}")]
    InvalidBars(String),
    #[error("feature schema mismatch: {0}")]
    SchemaMismatch(String),
    #[error("normaliser: {0}")]
    Normaliser(String),
    #[error("forecast: {0}")]
    Forecast(String),
    #[error("unknown forecaster `{name}` (known: {known})")]
    UnknownForecaster { name: String, known: String },
    #[error("forecast cache {path}: {reason}")]
    Cache { path: String, reason: String },
    #[error(transparent)]
    Data(Box<tradelab_data::DataError>),
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

impl From<tradelab_data::DataError> for FeatureError {
    fn from(e: tradelab_data::DataError) -> Self {
        FeatureError::Data(Box::new(e))
    }
}

impl FeatureError {
    pub(crate) fn spec(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FeatureError::InvalidSpec {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl tradelab_core::ErrorCode for FeatureError {
    fn code(&self) -> &'static str {
        match self {
            FeatureError::InvalidSpec { .. } => "FEATURE_INVALID_SPEC",
            FeatureError::InvalidBars(_) => "FEATURE_INVALID_BARS",
            FeatureError::SchemaMismatch(_) => "FEATURE_SCHEMA_MISMATCH",
            FeatureError::Normaliser(_) => "FEATURE_NORMALISER",
            FeatureError::Forecast(_) => "FEATURE_FORECAST",
            FeatureError::UnknownForecaster { .. } => "FEATURE_UNKNOWN_FORECASTER",
            FeatureError::Cache { .. } => "FEATURE_CACHE",
            FeatureError::Data(e) => tradelab_core::ErrorCode::code(e.as_ref()),
            FeatureError::Arrow(_) => "FEATURE_ARROW",
        }
    }
}
