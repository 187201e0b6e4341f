//! Feed definitions: everything about a feed except its secret (which lives in the keyring).

use rusqlite::{OptionalExtension, Row, params};

use herald_model::{FeedSpec, PRIORITIES, Stored, Unreadable};

use crate::{Millis, Store, StoreError, now_millis};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Feed {
    pub id: String,
    #[serde(flatten)]
    pub spec: FeedSpec,
    pub created_at: Millis,
    pub updated_at: Millis,
}

const COLUMNS: &str = "id, name, url, method, body, enabled, headers, auth, preset, title_template, \
    body_template, link_template, filters, resume, id_source, ca_file, idle_timeout_s, muted, \
    snooze_until, created_at, updated_at, tuning";

/// Reads a stored feed's columns so that one that no longer reads (a row edited by hand) never
/// makes every feed unreadable: it falls back to its default and is noted as the feed's
/// `unreadable`, which stops that feed with the reason. Only checked values are ever written.
struct Lenient<'a, 'r> {
    row: &'a Row<'r>,
    unreadable: Vec<Unreadable>,
}

impl Lenient<'_, '_> {
    fn note(&mut self, setting: Stored, why: String) {
        self.unreadable.push(Unreadable { setting, why });
    }

    fn get<T: rusqlite::types::FromSql + Default>(&mut self, i: usize, setting: Stored) -> T {
        self.row.get(i).unwrap_or_else(|e| {
            self.note(setting, e.to_string());
            T::default()
        })
    }

    /// A setting stored as its text, read by its type's own rule.
    fn setting<T>(&mut self, i: usize, setting: Stored) -> T
    where
        T: std::str::FromStr + Default,
        T::Err: std::fmt::Display,
    {
        let text: String = self.get(i, setting);
        text.parse().unwrap_or_else(|e| {
            self.note(setting, format!("{text:?}: {e}"));
            T::default()
        })
    }

