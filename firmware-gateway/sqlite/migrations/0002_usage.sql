-- Policy engine (issue 4): per-elder usage counters and what the policy
-- decided about each meal.
--
-- usage holds, per elder and period key (package policy, Periods), the
-- subsidised meals recorded at THIS gateway: count and subsidy. It is
-- updated in the transaction of the meal (Commit) and of its void, and is
-- independent of the meals table, so that pruning old meals never loosens
-- a monthly limit. Usage at other sites, pushed by the cloud, is kept per
-- (elder, site, day) in remote_usage (0003) and added when reading.
CREATE TABLE usage (
	elder_id    TEXT NOT NULL,
	period      TEXT NOT NULL, -- window:YYYY-MM-DD/name | day:YYYY-MM-DD | week:YYYY-Www | month:YYYY-MM
	count       INTEGER NOT NULL,
	subsidy_fen INTEGER NOT NULL,
	PRIMARY KEY (elder_id, period)
) WITHOUT ROWID;

ALTER TABLE meals ADD COLUMN rule_id TEXT NOT NULL DEFAULT '';
ALTER TABLE meals ADD COLUMN discount_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meals ADD COLUMN operating_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE meals ADD COLUMN funding TEXT NOT NULL DEFAULT ''; -- JSON list of eldergate.FundingShare
ALTER TABLE meals ADD COLUMN usage_keys TEXT NOT NULL DEFAULT ''; -- space-separated period keys the meal counted in

-- Unix ms of the last usage sync from the cloud; -1: never.
INSERT OR IGNORE INTO meta (key, value) VALUES ('usage_synced_ms', -1);

-- Meals recorded before this migration (first version: approved = one
-- subsidised meal) become counters. The ISO week is that of the Thursday
-- of the meal's week.
CREATE TEMP TABLE usage_backfill AS
	SELECT event_id, elder_id, subsidy_fen,
		'window:' || day || '/' || meal_window AS k_window,
		'day:' || day AS k_day,
		'week:' || strftime('%Y', date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days', '+3 days'))
			|| '-W' || printf('%02d', (CAST(strftime('%j', date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days', '+3 days')) AS INTEGER) - 1) / 7 + 1) AS k_week,
		'month:' || substr(day, 1, 7) AS k_month
	FROM meals WHERE decision = 'approved';
INSERT INTO usage (elder_id, period, count, subsidy_fen)
	SELECT elder_id, k, COUNT(*), SUM(subsidy_fen) FROM (
		SELECT elder_id, subsidy_fen, k_window AS k FROM usage_backfill
		UNION ALL SELECT elder_id, subsidy_fen, k_day FROM usage_backfill
		UNION ALL SELECT elder_id, subsidy_fen, k_week FROM usage_backfill
		UNION ALL SELECT elder_id, subsidy_fen, k_month FROM usage_backfill)
	GROUP BY elder_id, k;
UPDATE meals SET usage_keys = (SELECT k_window || ' ' || k_day || ' ' || k_week || ' ' || k_month FROM usage_backfill b WHERE b.event_id = meals.event_id)
	WHERE decision = 'approved';
DROP TABLE usage_backfill;
