-- Desired versus reported configuration per gateway.
CREATE TABLE desired_configs (
	gw           TEXT NOT NULL,
	version      INTEGER NOT NULL,
	sha256       TEXT NOT NULL,
	body         TEXT NOT NULL,
	set_by       TEXT NOT NULL,
	set_at       TEXT NOT NULL,
	command_id   TEXT NOT NULL,
	result_ok    INTEGER,
	result_error TEXT NOT NULL DEFAULT '',
	result_at    TEXT,
	PRIMARY KEY (gw, version)
);
CREATE UNIQUE INDEX desired_configs_command ON desired_configs (command_id);

-- What each gateway last reported it runs (its births; a config result
-- confirms the desired checksum before the next birth).
CREATE TABLE gateway_reported (
	gw             TEXT PRIMARY KEY,
	boot           INTEGER NOT NULL,
	config_sha256  TEXT NOT NULL DEFAULT '',
	policy_version TEXT NOT NULL DEFAULT '',
	roster_version INTEGER NOT NULL DEFAULT 0,
	at             TEXT NOT NULL,
	source         TEXT NOT NULL
);
