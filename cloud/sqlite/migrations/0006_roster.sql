-- Roster and policy management: the elders of each site with a version
-- per change (removed elders stay as tombstones so that a delta from any
-- earlier version can be built), what each gateway was sent and
-- confirmed, and versioned policies assigned to sites.
CREATE TABLE roster_sites (
	site       TEXT PRIMARY KEY,
	version    INTEGER NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE TABLE roster_elders (
	site     TEXT NOT NULL,
	elder_id TEXT NOT NULL,
	data     TEXT NOT NULL,              -- eldergate.RosterElder JSON; '' once removed
	version  INTEGER NOT NULL,           -- the site version that last changed the row
	removed  INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (site, elder_id)
);
CREATE INDEX roster_elders_version ON roster_elders (site, version);
CREATE TABLE roster_gateways (
	gw           TEXT PRIMARY KEY,
	queued       INTEGER NOT NULL DEFAULT 0,
	confirmed    INTEGER NOT NULL DEFAULT 0,
	confirmed_at TEXT
);
CREATE TABLE roster_commands (
	id         TEXT PRIMARY KEY,
	gw         TEXT NOT NULL,
	version    INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	handled    INTEGER NOT NULL DEFAULT 0 -- its result was followed up
);
CREATE TABLE policies (
	version    TEXT PRIMARY KEY,
	name       TEXT NOT NULL DEFAULT '',
	body       TEXT NOT NULL,
	sha256     TEXT NOT NULL,
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL
);
CREATE TABLE site_policies (
	site        TEXT PRIMARY KEY,
	version     TEXT NOT NULL REFERENCES policies (version),
	assigned_at TEXT NOT NULL
);
