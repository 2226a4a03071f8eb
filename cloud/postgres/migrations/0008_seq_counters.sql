-- Sequence tracking as counters on the gateway row, maintained by the
-- ingest transaction, instead of a count over the gateway's whole event
-- history on every read (issue 5; docs/PERFORMANCE.md). seq is unique per
-- gateway, so the count of stored events is the count of distinct seqs.
ALTER TABLE gateways ADD COLUMN seq_min BIGINT;
ALTER TABLE gateways ADD COLUMN seq_max BIGINT;
ALTER TABLE gateways ADD COLUMN seq_count BIGINT NOT NULL DEFAULT 0;
UPDATE gateways g SET seq_min = q.lo, seq_max = q.hi, seq_count = q.n
	FROM (SELECT gw, min(seq) AS lo, max(seq) AS hi, count(DISTINCT seq) AS n FROM events GROUP BY gw) q
	WHERE q.gw = g.id;
-- Only the count above read it.
DROP INDEX events_gw_seq;
