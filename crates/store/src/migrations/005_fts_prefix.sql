-- Search indexes an event's data up to its first 65,536 characters. Indexing all of it made
-- the index of an 8 MiB event about as large as the event itself; what a person searches for
-- is near the start. Rows indexed before this migration were indexed whole, and removing a row
-- from an external-content index needs exactly the text that was indexed: `whole_upto`
-- remembers which rows those are.
ALTER TABLE fts_state ADD COLUMN whole_upto INTEGER NOT NULL DEFAULT 0;
UPDATE fts_state SET whole_upto = indexed_upto;

DROP TRIGGER history_fts_delete;
CREATE TRIGGER history_fts_delete AFTER DELETE ON history
WHEN old.id <= (SELECT indexed_upto FROM fts_state)
BEGIN
    INSERT INTO history_fts(history_fts, rowid, title, body, data)
        VALUES ('delete', old.id, old.title, old.body,
                CASE WHEN old.id <= (SELECT whole_upto FROM fts_state)
                     THEN old.data ELSE substr(old.data, 1, 65536) END);
END;
