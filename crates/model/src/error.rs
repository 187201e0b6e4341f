//! Why a setting cannot be what it was given as.

/// Why a setting's text (or a value the settings window built) is not one Herald can run, in
/// words for the user; [`SettingError::setting`] says which setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("unknown auth kind {0:?}: use none, bearer, basic, header:NAME or query:NAME")]
    UnknownAuth(String),
    /// The name in `header:NAME`.
    #[error("{0:?} is not a valid HTTP header name")]
    BadAuthHeaderName(String),
    #[error("{0:?} is not a valid HTTP header name")]
    BadHeaderName(String),
    #[error("{0:?} is not \"Name: value\"")]
    NotAHeaderLine(String),
    #[error("the value of the header {0} is not valid (a line break or control character)")]
    BadHeaderValue(String),
    #[error("a query parameter name is needed (query:NAME)")]
    EmptyQueryName,
    #[error("a query parameter name cannot hold control characters ({name:?})")]
    ControlInParamName { setting: Setting, name: String },
    #[error("the method must be GET or POST")]
    UnknownMethod(String),
    #[error("resume must be header or query:PARAM")]
    UnknownResume(String),
    #[error("the id source must be sse or json:/pointer")]
    UnknownIdSource(String),
    #[error("{0:?} is not a JSON pointer (like /id or /data/title)")]
    BadPointer(String),
    #[error("when the stream ends: {0:?} is not reconnect or finish")]
    UnknownOnEnd(String),
    /// As the command line takes it, where `default` is a choice too.
    #[error("when the stream ends: {0:?} is not reconnect, finish or default")]
    UnknownOnEndChoice(String),
    #[error("unknown preset {name:?}: use one of {known}")]
    UnknownPreset { name: String, known: String },
}

/// Which setting a [`SettingError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Auth,
    Header,
    Method,
    Resume,
    IdSource,
    OnEnd,
    Preset,
}

impl SettingError {
    pub fn setting(&self) -> Setting {
        match self {
            SettingError::UnknownAuth(_)
            | SettingError::BadAuthHeaderName(_)
            | SettingError::EmptyQueryName => Setting::Auth,
            SettingError::ControlInParamName { setting, .. } => *setting,
            SettingError::BadHeaderName(_)
            | SettingError::NotAHeaderLine(_)
            | SettingError::BadHeaderValue(_) => Setting::Header,
            SettingError::UnknownMethod(_) => Setting::Method,
            SettingError::UnknownResume(_) => Setting::Resume,
            SettingError::UnknownIdSource(_) | SettingError::BadPointer(_) => Setting::IdSource,
            SettingError::UnknownOnEnd(_) | SettingError::UnknownOnEndChoice(_) => Setting::OnEnd,
            SettingError::UnknownPreset { .. } => Setting::Preset,
        }
    }
}
