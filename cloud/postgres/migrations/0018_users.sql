-- People who sign in to the console (issue 13, docs/console.md "People",
-- ADR 0022): the password as its argon2id PHC string, the role bound to an
-- org unit (scope; '' = everything, admins only), the lockout state. The
-- sessions: the cookie's random id stored as its SHA-256 (hex).
CREATE TABLE users (
	id                   text PRIMARY KEY,
	login                text NOT NULL UNIQUE,
	name                 text NOT NULL,
	role                 text NOT NULL CHECK (role IN ('viewer', 'staff', 'operator', 'admin', 'auditor')),
	scope                text NOT NULL DEFAULT '',
	password_hash        text NOT NULL,
	failed_attempts      integer NOT NULL DEFAULT 0,
	locked_until         timestamptz,
	must_change_password boolean NOT NULL DEFAULT false,
	disabled             boolean NOT NULL DEFAULT false,
	created_at           timestamptz NOT NULL,
	updated_at           timestamptz NOT NULL
);

CREATE TABLE sessions (
	id_hash      text PRIMARY KEY,
	user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf         text NOT NULL,
	created_at           timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL,
	expires_at           timestamptz NOT NULL,
	remote_addr  text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens may have the auditor role too (domain.RoleAuditor).
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('viewer', 'staff', 'operator', 'admin', 'auditor'));
