-- Closing a settlement month (issue 12, docs/settlement.md "Closing a
-- month"): the closed statements (their content frozen as the bytes the
-- close computed, with the SHA-256 of those bytes), the sites each covers,
-- and the marks of the late events: a meal or a void that the cloud
-- received after the month it belongs to was closed for its site is not in
-- that statement; adjust_month names the month whose settlement carries it
-- as an adjustment ('' for an event on time). Set at ingest
-- (sqlstore.MealColumns, RecordSettlement), never changed.
ALTER TABLE meals ADD COLUMN adjust_month text NOT NULL DEFAULT '';
ALTER TABLE meal_funding ADD COLUMN adjust_month text NOT NULL DEFAULT '';
ALTER TABLE meal_voids ADD COLUMN adjust_month text NOT NULL DEFAULT '';
-- When the cloud received the void (its audit event's received_at).
ALTER TABLE meal_voids ADD COLUMN received_at timestamptz;
UPDATE meal_voids SET received_at = COALESCE((SELECT e.received_at FROM events e WHERE e.id = meal_voids.audit_id), at);
ALTER TABLE meal_voids ALTER COLUMN received_at SET NOT NULL;
CREATE INDEX meals_adjust ON meals (adjust_month) WHERE adjust_month <> '';
CREATE INDEX meal_voids_adjust ON meal_voids (adjust_month) WHERE adjust_month <> '';

-- A closed statement never changes: no statement updates it.
CREATE TABLE statements (
	number    text PRIMARY KEY,
	unit      text NOT NULL, -- org unit id, '' = every site
	month     text NOT NULL, -- YYYY-MM
	time_zone text NOT NULL,
	from_at   timestamptz NOT NULL, -- the month's instants [from_at, to_at) in time_zone
	to_at     timestamptz NOT NULL,
	closed_by text NOT NULL,
	closed_at timestamptz NOT NULL,
	sha256    text NOT NULL, -- hex SHA-256 of content
	content   bytea NOT NULL, -- the settlement report as computed at close (JSON), verbatim
	UNIQUE (unit, month)
);

-- The sites a statement covers (site '' = every site); one statement per
-- site and month.
CREATE TABLE statement_sites (
	site    text NOT NULL,
	month   text NOT NULL,
	number  text NOT NULL REFERENCES statements (number),
	from_at timestamptz NOT NULL,
	to_at   timestamptz NOT NULL,
	PRIMARY KEY (site, month)
);
