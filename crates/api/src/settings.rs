//! App-wide notification settings: do-not-disturb and daily quiet hours. The resident picks
//! changes up within a second, from any process.

use herald_store::{Settings, Store};

use crate::ApiError;

pub fn get(store: &Store) -> Result<Settings, ApiError> {
    Ok(store.settings()?)
}

pub fn set_do_not_disturb(store: &mut Store, on: bool) -> Result<Settings, ApiError> {
    let mut settings = store.settings()?;
    settings.do_not_disturb = on;
    store.set_settings(&settings)?;
    Ok(settings)
}

/// Quiet hours from `from` to `to` ("HH:MM", local time; may wrap past midnight), or none.
pub fn set_quiet_hours(
    store: &mut Store,
    hours: Option<(&str, &str)>,
) -> Result<Settings, ApiError> {
    let mut settings = store.settings()?;
    match hours {
        Some((from, to)) => {
            settings.quiet_from = Some(check_time(from)?);
            settings.quiet_to = Some(check_time(to)?);
        }
        None => {
            settings.quiet_from = None;
            settings.quiet_to = None;
        }
    }
    store.set_settings(&settings)?;
    Ok(settings)
}

fn check_time(text: &str) -> Result<String, ApiError> {
    let bad = || ApiError::Invalid {
        field: "quiet hours",
        message: format!("{text:?} is not a time of day like 22:00"),
    };
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(format!("{h:02}:{m:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_checked_and_normalised() {
        assert_eq!(check_time("7:05").unwrap(), "07:05");
        for bad in ["24:00", "12:60", "noon", "12"] {
            assert!(check_time(bad).is_err(), "{bad}");
        }
    }
}
