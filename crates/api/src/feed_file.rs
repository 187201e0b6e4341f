//! Feeds to and from a JSON file (`herald feeds export|import`, the settings window's Export and
//! Import). The file holds every feed's definition and never a secret: the kind of credentials
//! travels, the secret is entered again after an import.

use herald_store::{FeedSpec, Store};

use crate::ApiError;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct ExportFile {
    herald_feeds: u32,
    feeds: Vec<FeedSpec>,
}

fn bad(message: String) -> ApiError {
    ApiError::Invalid { field: "import", message }
}

/// Every feed's definition, as pretty JSON.
pub fn export(store: &Store) -> Result<String, ApiError> {
    let feeds = store.feeds()?.into_iter().map(|f| f.spec).collect();
    serde_json::to_string_pretty(&ExportFile { herald_feeds: 1, feeds })
        .map_err(|e| ApiError::Invalid { field: "export", message: e.to_string() })
}

/// Adds the feeds of an export; `source` names the file in messages. Everything is checked
/// before anything is written: an import adds all its feeds or none. Returns how many.
pub fn import(store: &mut Store, text: &str, source: &str) -> Result<usize, ApiError> {
    let export: ExportFile = serde_json::from_str(text)
        .map_err(|e| bad(format!("{source} is not a Herald feed export: {e}")))?;
    for spec in &export.feeds {
        crate::feeds::validate(spec)?;
        if store.find_feed(&spec.name).is_ok() {
            return Err(herald_store::StoreError::DuplicateName(spec.name.clone()).into());
        }
    }
    for spec in &export.feeds {
        store.add_feed(spec)?;
    }
    Ok(export.feeds.len())
}
