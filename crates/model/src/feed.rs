//! How a feed connects: its method, how it resumes, where an event's own id comes from and what
//! it does when the stream ends. Each is an enum with its text form (`query:since`,
//! `json:/id`) read by `FromStr` and written by `Display`.

use std::fmt;
use std::str::FromStr;

use crate::{Setting, SettingError};

/// A request header as a person writes it, `Name: value` (spaces around either are dropped):
/// a feed's extra headers, and `herald tail -H`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderLine {
    pub name: String,
    pub value: String,
}

impl HeaderLine {
    /// Headers that carry credentials: they belong in the keyring (a feed's credentials, or
    /// `tail --auth` from stdin), never in the database or on a command line.
    pub fn carries_credentials(&self) -> bool {
        ["authorization", "proxy-authorization", "cookie"]
            .contains(&self.name.to_ascii_lowercase().as_str())
    }
}

impl FromStr for HeaderLine {
    type Err = SettingError;

    fn from_str(line: &str) -> Result<Self, Self::Err> {
        let (name, value) =
            line.split_once(':').ok_or_else(|| SettingError::NotAHeaderLine(line.to_owned()))?;
        let (name, value) = (name.trim(), value.trim());
        http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| SettingError::BadHeaderName(name.to_owned()))?;
        http::HeaderValue::from_str(value)
            .map_err(|_| SettingError::BadHeaderValue(name.to_owned()))?;
        Ok(HeaderLine { name: name.to_owned(), value: value.to_owned() })
    }
}

impl fmt::Display for HeaderLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.value)
    }
}

/// A JSON pointer as RFC 6901 writes it: empty, or `/` segments with `~0` and `~1` escapes.
pub fn check_pointer(pointer: &str) -> Result<(), SettingError> {
    let bad = || SettingError::BadPointer(pointer.to_owned());
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err(bad());
    }
    let mut chars = pointer.chars();
    while let Some(c) = chars.next() {
        if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
            return Err(bad());
        }
    }
    Ok(())
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "UPPERCASE")]
#[ts(export)]
pub enum Method {
    #[default]
    Get,
    /// For APIs that stream their answer to a POST (AI and job APIs), with a JSON body.
    Post,
}

impl FromStr for Method {
    type Err = SettingError;

    /// `GET` or `POST`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "GET" => Ok(Method::Get),
            "POST" => Ok(Method::Post),
            _ => Err(SettingError::UnknownMethod(s.to_owned())),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Post => "POST",
        })
    }
}

/// How a reconnection tells the server where the feed left off.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "kind", content = "param", rename_all = "snake_case")]
#[ts(export)]
pub enum Resume {
    /// The spec's way: a `Last-Event-ID` header.
    #[default]
    Header,
    /// A query parameter (ntfy's `since`, Mercure's `lastEventID`).
    Query(String),
}

impl Resume {
    /// The rule `FromStr` applies, for a value built from its parts.
    pub fn check(self) -> Result<Self, SettingError> {
        match &self {
            Resume::Query(param) if param.is_empty() => {
                Err(SettingError::UnknownResume(self.to_string()))
            }
            Resume::Query(name) if name.chars().any(char::is_control) => {
                Err(SettingError::ControlInParamName {
                    setting: Setting::Resume,
                    name: name.clone(),
                })
            }
            _ => Ok(self),
        }
    }
}

impl FromStr for Resume {
    type Err = SettingError;

    /// `header` or `query:PARAM`; the kind in any case, spaces around the whole ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        match s.split_once(':') {
            None if s.eq_ignore_ascii_case("header") => Ok(Resume::Header),
            Some((kind, param)) if kind.eq_ignore_ascii_case("query") => {
                Resume::Query(param.to_owned()).check()
            }
            _ => Err(SettingError::UnknownResume(text.to_owned())),
        }
    }
}

impl fmt::Display for Resume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resume::Header => f.write_str("header"),
            Resume::Query(param) => write!(f, "query:{param}"),
        }
    }
}

/// Where an event's own id (what the history deduplicates on and the feed resumes from) is.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "kind", content = "pointer", rename_all = "snake_case")]
#[ts(export)]
pub enum IdSource {
    /// The `id:` set in the event's own block.
    #[default]
    Sse,
    /// A field of the JSON data, by JSON pointer (ntfy's `/id`).
    Json(String),
}

impl IdSource {
    /// The rule `FromStr` applies, for a value built from its parts.
    pub fn check(self) -> Result<Self, SettingError> {
        if let IdSource::Json(pointer) = &self {
            check_pointer(pointer)?;
        }
        Ok(self)
    }
}

impl FromStr for IdSource {
    type Err = SettingError;

    /// `sse` or `json:/pointer`; the kind in any case, spaces around the whole ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        match s.split_once(':') {
            None if s.eq_ignore_ascii_case("sse") => Ok(IdSource::Sse),
            Some((kind, pointer)) if kind.eq_ignore_ascii_case("json") => {
                IdSource::Json(pointer.to_owned()).check()
            }
            _ => Err(SettingError::UnknownIdSource(text.to_owned())),
        }
    }
}

impl fmt::Display for IdSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdSource::Sse => f.write_str("sse"),
            IdSource::Json(pointer) => write!(f, "json:{pointer}"),
        }
    }
}

/// What a feed does when its stream ends cleanly. A feed that sets none gets its method's
/// default (`OnEnd::default_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OnEnd {
    /// Connect again (with the server's retry): an event stream is meant to go on.
    Reconnect,
    /// Stop until someone runs it again: the stream was a job's answer, and connecting again
    /// would run (and bill) the job again.
    Finish,
}

