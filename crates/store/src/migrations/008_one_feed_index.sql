-- history_size (feed_id, id, size) answers every query history_feed (feed_id, id) did, as a
-- covering index too; the second copy only cost a page more to write for every event stored.
DROP INDEX history_feed;
