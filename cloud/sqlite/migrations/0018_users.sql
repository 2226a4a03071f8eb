-- People who sign in to the console (issue 13, docs/console.md "People",
-- ADR 0022): the password as its argon2id PHC string, the role bound to an
-- org unit (scope; '' = everything, admins only), the lockout state. The
-- sessions: the cookie's random id stored as its SHA-256 (hex).
CREATE TABLE users (
	id                   TEXT PRIMARY KEY,
	login                TEXT NOT NULL UNIQUE,
	name                 TEXT NOT NULL,
	role                 TEXT NOT NULL CHECK (role IN ('viewer', 'staff', 'operator', 'admin', 'auditor')),
	scope                TEXT NOT NULL DEFAULT '',
	password_hash        TEXT NOT NULL,
	failed_attempts      INTEGER NOT NULL DEFAULT 0,
	locked_until         TEXT,
	must_change_password INTEGER NOT NULL DEFAULT 0,
	disabled             INTEGER NOT NULL DEFAULT 0,
	created_at           TEXT NOT NULL,
	updated_at           TEXT NOT NULL
);

CREATE TABLE sessions (
	id_hash      TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf         TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at   TEXT NOT NULL,
	remote_addr  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens may have the auditor role too (domain.RoleAuditor): SQLite
-- changes a CHECK by rebuilding the table (nothing references it).
CREATE TABLE api_tokens_0018 (
	id           TEXT PRIMARY KEY,
	name         TEXT NOT NULL,
	token_hash   TEXT NOT NULL UNIQUE,
	role         TEXT NOT NULL CHECK (role IN ('viewer', 'staff', 'operator', 'admin', 'auditor')),
	scope        TEXT NOT NULL DEFAULT '',
	created_at   TEXT NOT NULL,
	expires_at   TEXT,
	revoked_at   TEXT,
	last_used_at TEXT
);
INSERT INTO api_tokens_0018 (id, name, token_hash, role, scope, created_at, expires_at, revoked_at, last_used_at)
	SELECT id, name, token_hash, role, scope, created_at, expires_at, revoked_at, last_used_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_0018 RENAME TO api_tokens;
