-- Performance (issue 4): NextDue (SELECT MIN(next_attempt_at) over the
-- undelivered rows) ran on every turn of the uplink loop as a scan of the
-- whole backlog, so draining n events cost O(n^2) on the one writer.
CREATE INDEX outbox_due ON outbox (next_attempt_at)
	WHERE delivered_at IS NULL AND rejected_at IS NULL;