    fn json<T: serde::de::DeserializeOwned + Default>(&mut self, i: usize, setting: Stored) -> T {
        let text: String = self.get(i, setting);
        serde_json::from_str(&text).unwrap_or_else(|e| {
            self.note(setting, e.to_string());
            T::default()
        })
    }
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Feed> {
    let mut r = Lenient { row, unreadable: Vec::new() };
    let spec = FeedSpec {
        name: r.get(1, Stored::Name),
        url: r.get(2, Stored::Url),
        method: r.setting(3, Stored::Method),
        body: r.get(4, Stored::Body),
        enabled: r.row.get(5).unwrap_or_else(|e: rusqlite::Error| {
            // On, so that it shows as stopped with the reason, not as switched off.
            r.note(Stored::Enabled, e.to_string());
            true
        }),
        headers: r.json(6, Stored::Headers),
        auth: r.setting(7, Stored::Auth),
        preset: r.setting(8, Stored::Preset),
        title_template: r.get(9, Stored::TitleTemplate),
        body_template: r.get(10, Stored::BodyTemplate),
        link_template: r.get(11, Stored::LinkTemplate),
        filters: r.json(12, Stored::Filters),
        resume: r.setting(13, Stored::Resume),
        id_source: r.setting(14, Stored::IdSource),
        ca_file: r.get(15, Stored::CaFile),
        idle_timeout_s: r.get(16, Stored::IdleTimeout),
        muted: r.get(17, Stored::Muted),
        snooze_until: r.get(18, Stored::SnoozeUntil),
        tuning: r.json(21, Stored::Tuning),
        unreadable: Vec::new(),
    };
    // Values of the right type that no setting can hold, by the rules they were checked by.
    if let Some(priority) = spec.filters.min_priority.filter(|p| !PRIORITIES.contains(p)) {
        r.note(Stored::Filters, format!("the minimum priority {priority} is not 1 to 5"));
    }
    if let Some(body) = &spec.body
        && serde_json::from_str::<serde::de::IgnoredAny>(body).is_err()
    {
        r.note(Stored::Body, "the body is not JSON".into());
    }
    // Not settings: a time that does not read is simply unknown.
    let (created_at, updated_at) =
        (row.get(19).unwrap_or_default(), row.get(20).unwrap_or_default());
    Ok(Feed {
        // The one column a feed cannot do without: a row without it is not a feed.
        id: row.get(0)?,
        spec: FeedSpec { unreadable: r.unreadable, ..spec },
        created_at,
        updated_at,
    })
}

fn new_id() -> String {
    // Short, stable and unguessable enough to be unique per install: 12 chars of base32.
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    (0..12).map(|_| ALPHABET[fastrand::usize(..ALPHABET.len())] as char).collect()
}

/// One new feed (and its resume state) inside the caller's transaction; returns its id.
fn insert_feed(
    tx: &rusqlite::Transaction<'_>,
    spec: &FeedSpec,
    now: Millis,
) -> Result<String, StoreError> {
    let id = new_id();
    tx.execute(
        &format!("INSERT INTO feeds ({COLUMNS}, name_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)"),
        params![
            id, spec.name, spec.url, spec.method.to_string(), spec.body, spec.enabled,
            serde_json::to_string(&spec.headers)?, spec.auth.to_string(), spec.preset.to_string(), spec.title_template,
            spec.body_template, spec.link_template, serde_json::to_string(&spec.filters)?,
            spec.resume.to_string(), spec.id_source.to_string(), spec.ca_file, spec.idle_timeout_s, spec.muted,
            spec.snooze_until, now, now, serde_json::to_string(&spec.tuning)?,
            spec.name.to_lowercase()
        ],
    )
    .map_err(|e| map_unique(e, &spec.name))?;
    tx.execute("INSERT INTO resume_state (feed_id) VALUES (?1)", [&id])?;
    Ok(id)
}

fn map_unique(err: rusqlite::Error, name: &str) -> StoreError {
    if err.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) {
        StoreError::DuplicateName(name.to_owned())
    } else {
        err.into()
    }
}

impl Store {
    pub fn add_feed(&mut self, spec: &FeedSpec) -> Result<Feed, StoreError> {
        let tx = self.write_transaction()?;
        let id = insert_feed(&tx, spec, now_millis())?;
        tx.commit()?;
        self.feed(&id)
    }

    /// Adds every feed or none (an import): one transaction, so a taken name anywhere in the
    /// list leaves the store as it was, and the resident never sees half a list.
    pub fn add_feeds(&mut self, specs: &[FeedSpec]) -> Result<Vec<Feed>, StoreError> {
        let tx = self.write_transaction()?;
        let now = now_millis();
        let ids =
            specs.iter().map(|spec| insert_feed(&tx, spec, now)).collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        ids.iter().map(|id| self.feed(id)).collect()
    }

    pub fn update_feed(&mut self, id: &str, spec: &FeedSpec) -> Result<Feed, StoreError> {
        let changed = self
            .conn
            .execute(
                "UPDATE feeds SET name = ?2, name_key = ?3, url = ?4, method = ?5, body = ?6, enabled = ?7,
                     headers = ?8, auth = ?9, preset = ?10, title_template = ?11, body_template = ?12,
                     link_template = ?13, filters = ?14, resume = ?15, id_source = ?16, ca_file = ?17,
                     idle_timeout_s = ?18, muted = ?19, snooze_until = ?20, updated_at = ?21,
                     tuning = ?22
                 WHERE id = ?1 AND removed_at IS NULL",
                params![
                    id, spec.name, spec.name.to_lowercase(), spec.url, spec.method.to_string(), spec.body,
                    spec.enabled, serde_json::to_string(&spec.headers)?, spec.auth.to_string(), spec.preset.to_string(),
                    spec.title_template, spec.body_template, spec.link_template,
                    serde_json::to_string(&spec.filters)?, spec.resume.to_string(), spec.id_source.to_string(), spec.ca_file,
                    spec.idle_timeout_s, spec.muted, spec.snooze_until, now_millis(),
                    serde_json::to_string(&spec.tuning)?
                ],
            )
            .map_err(|e| map_unique(e, &spec.name))?;
        if changed == 0 {
            return Err(StoreError::UnknownFeed(id.to_owned()));
        }
        self.feed(id)
    }