impl OnEnd {
    /// As the command line takes it: `reconnect`, `finish`, or `default` (or nothing) for the
    /// method's default, in any case.
    pub fn parse_choice(text: &str) -> Result<Option<OnEnd>, SettingError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "default" => Ok(None),
            word => word
                .parse()
                .map(Some)
                .map_err(|_| SettingError::UnknownOnEndChoice(text.to_owned())),
        }
    }

    /// Finish for POST, whose stream is usually a job's answer; reconnect for GET.
    pub fn default_for(method: Method) -> Self {
        match method {
            Method::Post => OnEnd::Finish,
            Method::Get => OnEnd::Reconnect,
        }
    }
}

impl FromStr for OnEnd {
    type Err = SettingError;

    /// `reconnect` or `finish`, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "reconnect" => Ok(OnEnd::Reconnect),
            "finish" => Ok(OnEnd::Finish),
            _ => Err(SettingError::UnknownOnEnd(s.to_owned())),
        }
    }
}

/// Read by its `FromStr`, so that a feed file says what is wrong in the same words.
impl<'de> serde::Deserialize<'de> for OnEnd {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for OnEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OnEnd::Reconnect => "reconnect",
            OnEnd::Finish => "finish",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(texts: &[&str])
    where
        T: FromStr<Err = SettingError> + fmt::Display,
    {
        for text in texts {
            let value: T = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(value.to_string(), *text);
        }
    }

    #[test]
    fn settings_read_and_write_the_same_text() {
        round_trip::<Method>(&["GET", "POST"]);
        round_trip::<Resume>(&["header", "query:since", "query:a:b"]);
        round_trip::<IdSource>(&["sse", "json:/id", "json:", "json:/a~1b"]);
        round_trip::<OnEnd>(&["reconnect", "finish"]);
        assert_eq!("post".parse::<Method>(), Ok(Method::Post));
        // Kinds in any case, spaces around ignored; names as given.
        assert_eq!(" Query:Since ".parse::<Resume>(), Ok(Resume::Query("Since".into())));
        assert_eq!("JSON:/id".parse::<IdSource>(), Ok(IdSource::Json("/id".into())));
        assert_eq!("SSE".parse::<IdSource>(), Ok(IdSource::Sse));
        assert_eq!("Finish".parse::<OnEnd>(), Ok(OnEnd::Finish));
        assert!("query:a\u{1b}[31m".parse::<Resume>().is_err());
        assert_eq!(serde_json::from_str::<OnEnd>("\"Reconnect\"").unwrap(), OnEnd::Reconnect);
        let words = serde_json::from_str::<OnEnd>("\"sometimes\"").unwrap_err().to_string();
        assert!(words.contains("is not reconnect or finish"), "{words}");
    }

    #[test]
    fn bad_text_says_what_is_wrong_and_where() {
        let cases: [(Result<(), SettingError>, Setting, &str); 6] = [
            ("PUT".parse::<Method>().map(drop), Setting::Method, "the method must be GET or POST"),
            (
                "query:".parse::<Resume>().map(drop),
                Setting::Resume,
                "resume must be header or query:PARAM",
            ),
            (
                "cookie".parse::<Resume>().map(drop),
                Setting::Resume,
                "resume must be header or query:PARAM",
            ),
            (
                "json:id".parse::<IdSource>().map(drop),
                Setting::IdSource,
                "\"id\" is not a JSON pointer (like /id or /data/title)",
            ),
            (
                "xml".parse::<IdSource>().map(drop),
                Setting::IdSource,
                "the id source must be sse or json:/pointer",
            ),
            (
                "again".parse::<OnEnd>().map(drop),
                Setting::OnEnd,
                "when the stream ends: \"again\" is not reconnect or finish",
            ),
        ];
        for (result, setting, words) in cases {
            let e = result.unwrap_err();
            assert_eq!((e.setting(), e.to_string().as_str()), (setting, words));
        }
        assert!(check_pointer("/a~2").is_err());
        let header: HeaderLine = " X-Team :  ops ".parse().unwrap();
        assert_eq!(header.to_string(), "X-Team: ops");
        for (bad, words) in [
            ("nocolon", "\"nocolon\" is not \"Name: value\""),
            ("Bad Name: x", "\"Bad Name\" is not a valid HTTP header name"),
            (
                "X-A: a\u{1}b",
                "the value of the header X-A is not valid (a line break or control character)",
            ),
        ] {
            let e = bad.parse::<HeaderLine>().unwrap_err();
            assert_eq!((e.setting(), e.to_string().as_str()), (Setting::Header, words));
        }
        assert!(IdSource::Json("/ok~0".into()).check().is_ok());
        assert!(Resume::Query(String::new()).check().is_err());
    }

    #[test]
    fn the_windows_get_tagged_unions_and_plain_names() {
        let json = |v: &dyn erased::Json| v.json();
        assert_eq!(json(&Resume::Query("since".into())), r#"{"kind":"query","param":"since"}"#);
        assert_eq!(json(&IdSource::Json("/id".into())), r#"{"kind":"json","pointer":"/id"}"#);
        assert_eq!(json(&IdSource::Sse), r#"{"kind":"sse"}"#);
        assert_eq!(json(&Method::Post), r#""POST""#);
        assert_eq!(json(&OnEnd::Finish), r#""finish""#);
        assert_eq!(OnEnd::default_for(Method::Post), OnEnd::Finish);
        assert_eq!(OnEnd::default_for(Method::Get), OnEnd::Reconnect);
    }

    mod erased {
        pub trait Json {
            fn json(&self) -> String;
        }
        impl<T: serde::Serialize> Json for T {
            fn json(&self) -> String {
                serde_json::to_string(self).unwrap()
            }
        }
    }
}
