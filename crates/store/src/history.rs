//! Reading and changing history: newest-first pages (keyset, so page 1000 costs what page 1
//! does), full-text search with highlighted snippets, read flags, deletes, retention, exports.

use rusqlite::{OptionalExtension, Row, params, params_from_iter, types::Value};

use crate::{Millis, Store, StoreError};

/// Marks around a search match in [`Entry::snippet`]: private-use characters, which no event
/// contains by accident, so a UI can split on them and render everything as plain text.
pub const HIGHLIGHT_START: char = '\u{E000}';
pub const HIGHLIGHT_END: char = '\u{E001}';

/// How many entries one transaction of [`Store::delete_batched`] deletes at most: about 80 ms
/// of the store's write lock with their search index, where the resident waits up to 5 s.
pub(crate) const DELETE_BATCH: usize = 10_000;

/// How many bytes of text (the entries' sizes) one such transaction deletes at most, beyond its
/// first entry: the search index makes a delete cost by the text as much as by the entry (20 KB
/// entries took about 0.7 ms each, 200-byte ones 7 us), so about 150 ms of the lock.
pub(crate) const DELETE_BATCH_BYTES: i64 = 4 * 1024 * 1024;

/// The pause between two such transactions: 0.5 s on a million entries.
const BATCH_GAP: std::time::Duration = std::time::Duration::from_millis(5);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub id: i64,
    pub feed: String,
    pub feed_id: String,
    pub event_id: Option<String>,
    #[serde(rename = "type")]
    pub event_type: String,
    pub data: String,
    pub title: String,
    pub body: String,
    pub link: Option<String>,
    pub priority: Option<u8>,
    pub received_at: Millis,
    pub read: bool,
    /// With a search: the best matching passage, matches between the highlight marks.
    pub snippet: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub feed_id: Option<String>,
    /// Words to find (each must appear; the last may be the start of a word).
    pub search: Option<String>,
    pub unread_only: bool,
    /// Keyset pagination: only entries older than this id.
    pub before_id: Option<i64>,
    pub limit: usize,
}

/// What a read/unread change or a delete applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    One(i64),
    Feed(String),
    All,
}

const ENTRY: &str = "h.id, f.name, h.feed_id, h.event_id, h.type, h.data, h.title, h.body, h.link, \
    h.priority, h.received_at, h.read";

fn from_row(row: &Row<'_>, with_snippet: bool) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: row.get(0)?,
        feed: row.get(1)?,
        feed_id: row.get(2)?,
        event_id: row.get(3)?,
        event_type: row.get(4)?,
        data: row.get(5)?,
        title: row.get(6)?,
        body: row.get(7)?,
        link: row.get(8)?,
        priority: row.get(9)?,
        received_at: row.get(10)?,
        read: row.get(11)?,
        snippet: if with_snippet { row.get(12)? } else { None },
    })
}

/// Turns what a person typed into an FTS5 query that cannot be a syntax error: each word
/// becomes a quoted phrase (quotes doubled), the last one a prefix.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> =
        text.split_whitespace().map(|w| format!("\"{}\"", w.replace('"', "\"\""))).collect();
    let (last, rest) = words.split_last()?;
    let mut query = rest.join(" ");
    if !query.is_empty() {
        query.push(' ');
    }
    query.push_str(last);
    query.push('*');
    Some(query)
}

impl Store {
    /// Adds every stored row above the watermark to the full-text index, in one statement;
    /// returns how many. Searches call it first; the resident calls it after bursts.
    pub fn index_pending(&self) -> Result<usize, StoreError> {
        // IMMEDIATE: hold the write lock from the start, so the watermark matches what was read.
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let upto: i64 = tx.query_row("SELECT indexed_upto FROM fts_state", [], |r| r.get(0))?;
        let added = tx.execute(
            // The same prefix as the delete trigger of migration 005 removes.
            "INSERT INTO history_fts(rowid, title, body, data)
             SELECT id, title, body, substr(data, 1, 65536) FROM history WHERE id > ?1 ORDER BY id",
            [upto],
        )?;
        if added > 0 {
            tx.execute("UPDATE fts_state SET indexed_upto = (SELECT max(id) FROM history)", [])?;
        }
        tx.commit()?;
        Ok(added)
    }

