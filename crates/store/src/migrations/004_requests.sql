-- Requests that only the resident can carry out (reconnect a feed now), written by the windows
-- and the command line from their own processes. Each one moves config_version, so the resident
-- sees it at its next look (within half a second) and deletes it once done.
CREATE TABLE requests (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id    TEXT REFERENCES feeds(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TRIGGER requests_changed_insert AFTER INSERT ON requests
    BEGIN UPDATE config_version SET version = version + 1; END;
