//! Feeds to and from a JSON file (`herald feeds export|import`, the settings window's Export and
//! Import). The file holds every feed's definition and never a secret: the kind of credentials
//! travels, the secret is entered again after an import.

use herald_store::{FeedSpec, Store};

use crate::{ApiError, Field};

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct ExportFile {
    herald_feeds: u32,
    feeds: Vec<FeedSpec>,
}

fn bad(message: String) -> ApiError {
    ApiError::Invalid { field: Field::Import, message }
}

/// Every feed's definition, as pretty JSON.
pub(crate) fn export(store: &Store) -> Result<String, ApiError> {
    let feeds = store.feeds()?.into_iter().map(|f| f.spec).collect();
    serde_json::to_string_pretty(&ExportFile { herald_feeds: 1, feeds })
        .map_err(|e| ApiError::Invalid { field: Field::Export, message: e.to_string() })
}

/// Adds the feeds of an export; `source` names the file in messages. Everything is checked
/// before anything is written (each feed, names taken twice in the file or already in the
/// store), and the feeds go in with one transaction: an import adds all its feeds or none.
/// Returns how many. The text may come from anywhere (the windows read the file themselves), so
/// its size is bounded here as well as where the command line reads it.
pub(crate) fn import(store: &mut Store, text: &str, source: &str) -> Result<usize, ApiError> {
    let limit = crate::input_file::FEEDS_FILE.limit;
    if text.len() as u64 > limit {
        return Err(bad(format!(
            "{source} is larger than {} MiB, the most Herald reads",
            limit >> 20
        )));
    }
    let export: ExportFile = serde_json::from_str(text)
        .map_err(|e| bad(format!("{source} is not a Herald feed export: {e}")))?;
    let mut names = std::collections::HashSet::new();
    for spec in &export.feeds {
        crate::feeds::validate(spec)?;
        // The store compares names the same way (its name_key).
        if !names.insert(spec.name.to_lowercase()) {
            return Err(bad(format!("{source} names the feed {:?} twice", spec.name)));
        }
        if store.find_feed(&spec.name).is_ok() {
            return Err(herald_store::StoreError::DuplicateName(spec.name.clone()).into());
        }
    }
    // The checks above read before writing; the transaction still refuses a name that another
    // process took meanwhile, and then adds nothing.
    Ok(store.add_feeds(&export.feeds)?.len())
}
