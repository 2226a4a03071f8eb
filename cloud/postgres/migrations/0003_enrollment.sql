-- Provisioning: one-time enrollment tokens (stored as SHA-256 of the
-- high-entropy token) and gateway revocation.
ALTER TABLE gateways ADD COLUMN revoked_at timestamptz;
CREATE TABLE enrollment_tokens (
	token_hash text PRIMARY KEY,
	gw         text NOT NULL REFERENCES gateways (id),
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at    timestamptz
);
CREATE INDEX enrollment_tokens_gw ON enrollment_tokens (gw);
