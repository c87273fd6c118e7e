use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("run registry {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("run registry {path}: cannot create its directory: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("run registry {path}: schema version {found} is newer than this tradelab understands ({supported}); upgrade tradelab")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("run registry {path}: not a tradelab run registry (it is another program's SQLite database with tables {tables}, and no tradelab schema version); it was left unchanged: pass another --registry file")]
    Foreign { path: PathBuf, tables: String },
    #[error("run input: field `{field}`: {message}")]
    BadField { field: String, message: String },
    #[error("run input: {0}")]
    BadInput(String),
    #[error("run registry {path}: row {id}: column `{column}` holds invalid JSON: {message}")]
    CorruptRow {
        path: PathBuf,
        id: String,
        column: &'static str,
        message: String,
    },
    #[error("{0}")]
    TestBurned(String),
    #[error("no run matches '{0}' (see `tradelab runs list`)")]
    NotFound(String),
    #[error("run id prefix '{prefix}' is ambiguous: {} and {} more", candidates.first().map(String::as_str).unwrap_or("?"), candidates.len().saturating_sub(1))]
    Ambiguous {
        prefix: String,
        candidates: Vec<String>,
    },
    /// A journal request refused (split mismatch, a second test verdict, a missing metric, ...);
    /// `code` is one of the `JOURNAL_*` codes.
    #[error("{message}")]
    Journal { code: &'static str, message: String },
}

impl RegistryError {
    /// Stable machine-readable code (see `tradelab_core::ErrorCode`; this crate has no core dep).
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::Sqlite { .. } => "REGISTRY_SQLITE",
            RegistryError::Io { .. } => "REGISTRY_IO",
            RegistryError::NewerSchema { .. } => "REGISTRY_NEWER_SCHEMA",
            RegistryError::Foreign { .. } => "REGISTRY_FOREIGN",
            RegistryError::BadField { .. } => "REGISTRY_BAD_FIELD",
            RegistryError::BadInput(_) => "REGISTRY_BAD_INPUT",
            RegistryError::CorruptRow { .. } => "REGISTRY_CORRUPT_ROW",
            RegistryError::NotFound(_) => "REGISTRY_NOT_FOUND",
            RegistryError::TestBurned(_) => "TEST_BURNED",
            RegistryError::Ambiguous { .. } => "REGISTRY_AMBIGUOUS",
            RegistryError::Journal { code, .. } => code,
        }
    }

    pub(crate) fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        RegistryError::BadField {
            field: field.into(),
            message: message.into(),
        }
    }
}
