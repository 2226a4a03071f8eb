-- Over-the-air updates, the cloud's side (issue 14, docs/adr/0030-releases-in-the-cloud.md).
-- A release is one signed artifact for one platform; its bytes live in
-- data_dir/releases/<sha256>, the row keeps the signed manifest verbatim.
CREATE TABLE releases (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	version     TEXT NOT NULL,
	platform    TEXT NOT NULL,
	artifact    TEXT NOT NULL,
	size        INTEGER NOT NULL,
	sha256      TEXT NOT NULL UNIQUE,
	manifest    BLOB NOT NULL, -- the signed bytes, verbatim
	signature   BLOB NOT NULL,
	key_id      TEXT NOT NULL,
	uploaded_by TEXT NOT NULL DEFAULT '',
	uploaded_at TEXT NOT NULL,
	UNIQUE (name, platform)
);

-- One update of one gateway: the ota command that started it (its id is
-- the update's) and its latest reported state.
CREATE TABLE gateway_updates (
	command_id   TEXT PRIMARY KEY,
	gw           TEXT NOT NULL,
	site         TEXT NOT NULL DEFAULT '',
	release_id   TEXT, -- NULL: an update the cloud did not start (known from its events only)
	release_name TEXT NOT NULL DEFAULT '',
	rollout_id   TEXT,
	state        TEXT NOT NULL, -- queued, then the eldergate.Update* states
	code         TEXT NOT NULL DEFAULT '',
	reason       TEXT NOT NULL DEFAULT '',
	bytes        INTEGER NOT NULL DEFAULT 0,
	size         INTEGER NOT NULL DEFAULT 0,
	from_version TEXT NOT NULL DEFAULT '',
	to_version   TEXT NOT NULL DEFAULT '',
	started_by   TEXT NOT NULL DEFAULT '',
	started_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL
);
CREATE INDEX gateway_updates_gw ON gateway_updates (gw, started_at);
CREATE INDEX gateway_updates_rollout ON gateway_updates (rollout_id);
-- At most one update of a gateway is not finished.
CREATE UNIQUE INDEX gateway_updates_running ON gateway_updates (gw)
	WHERE state NOT IN ('committed', 'rolled_back', 'failed');

-- Every reported step of an update, once: the update event (or the
-- failed ota command result) it came from is its key.
CREATE TABLE gateway_update_steps (
	event_id   TEXT PRIMARY KEY,
	command_id TEXT NOT NULL REFERENCES gateway_updates (command_id),
	state      TEXT NOT NULL,
	code       TEXT NOT NULL DEFAULT '',
	reason     TEXT NOT NULL DEFAULT '',
	bytes      INTEGER NOT NULL DEFAULT 0,
	size       INTEGER NOT NULL DEFAULT 0,
	at         TEXT NOT NULL,
	received_at TEXT NOT NULL
);
CREATE INDEX gateway_update_steps_cmd ON gateway_update_steps (command_id, at);

-- What each gateway says it was built for (its birth's platform).
ALTER TABLE gateways ADD COLUMN platform TEXT NOT NULL DEFAULT '';
