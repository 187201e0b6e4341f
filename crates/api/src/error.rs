use herald_os::OsError;

/// A stable, machine-readable code for every error that can reach the UI, so the windows can
/// match on it instead of parsing words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    DataDir,
    Lock,
    Log,
    ProgramMissing,
    Spawn,
    Invalid,
    DuplicateName,
    UnknownFeed,
    Database,
    Keyring,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Os(herald_os::OsError),
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] herald_store::StoreError),
    #[error("{0}")]
    Secrets(#[from] herald_secrets::SecretError),
}

impl From<OsError> for ApiError {
    fn from(e: OsError) -> Self {
        match e {
            OsError::Refused { what, message } => ApiError::Invalid { field: what, message },
            other => ApiError::Os(other),
        }
    }
}

impl From<herald_model::SettingError> for ApiError {
    fn from(e: herald_model::SettingError) -> Self {
        ApiError::Invalid { field: e.field(), message: e.to_string() }
    }
}

impl ApiError {
    /// Usage errors (docs/cli.md exit code 2): bad values, unknown feeds, taken names.
    pub fn is_usage(&self) -> bool {
        matches!(
            self.code(),
            ErrorCode::Invalid | ErrorCode::DuplicateName | ErrorCode::UnknownFeed
        )
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Os(e) => match e {
                OsError::DataDir { .. } => ErrorCode::DataDir,
                OsError::Lock { .. } => ErrorCode::Lock,
                OsError::Log { .. } => ErrorCode::Log,
                OsError::ProgramMissing { .. } => ErrorCode::ProgramMissing,
                OsError::Spawn { .. } => ErrorCode::Spawn,
                // Made Invalid by `From`: a refusal names what was refused.
                OsError::Refused { .. } => ErrorCode::Invalid,
            },
            ApiError::Invalid { .. } => ErrorCode::Invalid,
            ApiError::Store(herald_store::StoreError::DuplicateName(_)) => ErrorCode::DuplicateName,
            ApiError::Store(herald_store::StoreError::UnknownFeed(_)) => ErrorCode::UnknownFeed,
            ApiError::Store(_) => ErrorCode::Database,
            ApiError::Secrets(_) => ErrorCode::Keyring,
        }
    }
}

/// An error as the windows receive it: a stable code to match on and words to show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct UiError {
    pub code: ErrorCode,
    pub message: String,
    /// For invalid input: which field, so a form can point at it.
    pub field: Option<String>,
}

impl From<ApiError> for UiError {
    fn from(err: ApiError) -> Self {
        let field = match &err {
            ApiError::Invalid { field, .. } => Some((*field).to_owned()),
            _ => None,
        };
        UiError { code: err.code(), message: err.to_string(), field }
    }
}
