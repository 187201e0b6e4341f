-- Herald's first schema. Times are Unix milliseconds (UTC); JSON columns hold small documents.

CREATE TABLE feeds (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    -- Names are unique without regard to case, among feeds that are not removed.
    name_key      TEXT NOT NULL,
    url           TEXT NOT NULL,
    method        TEXT NOT NULL DEFAULT 'GET',
    body          TEXT,
    enabled       INTEGER NOT NULL DEFAULT 1,
    headers       TEXT NOT NULL DEFAULT '[]',
    auth          TEXT NOT NULL DEFAULT 'none',
    preset        TEXT NOT NULL DEFAULT 'generic',
    title_template TEXT,
    body_template  TEXT,
    link_template  TEXT,
    filters       TEXT NOT NULL DEFAULT '{}',
    resume        TEXT NOT NULL DEFAULT 'header',
    id_source     TEXT NOT NULL DEFAULT 'sse',
    ca_file       TEXT,
    idle_timeout_s INTEGER,
    muted         INTEGER NOT NULL DEFAULT 0,
    snooze_until  INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    -- A feed removed with --keep-history stays as a name for its history rows.
    removed_at    INTEGER
);
CREATE UNIQUE INDEX feeds_name ON feeds(name_key) WHERE removed_at IS NULL;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Where each feed resumes: the spec's last event id at the last accepted event.
CREATE TABLE resume_state (
    feed_id           TEXT PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
    position          TEXT NOT NULL DEFAULT '',
    last_connected_at INTEGER,
    last_event_at     INTEGER,
    accepted          INTEGER NOT NULL DEFAULT 0,
    duplicates        INTEGER NOT NULL DEFAULT 0,
    filtered          INTEGER NOT NULL DEFAULT 0
);

-- Written by the resident, read by the UI, the tray and `herald status`.
CREATE TABLE live_state (
    feed_id       TEXT PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
    state         TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    next_retry_at INTEGER,
    last_error    TEXT,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE history (
    id          INTEGER PRIMARY KEY,
    feed_id     TEXT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    -- The event's own id (never the carried-over one); NULL when its block set none.
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
CREATE UNIQUE INDEX history_event ON history(feed_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX history_feed ON history(feed_id, id);
CREATE INDEX history_unread ON history(feed_id, id) WHERE read = 0;
CREATE INDEX history_received ON history(received_at);

CREATE VIRTUAL TABLE history_fts USING fts5(
    title, body, data,
    content = 'history', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER history_fts_insert AFTER INSERT ON history BEGIN
    INSERT INTO history_fts(rowid, title, body, data) VALUES (new.id, new.title, new.body, new.data);
END;
CREATE TRIGGER history_fts_delete AFTER DELETE ON history BEGIN
    INSERT INTO history_fts(history_fts, rowid, title, body, data)
        VALUES ('delete', old.id, old.title, old.body, old.data);
END;
