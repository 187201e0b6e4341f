//! App-wide notification settings: do-not-disturb and daily quiet hours. The resident picks
//! changes up within a second, from any process.

use herald_store::{QuietHours, Settings, Store};

use crate::{ApiError, Field};

pub(crate) fn get(store: &Store) -> Result<Settings, ApiError> {
    Ok(store.settings()?)
}

pub(crate) fn set_do_not_disturb(store: &mut Store, on: bool) -> Result<Settings, ApiError> {
    let mut settings = store.settings()?;
    settings.do_not_disturb = on;
    store.set_settings(&settings)?;
    Ok(settings)
}

/// Daily quiet hours (local time; they may run past midnight), or none.
pub(crate) fn set_quiet_hours(
    store: &mut Store,
    hours: Option<QuietHours>,
) -> Result<Settings, ApiError> {
    let mut settings = store.settings()?;
    settings.quiet_from = hours.map(|h| h.from);
    settings.quiet_to = hours.map(|h| h.to);
    store.set_settings(&settings)?;
    Ok(settings)
}

/// Coalescing, health alerts and retention, checked for sense before they are stored.
pub(crate) fn set_general(
    store: &mut Store,
    general: &crate::views::GeneralSettings,
) -> Result<Settings, ApiError> {
    let check = |field: Field, value: u32, range: std::ops::RangeInclusive<u32>, what: &str| {
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(ApiError::Invalid {
                field,
                message: format!("{what} must be {} to {}", range.start(), range.end()),
            })
        }
    };
    let mut settings = store.settings()?;
    settings.coalesce_count =
        check(Field::CoalesceCount, general.coalesce_count, 1..=1000, "the number of events")?;
    settings.coalesce_window_s =
        check(Field::CoalesceWindowS, general.coalesce_window_s, 1..=3600, "the window (seconds)")?;
    settings.health_down_after_s = check(
        Field::HealthDownAfterS,
        general.health_down_after_s,
        10..=86_400 * 7,
        "the time before a down feed is reported (seconds)",
    )?;
    settings.retention_per_feed = general
        .retention_per_feed
        .map(|n| check(Field::RetentionPerFeed, n, 10..=10_000_000, "entries kept per feed"))
        .transpose()?;
    // At least 10 MiB: the largest event (8 MiB) always fits.
    settings.retention_mib_per_feed = general
        .retention_mib_per_feed
        .map(|n| check(Field::RetentionMibPerFeed, n, 10..=1_000_000, "the MiB kept per feed"))
        .transpose()?;
    settings.retention_days = general
        .retention_days
        .map(|n| check(Field::RetentionDays, n, 1..=36_500, "the days entries are kept"))
        .transpose()?;
    store.set_settings(&settings)?;
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_numbers_are_checked_before_anything_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&Store::path_in(dir.path())).unwrap();
        let good = crate::views::GeneralSettings {
            coalesce_count: 7,
            coalesce_window_s: 30,
            health_down_after_s: 900,
            retention_per_feed: None,
            retention_mib_per_feed: Some(50),
            retention_days: Some(30),
        };
        set_general(&mut store, &good).unwrap();
        let stored = store.settings().unwrap();
        assert_eq!((stored.coalesce_count, stored.retention_per_feed), (7, None));
        assert_eq!(stored.retention_days, Some(30));
        assert_eq!(stored.retention_mib_per_feed, Some(50));
        for bad in [
            crate::views::GeneralSettings { coalesce_count: 0, ..good.clone() },
            crate::views::GeneralSettings { health_down_after_s: 5, ..good.clone() },
            crate::views::GeneralSettings { retention_per_feed: Some(1), ..good.clone() },
            crate::views::GeneralSettings { retention_mib_per_feed: Some(1), ..good.clone() },
        ] {
            let err = set_general(&mut store, &bad).unwrap_err();
            assert!(err.to_string().contains("must be"), "{err}");
        }
        assert_eq!(store.settings().unwrap(), stored, "a refused change stores nothing");
    }

    #[test]
    fn quiet_hours_are_parsed_where_they_come_in_and_stored_normalised() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&Store::path_in(dir.path())).unwrap();
        let hours = QuietHours::parse("7:05", "22:00").unwrap();
        let set = set_quiet_hours(&mut store, Some(hours)).unwrap();
        assert_eq!(set.quiet_from.map(|t| t.to_string()).as_deref(), Some("07:05"));
        // A bad time never becomes a setting: it is an error where it comes in, naming the field.
        let err = ApiError::from(QuietHours::parse("22:00", "24:00").unwrap_err());
        assert_eq!(err.to_string(), "\"24:00\" is not a time of day like 22:00");
        assert!(matches!(err, ApiError::Invalid { field: Field::QuietHours, .. }));
        assert_eq!(store.settings().unwrap(), set);
        assert_eq!(set_quiet_hours(&mut store, None).unwrap().quiet_from, None);
    }
}