    /// The feed with this id (not removed).
    pub fn feed(&self, id: &str) -> Result<Feed, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM feeds WHERE id = ?1 AND removed_at IS NULL"),
                [id],
                from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownFeed(id.to_owned()))
    }

    /// A feed by exact id, or by name (names are unique without regard to case).
    pub fn find_feed(&self, name_or_id: &str) -> Result<Feed, StoreError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM feeds WHERE removed_at IS NULL AND (id = ?1 OR name_key = ?2)
                     ORDER BY id = ?1 DESC LIMIT 1"
                ),
                params![name_or_id, name_or_id.to_lowercase()],
                from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownFeed(name_or_id.to_owned()))
    }

    /// Every feed that is not removed, by name.
    pub fn feeds(&self) -> Result<Vec<Feed>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM feeds WHERE removed_at IS NULL ORDER BY name_key"
        ))?;
        let feeds = stmt.query_map([], from_row)?.collect::<Result<_, _>>()?;
        Ok(feeds)
    }

    pub fn set_enabled(&mut self, id: &str, enabled: bool) -> Result<(), StoreError> {
        let changed = self.conn.execute(
            "UPDATE feeds SET enabled = ?2, updated_at = ?3 WHERE id = ?1 AND removed_at IS NULL",
            params![id, enabled, now_millis()],
        )?;
        if changed == 0 {
            return Err(StoreError::UnknownFeed(id.to_owned()));
        }
        Ok(())
    }

    /// Marks a feed as changed without changing its definition: its credentials changed, and
    /// the resident reconnects it.
    pub fn touch_feed(&mut self, id: &str) -> Result<(), StoreError> {
        let changed = self.conn.execute(
            "UPDATE feeds SET updated_at = max(updated_at + 1, ?2) WHERE id = ?1 AND removed_at IS NULL",
            params![id, now_millis()],
        )?;
        if changed == 0 {
            return Err(StoreError::UnknownFeed(id.to_owned()));
        }
        Ok(())
    }

    /// Removes a feed. Its history goes too, unless `keep_history`: then the feed stays only as
    /// the name its history rows point to, and the name is free for a new feed. A history that
    /// goes is deleted in batches (as `delete_history` does; one transaction for a big history
    /// held the store's write lock for seconds): the feed is switched off first, so that a
    /// resident stops reading it, and goes last, with whatever came in between. Stopped half
    /// way, the feed is still there, off, with what is left of its history: removing it again
    /// finishes.
    pub fn remove_feed(&mut self, id: &str, keep_history: bool) -> Result<(), StoreError> {
        if !keep_history {
            self.set_enabled(id, false)?;
            self.delete_batched("feed_id = ?1", &[&id])?;
            if self.conn.execute("DELETE FROM feeds WHERE id = ?1 AND removed_at IS NULL", [id])?
                == 0
            {
                return Err(StoreError::UnknownFeed(id.to_owned()));
            }
            return Ok(());
        }
        let tx = self.write_transaction()?;
        tx.execute("DELETE FROM resume_state WHERE feed_id = ?1", [id])?;
        tx.execute("DELETE FROM live_state WHERE feed_id = ?1", [id])?;
        let changed = tx.execute(
            "UPDATE feeds SET removed_at = ?2, enabled = 0 WHERE id = ?1 AND removed_at IS NULL",
            params![id, now_millis()],
        )?;
        if changed == 0 {
            return Err(StoreError::UnknownFeed(id.to_owned()));
        }
        tx.commit()?;
        Ok(())
    }
}
