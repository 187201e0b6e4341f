//! Times of day, for quiet hours: parsed once where they come in (the command line, the
//! settings window), kept as minutes since midnight, written "HH:MM" everywhere they show and in
//! the stored settings.

use std::fmt;
use std::str::FromStr;

/// A local time of day, to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// `None` past 23:59.
    pub fn new(hour: u32, minute: u32) -> Option<Self> {
        let minutes = (hour < 24 && minute < 60).then_some(hour * 60 + minute)?;
        u16::try_from(minutes).ok().map(Self)
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u32 {
        u32::from(self.0)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time of day like 22:00")]
pub struct NotATimeOfDay(String);

impl FromStr for TimeOfDay {
    type Err = NotATimeOfDay;

    /// "HH:MM" (or "H:M"), 00:00 to 23:59; spaces around it are ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || NotATimeOfDay(text.to_owned());
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || !digits(m) {
            return Err(bad());
        }
        let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Self::new(h, m).ok_or_else(bad)
    }
}

impl serde::Serialize for TimeOfDay {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for TimeOfDay {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A stored time that no longer reads (written by hand, say) is no time: quiet hours go off
/// rather than every setting becoming unreadable.
pub fn lenient<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<TimeOfDay>, D::Error> {
    let text: Option<String> = serde::Deserialize::deserialize(deserializer)?;
    Ok(text.and_then(|t| match t.parse() {
        Ok(time) => Some(time),
        Err(e) => {
            tracing::warn!("quiet hours are off: the stored {e}");
            None
        }
    }))
}

/// Daily quiet hours, local time; a range whose end comes before its start runs past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from: TimeOfDay,
    pub to: TimeOfDay,
}

impl QuietHours {
    /// From two times of day as a person writes them (`22:00`, `7:30`).
    pub fn parse(from: &str, to: &str) -> Result<Self, NotATimeOfDay> {
        Ok(QuietHours { from: from.parse()?, to: to.parse()? })
    }

    /// Whether `minute_of_day` (minutes since local midnight) falls inside: from is in, to is
    /// out.
    pub fn contains(&self, minute_of_day: u32) -> bool {
        let (from, to) = (self.from.minutes(), self.to.minutes());
        if from <= to {
            (from..to).contains(&minute_of_day)
        } else {
            minute_of_day >= from || minute_of_day < to
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> TimeOfDay {
        text.parse().unwrap()
    }

    #[test]
    fn times_read_and_write_as_hh_mm() {
        assert_eq!(t("7:05").to_string(), "07:05");
        assert_eq!(t("7:5").to_string(), "07:05");
        assert_eq!(t(" 23:59 ").minutes(), 23 * 60 + 59);
        for bad in ["24:00", "12:60", "noon", "12", "+1:00", "12:-1", "", "123:00", "12:000", ":30"]
        {
            assert!(bad.parse::<TimeOfDay>().is_err(), "{bad}");
        }
        let words = "noon".parse::<TimeOfDay>().unwrap_err().to_string();
        assert_eq!(words, "\"noon\" is not a time of day like 22:00");
        assert_eq!(serde_json::to_string(&t("22:00")).unwrap(), "\"22:00\"");
        assert_eq!(serde_json::from_str::<TimeOfDay>("\"6:30\"").unwrap(), t("06:30"));
        assert!(serde_json::from_str::<TimeOfDay>("\"25:00\"").is_err());
    }

    #[test]
    fn quiet_hours_including_ranges_past_midnight() {
        let at = |h: u32, m: u32| h * 60 + m;
        let night = QuietHours { from: t("22:00"), to: t("07:00") };
        assert!(night.contains(at(23, 30)));
        assert!(night.contains(at(6, 59)));
        assert!(!night.contains(at(7, 0)));
        let lunch = QuietHours { from: t("12:00"), to: t("13:00") };
        assert!(lunch.contains(at(12, 30)));
        assert!(!lunch.contains(at(13, 0)));
        assert!(!lunch.contains(at(11, 59)));
    }
}
