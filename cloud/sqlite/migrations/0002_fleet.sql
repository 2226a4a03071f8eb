-- Sequence tracking per gateway (seq is a per-gateway counter across boots)
-- and the clock skew seen on the last batch.
CREATE INDEX events_gw_seq ON events (gw, seq);
ALTER TABLE gateways ADD COLUMN clock_skew_ms INTEGER;
