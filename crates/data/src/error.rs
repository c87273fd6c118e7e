use std::path::PathBuf;
use thiserror::Error;
use tradelab_core::CoreError;

/// Everything that can go wrong reading, importing or storing bars. Messages always name the file
/// and, where one is to blame, the row (1-based, counting data rows) and field.
#[derive(Debug, Error)]
pub enum DataError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{file}: row {row}{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    BadRow {
        file: PathBuf,
        row: usize,
        line: Option<u64>,
        message: String,
    },

    #[error("{file}: {message}")]
    BadFile { file: PathBuf, message: String },

    #[error("{file}: no funding rates stored for {symbol} in {store} (download them with `tradelab data funding --symbols {symbol}`)")]
    NoFunding {
        file: PathBuf,
        store: PathBuf,
        symbol: String,
    },

    #[error("refusing to write through symlink {link} -> {target}: it would alias another dataset (the seed system overwrote data this way); replace the link with a real directory")]
    Symlink { link: PathBuf, target: PathBuf },

    #[error("no bars stored for {symbol} {interval} in {store} (import some with `tradelab data import`)")]
    NotFound {
        store: PathBuf,
        symbol: String,
        interval: String,
    },

    #[error("{file}: {count} bar(s) differ from bars already stored for {symbol} {interval}; first at {first_ts}: {detail}. Nothing was written. Re-run with --on-conflict replace to overwrite stored bars or --on-conflict keep to keep them")]
    Conflict {
        file: PathBuf,
        symbol: String,
        interval: String,
        count: usize,
        first_ts: String,
        detail: String,
    },

    #[error(transparent)]
    Core(#[from] CoreError),
}

impl DataError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    pub fn bad_file(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        DataError::BadFile {
            file: file.into(),
            message: message.into(),
        }
    }
}

impl tradelab_core::ErrorCode for DataError {
    fn code(&self) -> &'static str {
        match self {
            DataError::Io { .. } => "DATA_IO",
            DataError::BadRow { .. } => "DATA_BAD_ROW",
            DataError::BadFile { .. } => "DATA_BAD_FILE",
            DataError::Symlink { .. } => "DATA_SYMLINK",
            DataError::NotFound { .. } | DataError::NoFunding { .. } => "DATA_NOT_FOUND",
            DataError::Conflict { .. } => "DATA_CONFLICT",
            DataError::Core(e) => tradelab_core::ErrorCode::code(e),
        }
    }
}
