-- Desired versus reported configuration per gateway.
CREATE TABLE desired_configs (
	gw           text NOT NULL,
	version      bigint NOT NULL,
	sha256       text NOT NULL,
	body         text NOT NULL,
	set_by       text NOT NULL,
	set_at       timestamptz NOT NULL,
	command_id   text NOT NULL,
	result_ok    boolean,
	result_error text NOT NULL DEFAULT '',
	result_at    timestamptz,
	PRIMARY KEY (gw, version)
);
CREATE UNIQUE INDEX desired_configs_command ON desired_configs (command_id);

-- What each gateway last reported it runs (its births; a config result
-- confirms the desired checksum before the next birth).
CREATE TABLE gateway_reported (
	gw             text PRIMARY KEY,
	boot           bigint NOT NULL,
	config_sha256  text NOT NULL DEFAULT '',
	policy_version text NOT NULL DEFAULT '',
	roster_version bigint NOT NULL DEFAULT 0,
	at             timestamptz NOT NULL,
	source         text NOT NULL
);
