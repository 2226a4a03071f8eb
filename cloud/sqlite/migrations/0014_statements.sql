-- Closing a settlement month (issue 12, docs/settlement.md "Closing a
-- month"): the closed statements (their content frozen as the bytes the
-- close computed, with the SHA-256 of those bytes), the sites each covers,
-- and the marks of the late events: a meal or a void that the cloud
-- received after the month it belongs to was closed for its site is not in
-- that statement; adjust_month names the month whose settlement carries it
-- as an adjustment ('' for an event on time). Set at ingest
-- (sqlstore.MealColumns, RecordSettlement), never changed.
ALTER TABLE meals ADD COLUMN adjust_month TEXT NOT NULL DEFAULT '';
ALTER TABLE meal_funding ADD COLUMN adjust_month TEXT NOT NULL DEFAULT '';
ALTER TABLE meal_voids ADD COLUMN adjust_month TEXT NOT NULL DEFAULT '';
-- When the cloud received the void (its audit event's received_at).
ALTER TABLE meal_voids ADD COLUMN received_at TEXT NOT NULL DEFAULT '';
UPDATE meal_voids SET received_at = COALESCE((SELECT e.received_at FROM events e WHERE e.id = meal_voids.audit_id), at);
CREATE INDEX meals_adjust ON meals (adjust_month) WHERE adjust_month <> '';
CREATE INDEX meal_voids_adjust ON meal_voids (adjust_month) WHERE adjust_month <> '';

-- A closed statement never changes: no statement updates it.
CREATE TABLE statements (
	number    TEXT PRIMARY KEY,
	unit      TEXT NOT NULL, -- org unit id, '' = every site
	month     TEXT NOT NULL, -- YYYY-MM
	time_zone TEXT NOT NULL,
	from_at   TEXT NOT NULL, -- the month's instants [from_at, to_at) in time_zone
	to_at     TEXT NOT NULL,
	closed_by TEXT NOT NULL,
	closed_at TEXT NOT NULL,
	sha256    TEXT NOT NULL, -- hex SHA-256 of content
	content   BLOB NOT NULL, -- the settlement report as computed at close (JSON), verbatim
	UNIQUE (unit, month)
);

-- The sites a statement covers (site '' = every site); one statement per
-- site and month.
CREATE TABLE statement_sites (
	site    TEXT NOT NULL,
	month   TEXT NOT NULL,
	number  TEXT NOT NULL REFERENCES statements (number),
	from_at TEXT NOT NULL,
	to_at   TEXT NOT NULL,
	PRIMARY KEY (site, month)
);
