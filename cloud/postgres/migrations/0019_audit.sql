-- The audit log (issue 13, docs/audit.md, ADR 0023): one row per change
-- request the API answered, appended by the HTTP layer's one hook. id is
-- assigned by the store (the previous row's + 1, under the writer's lock);
-- hash = SHA-256(prev_hash || the row's canonical content)
-- (domain.AuditHash), so an edited or removed row breaks the chain.
-- before_json / after_json are JSON with secrets redacted, '' for none
-- (text, not jsonb: the hash covers the bytes as written).
CREATE TABLE audit_log (
	id          BIGINT PRIMARY KEY,
	at          TIMESTAMPTZ NOT NULL,
	actor_kind  TEXT NOT NULL DEFAULT '',
	actor_id    TEXT NOT NULL DEFAULT '',
	actor_name  TEXT NOT NULL DEFAULT '',
	role        TEXT NOT NULL DEFAULT '',
	remote      TEXT NOT NULL DEFAULT '',
	method      TEXT NOT NULL,
	route       TEXT NOT NULL,
	path        TEXT NOT NULL,
	target_type TEXT NOT NULL DEFAULT '',
	target_id   TEXT NOT NULL DEFAULT '',
	unit        TEXT NOT NULL DEFAULT '',
	status      INTEGER NOT NULL,
	before_json TEXT NOT NULL DEFAULT '',
	after_json  TEXT NOT NULL DEFAULT '',
	prev_hash   TEXT NOT NULL,
	hash        TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_log_unit ON audit_log (unit, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- Append-only: the database refuses to change or remove a row (TRUNCATE
-- too).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
