//! A setting as its text in files and stored rows (`header:X-Token`, `query:since`), for
//! `#[serde(with = "herald_model::text")]`. Reading it is the type's `FromStr`: an imported file
//! is checked by the same rule as the command line.

use std::fmt::Display;
use std::str::FromStr;

pub fn serialize<T: Display, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
where
    T: FromStr,
    T::Err: Display,
    D: serde::Deserializer<'de>,
{
    let text = <String as serde::Deserialize>::deserialize(d)?;
    text.parse().map_err(serde::de::Error::custom)
}
