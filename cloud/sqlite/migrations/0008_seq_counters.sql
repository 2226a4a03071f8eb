-- Sequence tracking as counters on the gateway row, maintained by the
-- ingest transaction, instead of a count over the gateway's whole event
-- history on every read (issue 5; docs/PERFORMANCE.md). seq is unique per
-- gateway, so the count of stored events is the count of distinct seqs.
ALTER TABLE gateways ADD COLUMN seq_min INTEGER;
ALTER TABLE gateways ADD COLUMN seq_max INTEGER;
ALTER TABLE gateways ADD COLUMN seq_count INTEGER NOT NULL DEFAULT 0;
UPDATE gateways SET
	seq_min = (SELECT min(seq) FROM events WHERE events.gw = gateways.id),
	seq_max = (SELECT max(seq) FROM events WHERE events.gw = gateways.id),
	seq_count = (SELECT count(DISTINCT seq) FROM events WHERE events.gw = gateways.id);
-- Only the count above read it.
DROP INDEX events_gw_seq;
