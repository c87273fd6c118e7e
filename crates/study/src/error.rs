//! Errors name the field (search-space parameter, spec key or trial number) at fault.
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StudyError {
    /// A search-space parameter or spec field is invalid.
    #[error("`{field}`: {msg}")]
    Field { field: String, msg: String },
    #[error("trial {number}: {msg}")]
    Trial { number: u32, msg: String },
    #[error("study spec: {0}")]
    Spec(String),
}

impl StudyError {
    pub fn field(field: impl Into<String>, msg: impl Into<String>) -> Self {
        StudyError::Field {
            field: field.into(),
            msg: msg.into(),
        }
    }

    /// A stable code, as every tradelab error has (the binding prefixes messages with it).
    pub fn code(&self) -> &'static str {
        match self {
            StudyError::Field { .. } | StudyError::Spec(_) => "STUDY_SPEC",
            StudyError::Trial { .. } => "STUDY_TRIAL",
        }
    }
}
