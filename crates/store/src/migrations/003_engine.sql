-- What the engine needs from the schema.

-- Per-feed tunables that are rarely set (coalescing, silence alert, backoff cap), as one JSON
-- document so new ones need no migration.
ALTER TABLE feeds ADD COLUMN tuning TEXT NOT NULL DEFAULT '{}';

-- A counter that moves on every change to feeds or settings. The resident polls it (after
-- PRAGMA data_version says another connection committed) to know whether its configuration
-- changed, without re-reading every feed each time an event is stored.
CREATE TABLE config_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO config_version (id, version) VALUES (1, 0);
CREATE TRIGGER feeds_changed_insert AFTER INSERT ON feeds
    BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER feeds_changed_update AFTER UPDATE ON feeds
    BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER feeds_changed_delete AFTER DELETE ON feeds
    BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER settings_changed_insert AFTER INSERT ON settings
    BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER settings_changed_update AFTER UPDATE ON settings
    BEGIN UPDATE config_version SET version = version + 1; END;
CREATE TRIGGER settings_changed_delete AFTER DELETE ON settings
    BEGIN UPDATE config_version SET version = version + 1; END;
