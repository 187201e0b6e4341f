-- history_size (feed_id, id, size) answers every query history_feed (feed_id, id) did, as a
-- covering index too; the second copy only cost a page more to write for every event stored.
-- Databases made before migration 006 gained history_size (it was added to that migration
-- later) are at this version without it: it is made here before the other goes.
CREATE INDEX IF NOT EXISTS history_size ON history(feed_id, id, size);
DROP INDEX IF EXISTS history_feed;
