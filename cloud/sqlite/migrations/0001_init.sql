-- Gateways known to the cloud: seeded from the configuration (with their
-- hashed broker secret) or first seen through an external broker.
CREATE TABLE gateways (
	id            TEXT PRIMARY KEY,
	site          TEXT NOT NULL DEFAULT '',
	secret_hash   TEXT NOT NULL DEFAULT '',
	online        INTEGER NOT NULL DEFAULT 0,
	boot          INTEGER NOT NULL DEFAULT 0,
	version       TEXT NOT NULL DEFAULT '',
	state_at      TEXT,
	last_event_at TEXT,
	created_at    TEXT NOT NULL
);

-- Every event ever committed, once (insert-if-absent on id).
CREATE TABLE events (
	id          TEXT PRIMARY KEY,
	gw          TEXT NOT NULL,
	kind        TEXT NOT NULL,
	site        TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	boot        INTEGER NOT NULL,
	at          TEXT NOT NULL,
	clock       TEXT NOT NULL,
	data        TEXT NOT NULL,
	received_at TEXT NOT NULL
);
CREATE INDEX events_gw_boot_seq ON events (gw, boot, seq);

-- Meals, one per meal event. Money in integer fen.
CREATE TABLE meals (
	event_id       TEXT PRIMARY KEY REFERENCES events (id),
	gw             TEXT NOT NULL,
	site           TEXT NOT NULL,
	elder_id       TEXT NOT NULL,
	window         TEXT NOT NULL,
	day            TEXT NOT NULL,
	decision       TEXT NOT NULL,
	reason         TEXT NOT NULL DEFAULT '',
	price_fen      INTEGER NOT NULL,
	subsidy_fen    INTEGER NOT NULL,
	pay_fen        INTEGER NOT NULL,
	weight_g       INTEGER NOT NULL DEFAULT 0,
	policy_version TEXT NOT NULL DEFAULT '',
	at             TEXT NOT NULL,
	received_at    TEXT NOT NULL,
	CHECK (subsidy_fen <= price_fen AND price_fen >= 0 AND subsidy_fen >= 0 AND pay_fen >= 0)
);
CREATE INDEX meals_at ON meals (at);
CREATE INDEX meals_elder_day ON meals (elder_id, day);

-- Alerts; the id is the id of the event that opened it.
CREATE TABLE alerts (
	id          TEXT PRIMARY KEY REFERENCES events (id),
	gw          TEXT NOT NULL,
	site        TEXT NOT NULL,
	button      TEXT NOT NULL DEFAULT '',
	type        TEXT NOT NULL DEFAULT '',
	place       TEXT NOT NULL DEFAULT '',
	state       TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'false_alarm', 'resolved')),
	presses     INTEGER NOT NULL DEFAULT 1,
	opened_at   TEXT NOT NULL,
	last_at     TEXT NOT NULL,
	acked_at    TEXT,
	acked_by    TEXT NOT NULL DEFAULT '',
	closed_at   TEXT,
	closed_by   TEXT NOT NULL DEFAULT '',
	gw_alert_id TEXT NOT NULL
);
CREATE INDEX alerts_gw_button_state ON alerts (gw, button, state);
CREATE INDEX alerts_opened_at ON alerts (opened_at);

-- The gateway's alert ids that map onto a cloud alert (merged presses).
CREATE TABLE alert_refs (
	gw          TEXT NOT NULL,
	gw_alert_id TEXT NOT NULL,
	alert_id    TEXT NOT NULL REFERENCES alerts (id),
	PRIMARY KEY (gw, gw_alert_id)
);

-- Dead letters: payloads and events the ingester refused.
CREATE TABLE rejections (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	gw             TEXT NOT NULL,
	event_id       TEXT NOT NULL DEFAULT '',
	reason         TEXT NOT NULL,
	payload_prefix BLOB,
	at             TEXT NOT NULL
);
