-- Operations (issue 4): clock floor, voided meals, retention indexes.
-- Highest time seen (unix ms): decisions never go below it after the
-- clock jumps backwards.
INSERT OR IGNORE INTO meta (key, value) VALUES ('clock_floor_ms', 0);

-- A meal voided by staff keeps its row; voided_by is the id of the audit
-- event that voided it. Voided meals count for no limit.
ALTER TABLE meals ADD COLUMN voided_by TEXT;
ALTER TABLE meals ADD COLUMN voided_at TEXT;

-- Retention finds delivered rows by age; heartbeats are replaced while
-- undelivered.
CREATE INDEX outbox_delivered ON outbox (created_at) WHERE delivered_at IS NOT NULL;
CREATE INDEX outbox_undelivered_kind ON outbox (kind) WHERE delivered_at IS NULL AND rejected_at IS NULL;
CREATE INDEX meals_day ON meals (day);
