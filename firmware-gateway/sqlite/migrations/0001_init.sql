-- Gateway store, first version.
CREATE TABLE meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('boot', 0), ('seq', 0);

CREATE TABLE elders (
	id       TEXT PRIMARY KEY,
	name     TEXT NOT NULL,
	card     TEXT NOT NULL UNIQUE,
	birth    TEXT NOT NULL DEFAULT '',
	category TEXT NOT NULL DEFAULT '',
	active   INTEGER NOT NULL
);

-- Every event waiting for, or having received, the cloud's application ack.
-- Rows are never deleted before they are delivered.
CREATE TABLE outbox (
	id              TEXT PRIMARY KEY,         -- event id, UUIDv7
	seq             INTEGER NOT NULL UNIQUE,  -- per-gateway counter
	priority        INTEGER NOT NULL,
	kind            TEXT NOT NULL,
	payload         TEXT NOT NULL,            -- the envelope as JSON
	created_at      TEXT NOT NULL,            -- RFC 3339 UTC
	delivered_at    TEXT,                     -- set on the cloud's ack
	rejected_at     TEXT,                     -- dead letter: the cloud refused it
	reject_reason   TEXT,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL DEFAULT 0 -- unix ms, uplink's clock
);
CREATE INDEX outbox_pending ON outbox (priority DESC, seq)
	WHERE delivered_at IS NULL AND rejected_at IS NULL;

CREATE TABLE meals (
	event_id       TEXT PRIMARY KEY REFERENCES outbox (id),
	elder_id       TEXT NOT NULL REFERENCES elders (id),
	day            TEXT NOT NULL,
	meal_window    TEXT NOT NULL,
	decision       TEXT NOT NULL,
	reason         TEXT NOT NULL,
	price_fen      INTEGER NOT NULL,
	subsidy_fen    INTEGER NOT NULL,
	pay_fen        INTEGER NOT NULL,
	weight_g       INTEGER NOT NULL DEFAULT 0,
	at             TEXT NOT NULL,
	policy_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX meals_usage ON meals (elder_id, day, meal_window);
