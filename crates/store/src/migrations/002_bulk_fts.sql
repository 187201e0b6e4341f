-- Full-text indexing leaves the per-row trigger: rows are indexed in bulk after they are stored
-- (about 5x faster), up to a watermark. Every search first indexes what is pending, so results
-- are always complete. History rows never change their text, so indexing later is exact.
DROP TRIGGER history_fts_insert;
DROP TRIGGER history_fts_delete;

-- Row ids must never be reused (a reused id at or below the watermark would never be indexed):
-- the table is rebuilt with AUTOINCREMENT, keeping every row id, so the index stays valid.
CREATE TABLE history_v2 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id     TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    event_id    TEXT,
    type        TEXT NOT NULL,
    data        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    link        TEXT,
    priority    INTEGER,
    received_at INTEGER NOT NULL,
    read        INTEGER NOT NULL DEFAULT 0
);
INSERT INTO history_v2 (id, feed_id, event_id, type, data, title, body, link, priority, received_at, read)
    SELECT id, feed_id, event_id, type, data, title, body, link, priority, received_at, read FROM history;
DROP TABLE history;
ALTER TABLE history_v2 RENAME TO history;
CREATE UNIQUE INDEX history_event ON history(feed_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX history_feed ON history(feed_id, id);
CREATE INDEX history_unread ON history(feed_id, id) WHERE read = 0;
CREATE INDEX history_received ON history(received_at);

CREATE TABLE fts_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_upto INTEGER NOT NULL
);
INSERT INTO fts_state (id, indexed_upto) SELECT 1, coalesce(max(id), 0) FROM history;

-- Only rows that were indexed may be removed from the index.
CREATE TRIGGER history_fts_delete AFTER DELETE ON history
WHEN old.id <= (SELECT indexed_upto FROM fts_state)
BEGIN
    INSERT INTO history_fts(history_fts, rowid, title, body, data)
        VALUES ('delete', old.id, old.title, old.body, old.data);
END;
