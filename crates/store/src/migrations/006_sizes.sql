-- Each row's size in bytes (data, title and body), so that retention can keep a feed within a
-- byte budget without reading every event's data once an hour.
ALTER TABLE history ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
UPDATE history SET size = length(CAST(data AS BLOB)) + length(CAST(title AS BLOB))
                        + length(CAST(body AS BLOB));
-- Per-feed sums read only this index, never the rows (whose data may be megabytes each).
CREATE INDEX history_size ON history(feed_id, id, size);
