use herald_os::{OsError, Refused};

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

/// Which input an `Invalid` error is about, so a form can point at the field. The windows get
/// the names as a TypeScript union: a form that checks a name no error carries does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Field {
    // A feed's settings.
    Url,
    Name,
    Preset,
    Auth,
    Secret,
    Header,
    Method,
    Body,
    Resume,
    IdSource,
    TitleTemplate,
    BodyTemplate,
    LinkTemplate,
    Condition,
    MinPriority,
    CaFile,
    IdleTimeout,
    OnEnd,
    Snooze,
    // The general settings.
    QuietHours,
    CoalesceCount,
    CoalesceWindowS,
    HealthDownAfterS,
    RetentionPerFeed,
    RetentionMibPerFeed,
    RetentionDays,
    Autostart,
    // Files, links, windows.
    Import,
    Export,
    Output,
    Link,
    Folder,
    Window,
}

impl From<herald_model::Setting> for Field {
    fn from(setting: herald_model::Setting) -> Self {
        use herald_model::Setting;
        match setting {
            Setting::Auth => Field::Auth,
            Setting::Header => Field::Header,
            Setting::Method => Field::Method,
            Setting::Resume => Field::Resume,
            Setting::IdSource => Field::IdSource,
            Setting::OnEnd => Field::OnEnd,
            Setting::Preset => Field::Preset,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Os(herald_os::OsError),
    #[error("{message}")]
    Invalid { field: Field, message: String },
    #[error(transparent)]
    Store(#[from] herald_store::StoreError),
    #[error("{0}")]
    Secrets(#[from] herald_secrets::SecretError),
}

impl From<OsError> for ApiError {
    fn from(e: OsError) -> Self {
        match e {
            OsError::Refused { what, message } => {
                let field = match what {
                    Refused::Link => Field::Link,
                    Refused::Folder => Field::Folder,
                    Refused::Autostart => Field::Autostart,
                };
                ApiError::Invalid { field, message }
            }
            other => ApiError::Os(other),
        }
    }
}

impl From<herald_model::NotATimeOfDay> for ApiError {
    fn from(e: herald_model::NotATimeOfDay) -> Self {
        ApiError::Invalid { field: Field::QuietHours, message: e.to_string() }
    }
}

impl From<herald_model::SettingError> for ApiError {
    fn from(e: herald_model::SettingError) -> Self {
        ApiError::Invalid { field: e.setting().into(), message: e.to_string() }
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
    pub field: Option<Field>,
}

impl From<ApiError> for UiError {
    fn from(err: ApiError) -> Self {
        let field = match &err {
            ApiError::Invalid { field, .. } => Some(*field),
            _ => None,
        };
        UiError { code: err.code(), message: err.to_string(), field }
    }
}
