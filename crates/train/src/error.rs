//! Errors of the trainer. Every message names the file, field or split it is about.
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Bad command line; exit code 2.
    #[error("{0}")]
    Usage(String),
    /// A config field with a bad value: `field` is the JSON path (e.g. `model.dModel`).
    #[error("config field {field}: {message}")]
    Config { field: String, message: String },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("data: {0}")]
    Data(String),
    #[error("features: {0}")]
    Features(#[from] tradelab_features::FeatureError),
    #[error("simulator: {0}")]
    Sim(#[from] tradelab_sim::SimError),
    #[error("torch: {0}")]
    Torch(#[from] tch::TchError),
    #[error("checkpoint {path}: {message}")]
    Checkpoint { path: PathBuf, message: String },
    /// The test split of this checkpoint was already evaluated.
    #[error("{0}")]
    TestBurned(String),
}

impl TrainError {
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        TrainError::Config {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn file(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        TrainError::File {
            path: path.into(),
            message: message.to_string(),
        }
    }

    pub fn checkpoint(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        TrainError::Checkpoint {
            path: path.into(),
            message: message.to_string(),
        }
    }

    /// Process exit code: 2 for usage errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            TrainError::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl From<tradelab_data::DataError> for TrainError {
    fn from(e: tradelab_data::DataError) -> Self {
        TrainError::Data(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, TrainError>;
