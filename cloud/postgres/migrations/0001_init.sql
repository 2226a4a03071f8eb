-- PostgreSQL schema of the cloud store; the same tables as cloud/sqlite,
-- with timestamptz (always written in UTC) and bigint fen.

-- Gateways known to the cloud: seeded from the configuration (with their
-- hashed broker secret) or first seen through an external broker.
CREATE TABLE gateways (
	id            text PRIMARY KEY,
	site          text NOT NULL DEFAULT '',
	secret_hash   text NOT NULL DEFAULT '',
	online        boolean NOT NULL DEFAULT false,
	boot          bigint NOT NULL DEFAULT 0,
	version       text NOT NULL DEFAULT '',
	state_at      timestamptz,
	last_event_at timestamptz,
	created_at    timestamptz NOT NULL
);

-- Every event ever committed, once (insert-if-absent on id).
CREATE TABLE events (
	id          text PRIMARY KEY,
	gw          text NOT NULL,
	kind        text NOT NULL,
	site        text NOT NULL,
	seq         bigint NOT NULL,
	boot        bigint NOT NULL,
	at          timestamptz NOT NULL,
	clock       text NOT NULL,
	data        text NOT NULL,
	received_at timestamptz NOT NULL
);
CREATE INDEX events_gw_boot_seq ON events (gw, boot, seq);

-- Meals, one per meal event. Money in integer fen.
CREATE TABLE meals (
	event_id       text PRIMARY KEY REFERENCES events (id),
	gw             text NOT NULL,
	site           text NOT NULL,
	elder_id       text NOT NULL,
	"window"       text NOT NULL,
	day            text NOT NULL,
	decision       text NOT NULL,
	reason         text NOT NULL DEFAULT '',
	price_fen      bigint NOT NULL,
	subsidy_fen    bigint NOT NULL,
	pay_fen        bigint NOT NULL,
	weight_g       bigint NOT NULL DEFAULT 0,
	policy_version text NOT NULL DEFAULT '',
	at             timestamptz NOT NULL,
	received_at    timestamptz NOT NULL,
	CHECK (subsidy_fen <= price_fen AND price_fen >= 0 AND subsidy_fen >= 0 AND pay_fen >= 0)
);
CREATE INDEX meals_at ON meals (at);
CREATE INDEX meals_elder_day ON meals (elder_id, day);

-- Alerts; the id is the id of the event that opened it.
CREATE TABLE alerts (
	id          text PRIMARY KEY REFERENCES events (id),
	gw          text NOT NULL,
	site        text NOT NULL,
	button      text NOT NULL DEFAULT '',
	type        text NOT NULL DEFAULT '',
	place       text NOT NULL DEFAULT '',
	state       text NOT NULL CHECK (state IN ('open', 'acknowledged', 'false_alarm', 'resolved')),
	presses     integer NOT NULL DEFAULT 1,
	opened_at   timestamptz NOT NULL,
	last_at     timestamptz NOT NULL,
	acked_at    timestamptz,
	acked_by    text NOT NULL DEFAULT '',
	closed_at   timestamptz,
	closed_by   text NOT NULL DEFAULT '',
	gw_alert_id text NOT NULL
);
CREATE INDEX alerts_gw_button_state ON alerts (gw, button, state);
CREATE INDEX alerts_opened_at ON alerts (opened_at);

-- The gateway's alert ids that map onto a cloud alert (merged presses).
CREATE TABLE alert_refs (
	gw          text NOT NULL,
	gw_alert_id text NOT NULL,
	alert_id    text NOT NULL REFERENCES alerts (id),
	PRIMARY KEY (gw, gw_alert_id)
);

-- Dead letters: payloads and events the ingester refused.
CREATE TABLE rejections (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	gw             text NOT NULL,
	event_id       text NOT NULL DEFAULT '',
	reason         text NOT NULL,
	payload_prefix bytea,
	at             timestamptz NOT NULL
);
