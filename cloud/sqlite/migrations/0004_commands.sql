-- Command queue: commands to gateways with expiry and results.
CREATE TABLE commands (
	id         TEXT PRIMARY KEY,
	gw         TEXT NOT NULL,
	type       TEXT NOT NULL,
	body       TEXT,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	sent_at    TEXT,
	result_at  TEXT,
	ok         INTEGER,
	error      TEXT NOT NULL DEFAULT '',
	result     TEXT
);
CREATE INDEX commands_gw ON commands (gw, created_at);
