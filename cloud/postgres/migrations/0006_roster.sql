-- Roster and policy management: the elders of each site with a version
-- per change (removed elders stay as tombstones so that a delta from any
-- earlier version can be built), what each gateway was sent and
-- confirmed, and versioned policies assigned to sites.
CREATE TABLE roster_sites (
	site       text PRIMARY KEY,
	version    bigint NOT NULL,
	updated_at timestamptz NOT NULL
);
CREATE TABLE roster_elders (
	site     text NOT NULL,
	elder_id text NOT NULL,
	data     text NOT NULL,              -- eldergate.RosterElder JSON; '' once removed
	version  bigint NOT NULL,           -- the site version that last changed the row
	removed  boolean NOT NULL DEFAULT false,
	PRIMARY KEY (site, elder_id)
);
CREATE INDEX roster_elders_version ON roster_elders (site, version);
CREATE TABLE roster_gateways (
	gw           text PRIMARY KEY,
	queued       bigint NOT NULL DEFAULT 0,
	confirmed    bigint NOT NULL DEFAULT 0,
	confirmed_at timestamptz
);
CREATE TABLE roster_commands (
	id         text PRIMARY KEY,
	gw         text NOT NULL,
	version    bigint NOT NULL,
	created_at timestamptz NOT NULL,
	handled    boolean NOT NULL DEFAULT false -- its result was followed up
);
CREATE TABLE policies (
	version    text PRIMARY KEY,
	name       text NOT NULL DEFAULT '',
	body       text NOT NULL,
	sha256     text NOT NULL,
	created_at timestamptz NOT NULL,
	created_by text NOT NULL
);
CREATE TABLE site_policies (
	site        text PRIMARY KEY,
	version     text NOT NULL REFERENCES policies (version),
	assigned_at timestamptz NOT NULL
);
