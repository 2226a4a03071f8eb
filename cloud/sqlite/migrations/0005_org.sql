-- Organisation tree (district → street → community → site) and API tokens
-- with roles. path is the materialised "/district/street/community/site/"
-- of ids, so a subtree is path LIKE prefix || '%' (ids are [a-z0-9-]).
CREATE TABLE org_units (
	id         TEXT PRIMARY KEY,
	parent_id  TEXT REFERENCES org_units (id),
	level      TEXT NOT NULL CHECK (level IN ('district', 'street', 'community', 'site')),
	name       TEXT NOT NULL,
	path       TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	CHECK ((level = 'district') = (parent_id IS NULL))
);
CREATE INDEX org_units_parent ON org_units (parent_id);
CREATE INDEX gateways_site ON gateways (site);
CREATE INDEX alerts_site ON alerts (site);
CREATE INDEX meals_site ON meals (site);

-- API tokens: the secret is stored as its SHA-256 (hex); scope is an org
-- unit id or '' for everything.
CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	role         TEXT NOT NULL CHECK (role IN ('viewer', 'staff', 'operator', 'admin')),
	scope        TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	expires_at   TEXT,
	revoked_at   TEXT,
	last_used_at TEXT
);
