-- The care signal (issue 12, docs/care.md): the rule of each org unit
-- (a domain.CareRule document, inherited down the tree) and the visits
-- workers mark for the elders on a community's visit list.
CREATE TABLE care_rules (
	unit       TEXT PRIMARY KEY,
	body       TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	updated_by TEXT NOT NULL DEFAULT ''
);
CREATE TABLE care_visits (
	id        TEXT PRIMARY KEY,
	elder_id  TEXT NOT NULL,
	site      TEXT NOT NULL, -- the elder's home site
	community TEXT NOT NULL DEFAULT '',
	outcome   TEXT NOT NULL CHECK (outcome IN ('visited', 'not_home', 'hospital', 'moved', 'other')),
	note      TEXT NOT NULL DEFAULT '',
	marked_by TEXT NOT NULL,
	at        TEXT NOT NULL
);
CREATE INDEX care_visits_site ON care_visits (site, at);
CREATE INDEX care_visits_elder ON care_visits (elder_id, at);
