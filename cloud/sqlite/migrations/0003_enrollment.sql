-- Provisioning: one-time enrollment tokens (stored as SHA-256 of the
-- high-entropy token) and gateway revocation.
ALTER TABLE gateways ADD COLUMN revoked_at TEXT;
CREATE TABLE enrollment_tokens (
	token_hash TEXT PRIMARY KEY,
	gw         TEXT NOT NULL REFERENCES gateways (id),
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_at    TEXT
);
CREATE INDEX enrollment_tokens_gw ON enrollment_tokens (gw);
