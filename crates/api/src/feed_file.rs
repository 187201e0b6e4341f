//! Feeds to and from a JSON file (`herald feeds export|import`, the settings window's Export and
//! Import). The file holds every feed's definition and never a secret: the kind of credentials
//! travels, the secret is entered again after an import.

use herald_store::{FeedSpec, Store};

use crate::{ApiError, Field};

#[derive(Debug, serde::Serialize)]
struct ExportFile {
    herald_feeds: u32,
    feeds: Vec<FeedSpec>,
}

fn bad(message: String) -> ApiError {
    ApiError::Invalid { field: Field::Import, message }
}

/// Every feed's definition, as pretty JSON.
pub(crate) fn export(store: &Store) -> Result<String, ApiError> {
    let feeds = store.feeds()?;
    if let Some(feed) = feeds.iter().find(|f| !f.spec.unreadable.is_empty()) {
        let unreadable = feed.spec.unreadable.first().map(ToString::to_string).unwrap_or_default();
        return Err(ApiError::Invalid {
            field: Field::Export,
            message: format!("the feed {:?} cannot be exported: {unreadable}", feed.spec.name),
        });
    }
    let feeds = feeds.into_iter().map(|f| f.spec).collect();
    serde_json::to_string_pretty(&ExportFile { herald_feeds: 1, feeds })
        .map_err(|e| ApiError::Invalid { field: Field::Export, message: e.to_string() })
}

/// Adds the feeds of an export; `source` names the file in messages. Everything is checked
/// before anything is written (each feed, names taken twice in the file or already in the
/// store), and the feeds go in with one transaction: an import adds all its feeds or none.
/// Returns how many. The text may come from anywhere (the windows read the file themselves), so
/// its size is bounded here as well as where the command line reads it.
/// The first key in `entry` (or in its `filters` and `tuning`) that `known` does not have.
fn unknown_key(entry: &serde_json::Value, known: &serde_json::Value) -> Option<String> {
    let (Some(entry), Some(known)) = (entry.as_object(), known.as_object()) else { return None };
    entry.iter().find_map(|(key, value)| match known.get(key) {
        None => Some(key.clone()),
        Some(inner) if inner.is_object() => {
            unknown_key(value, inner).map(|nested| format!("{key}.{nested}"))
        }
        Some(_) => None,
    })
}

pub(crate) fn import(store: &mut Store, text: &str, source: &str) -> Result<usize, ApiError> {
    let limit = crate::input_file::FEEDS_FILE.limit;
    if text.len() as u64 > limit {
        return Err(bad(format!(
            "{source} is larger than {} MiB, the most Herald reads",
            limit >> 20
        )));
    }
    let not_an_export = |why: String| bad(format!("{source} is not a Herald feed export: {why}"));
    let raw: serde_json::Value =
        serde_json::from_str(text).map_err(|e| not_an_export(e.to_string()))?;
    match raw.get("herald_feeds") {
        Some(version) if version.as_u64() == Some(1) => {}
        Some(version) => {
            return Err(not_an_export(format!(
                "it is version {version}, and this Herald reads version 1"
            )));
        }
        None => return Err(not_an_export("it has no herald_feeds version".into())),
    }
    // The keys a feed may have: a key Herald does not know (a typo such as `idle_timeout`) would
    // otherwise be dropped without a word.
    let known = serde_json::to_value(FeedSpec::default()).unwrap_or_default();
    let Some(listed) = raw.get("feeds").and_then(serde_json::Value::as_array) else {
        return Err(not_an_export("it has no list of feeds".into()));
    };
    let mut feeds = Vec::with_capacity(listed.len());
    for (i, entry) in listed.iter().enumerate() {
        // Each feed read on its own, so that an error names the feed it is about.
        let named = match entry.get("name").and_then(serde_json::Value::as_str) {
            Some(name) if !name.trim().is_empty() => format!("the feed {name:?}"),
            _ => format!("feed number {}", i + 1),
        };
        if let Some(unknown) = unknown_key(entry, &known) {
            return Err(bad(format!("{source}, {named}: Herald knows no setting {unknown:?}")));
        }
        let mut spec: FeedSpec = serde_json::from_value(entry.clone())
            .map_err(|e| bad(format!("{source}, {named}: {e}")))?;
        // A file written by hand may name a preset and leave out the settings it brings: they
        // come as with `feeds add --preset`; what the file gives stays. (Herald's own exports
        // carry every setting.)
        let given = |key: &str| entry.get(key).is_some();
        let defaults = spec.preset.defaults();
        if !given("resume") {
            spec.resume = defaults.resume;
        }
        if !given("id_source") {
            spec.id_source = defaults.id_source;
        }
        if !given("idle_timeout_s") {
            spec.idle_timeout_s = defaults.idle_timeout_s;
        }
        feeds.push(spec);
    }
    let mut names = std::collections::HashSet::new();
    let mut checked = Vec::with_capacity(feeds.len());
    for spec in &feeds {
        let spec = crate::feeds::validate(spec).map_err(|e| match e {
            ApiError::Invalid { field, message } => ApiError::Invalid {
                field,
                message: format!("{source}, the feed {:?}: {message}", spec.name),
            },
            other => other,
        })?;
        // The store compares names the same way (its name_key).
        if !names.insert(spec.name.to_lowercase()) {
            return Err(bad(format!("{source} names the feed {:?} twice", spec.name)));
        }
        if store.find_feed(&spec.name).is_ok() {
            return Err(herald_store::StoreError::DuplicateName(spec.name.clone()).into());
        }
        checked.push(spec);
    }
    // The checks above read before writing; the transaction still refuses a name that another
    // process took meanwhile, and then adds nothing.
    Ok(store.add_feeds(&checked)?.len())
}
