-- Command queue: commands to gateways with expiry and results.
CREATE TABLE commands (
	id         text PRIMARY KEY,
	gw         text NOT NULL,
	type       text NOT NULL,
	body       text,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	sent_at    timestamptz,
	result_at  timestamptz,
	ok         boolean,
	error      text NOT NULL DEFAULT '',
	result     text
);
CREATE INDEX commands_gw ON commands (gw, created_at);