    pub fn history(&self, query: &HistoryQuery) -> Result<Vec<Entry>, StoreError> {
        let limit = query.limit.clamp(1, 10_000) as i64;
        let search = query.search.as_deref().and_then(fts_query);
        if search.is_some() {
            self.index_pending()?;
        }
        let mut args: Vec<Value> = Vec::new();
        let mut filters = String::new();
        if let Some(feed) = &query.feed_id {
            args.push(feed.clone().into());
            filters.push_str(&format!(" AND h.feed_id = ?{}", args.len()));
        }
        if query.unread_only {
            filters.push_str(" AND h.read = 0");
        }
        if let Some(before) = query.before_id {
            args.push(before.into());
            filters.push_str(&format!(" AND h.id < ?{}", args.len()));
        }
        let sql = match &search {
            Some(fts) => {
                args.push(fts.clone().into());
                let m = args.len();
                // Driven from the index in descending rowid order, so LIMIT stops the scan early.
                format!(
                    "SELECT {ENTRY}, snippet(history_fts, -1, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 16)
                     FROM history_fts JOIN history h ON h.id = history_fts.rowid JOIN feeds f ON f.id = h.feed_id
                     WHERE history_fts MATCH ?{m}{filters} ORDER BY history_fts.rowid DESC LIMIT {limit}"
                )
            }
            None => format!(
                "SELECT {ENTRY} FROM history h JOIN feeds f ON f.id = h.feed_id
                 WHERE 1 = 1{filters} ORDER BY h.id DESC LIMIT {limit}"
            ),
        };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let with_snippet = search.is_some();
        let entries = stmt
            .query_map(params_from_iter(args), |row| from_row(row, with_snippet))?
            .collect::<Result<_, _>>()?;
        Ok(entries)
    }

