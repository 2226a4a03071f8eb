-- Over-the-air updates, the cloud's side (issue 14, docs/adr/0030-releases-in-the-cloud.md).
-- A release is one signed artifact for one platform; its bytes live in
-- data_dir/releases/<sha256>, the row keeps the signed manifest verbatim.
CREATE TABLE releases (
	id          text PRIMARY KEY,
	name        text NOT NULL,
	version     text NOT NULL,
	platform    text NOT NULL,
	artifact    text NOT NULL,
	size        bigint NOT NULL,
	sha256      text NOT NULL UNIQUE,
	manifest    bytea NOT NULL, -- the signed bytes, verbatim
	signature   bytea NOT NULL,
	key_id      text NOT NULL,
	uploaded_by text NOT NULL DEFAULT '',
	uploaded_at timestamptz NOT NULL,
	UNIQUE (name, platform)
);

-- One update of one gateway: the ota command that started it (its id is
-- the update's) and its latest reported state.
CREATE TABLE gateway_updates (
	command_id   text PRIMARY KEY,
	gw           text NOT NULL,
	site         text NOT NULL DEFAULT '',
	release_id   text, -- NULL: an update the cloud did not start (known from its events only)
	release_name text NOT NULL DEFAULT '',
	rollout_id   text,
	state        text NOT NULL, -- queued, then the eldergate.Update* states
	code         text NOT NULL DEFAULT '',
	reason       text NOT NULL DEFAULT '',
	bytes        bigint NOT NULL DEFAULT 0,
	size         bigint NOT NULL DEFAULT 0,
	from_version text NOT NULL DEFAULT '',
	to_version   text NOT NULL DEFAULT '',
	started_by   text NOT NULL DEFAULT '',
	started_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL
);
CREATE INDEX gateway_updates_gw ON gateway_updates (gw, started_at);
CREATE INDEX gateway_updates_rollout ON gateway_updates (rollout_id);
-- At most one update of a gateway is not finished.
CREATE UNIQUE INDEX gateway_updates_running ON gateway_updates (gw)
	WHERE state NOT IN ('committed', 'rolled_back', 'failed');

-- Every reported step of an update, once: the update event (or the
-- failed ota command result) it came from is its key.
CREATE TABLE gateway_update_steps (
	event_id   text PRIMARY KEY,
	command_id text NOT NULL REFERENCES gateway_updates (command_id),
	state      text NOT NULL,
	code       text NOT NULL DEFAULT '',
	reason     text NOT NULL DEFAULT '',
	bytes      bigint NOT NULL DEFAULT 0,
	size       bigint NOT NULL DEFAULT 0,
	at         timestamptz NOT NULL,
	received_at timestamptz NOT NULL
);
CREATE INDEX gateway_update_steps_cmd ON gateway_update_steps (command_id, at);

-- What each gateway says it was built for (its birth's platform).
ALTER TABLE gateways ADD COLUMN platform text NOT NULL DEFAULT '';