    pub fn entry(&self, id: i64) -> Result<Option<Entry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ENTRY} FROM history h JOIN feeds f ON f.id = h.feed_id WHERE h.id = ?1"
        ))?;
        let mut rows = stmt.query_map([id], |row| from_row(row, false))?;
        Ok(rows.next().transpose()?)
    }

    /// The own ids of a feed's newest `limit` stored events, newest first: what a replaying
    /// server would send again.
    pub fn recent_event_ids(&self, feed_id: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT event_id FROM history WHERE feed_id = ?1 AND event_id IS NOT NULL
             ORDER BY id DESC LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let ids = stmt.query_map(rusqlite::params![feed_id, limit], |r| r.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// Unread entries per feed id.
    pub fn unread_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT feed_id, count(*) FROM history WHERE read = 0 GROUP BY feed_id",
        )?;
        let counts =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok(counts)
    }

    /// Sets the read flag; returns how many entries changed.
    pub fn set_read(&mut self, scope: &Scope, read: bool) -> Result<usize, StoreError> {
        let changed = match scope {
            Scope::One(id) => self
                .conn
                .execute("UPDATE history SET read = ?2 WHERE id = ?1", params![id, read])?,
            Scope::Feed(feed) => self.conn.execute(
                "UPDATE history SET read = ?2 WHERE feed_id = ?1 AND read <> ?2",
                params![feed, read],
            )?,
            Scope::All => {
                self.conn.execute("UPDATE history SET read = ?1 WHERE read <> ?1", [read])?
            }
        };
        Ok(changed)
    }

    /// Deletes entries; returns how many went. Many go in batches (see [`Store::delete_batched`]);
    /// stopped half way, what is left is simply deleted by the next try.
    pub fn delete_history(&mut self, scope: &Scope) -> Result<usize, StoreError> {
        match scope {
            Scope::One(id) => Ok(self.conn.execute("DELETE FROM history WHERE id = ?1", [id])?),
            Scope::Feed(feed) => self.delete_batched("feed_id = ?1", &[feed]),
            Scope::All => self.delete_batched("1", &[]),
        }
    }

    /// Deletes the entries `filter` selects (an SQL condition on history's columns, with
    /// `params` as ?1, ?2 ...) that exist when it starts, in transactions of at most
    /// [`DELETE_BATCH`] entries and [`DELETE_BATCH_BYTES`] of their text each, so that no delete
    /// holds the store's write lock for long: a million entries with their search index took
    /// 7.7 s in one transaction, and 6,771 entries of 20 KB as long in 10,000-entry batches,
    /// longer than the resident waits for the store (its events then could not be stored, and
    /// the tray said so). Each batch is read first (a read never waits for a writer), then its
    /// entries are deleted by id. Entries stored while it runs stay: a delete of everything
    /// took the events a resident stored meanwhile, after it had notified them.
    pub(crate) fn delete_batched(
        &mut self,
        filter: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<usize, StoreError> {
        let last: Option<i64> =
            self.conn.query_row("SELECT max(id) FROM history", [], |r| r.get(0))?;
        let Some(last) = last else { return Ok(0) };
        let select = format!(
            "SELECT id, size FROM history WHERE ({filter}) AND id <= ?{} LIMIT {DELETE_BATCH}",
            params.len() + 1
        );
        let mut bound = params.to_vec();
        bound.push(&last);
        let mut deleted = 0;
        loop {
            let rows: Vec<(i64, i64)> = self
                .conn
                .prepare_cached(&select)?
                .query_map(&bound[..], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let mut bytes = 0i64;
            let batch: Vec<i64> = rows
                .iter()
                .take_while(|(_, size)| {
                    let first = bytes == 0;
                    bytes = bytes.saturating_add((*size).max(1));
                    first || bytes <= DELETE_BATCH_BYTES
                })
                .map(|(id, _)| *id)
                .collect();
            if batch.is_empty() {
                return Ok(deleted);
            }
            let ids = serde_json::to_string(&batch)?;
            // One statement outside a transaction takes the write lock at its start (as BEGIN
            // IMMEDIATE would) and commits at its end.
            deleted += self
                .conn
                .prepare_cached(
                    "DELETE FROM history WHERE id IN (SELECT value FROM json_each(?1))",
                )?
                .execute([ids])?;
            if batch.len() == rows.len() && rows.len() < DELETE_BATCH {
                return Ok(deleted);
            }
            // A gap between two batches that a waiting writer (which tries every 2 ms) gets in.
            std::thread::sleep(BATCH_GAP);
        }
    }

    /// Deletes what retention says: entries older than `older_than`, and per feed all but the
    /// newest `per_feed` entries and whatever does not fit in `per_feed_bytes` (the newest entry
    /// always stays, however large). Returns how many entries went. What goes is found by
    /// reads, which never wait for a writer, and deleted in batches: the first pass over a big
    /// history kept the resident from storing events and connecting its feeds for seconds.
    pub fn apply_retention(
        &mut self,
        per_feed: Option<u32>,
        per_feed_bytes: Option<u64>,
        older_than: Option<Millis>,
    ) -> Result<usize, StoreError> {
        let mut deleted = 0;
        if let Some(cutoff) = older_than {
            deleted += self.delete_batched("received_at < ?1", &[&cutoff])?;
        }
        if per_feed.is_none() && per_feed_bytes.is_none() {
            return Ok(deleted);
        }
        let feeds: Vec<String> = self
            .conn
            .prepare("SELECT id FROM feeds")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let budget = per_feed_bytes.map(|b| i64::try_from(b).unwrap_or(i64::MAX));
        for feed in feeds {
            let by_count: Option<i64> = match per_feed {
                Some(keep) => self
                    .conn
                    .prepare_cached(
                        "SELECT id FROM history WHERE feed_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
                    )?
                    .query_row(params![feed, keep], |r| r.get(0))
                    .optional()?,
                None => None,
            };
            // The newest entry whose running total (newest first) passes the budget, and
            // everything older, goes; never the newest entry of all.
            let by_size: Option<i64> = match budget {
                Some(budget) => self
                    .conn
                    .prepare_cached(
                        "SELECT id FROM (
                             SELECT id, sum(size) OVER (ORDER BY id DESC) AS total
                             FROM history WHERE feed_id = ?1)
                         WHERE total > ?2 AND id < (SELECT max(id) FROM history WHERE feed_id = ?1)
                         ORDER BY id DESC LIMIT 1",
                    )?
                    .query_row(params![feed, budget], |r| r.get(0))
                    .optional()?,
                None => None,
            };
            if let Some(last) = by_count.max(by_size) {
                deleted += self.delete_batched("feed_id = ?1 AND id <= ?2", &[&feed, &last])?;
            }
        }
        Ok(deleted)
    }

    /// Calls `each` for every entry, oldest first (for exports), without loading them all.
    pub fn for_each_entry(
        &self,
        mut each: impl FnMut(&Entry) -> std::io::Result<()>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {ENTRY} FROM history h JOIN feeds f ON f.id = h.feed_id ORDER BY h.id"
        ))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let entry = from_row(row, false)?;
            each(&entry).map_err(|e| StoreError::Invalid {
                what: "export output",
                detail: e.to_string(),
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_text_becomes_a_safe_fts_query() {
        assert_eq!(fts_query("deploy fail").as_deref(), Some("\"deploy\" \"fail\"*"));
        assert_eq!(fts_query("a\"b OR").as_deref(), Some("\"a\"\"b\" \"OR\"*"));
        assert_eq!(fts_query("   "), None);
    }
}
