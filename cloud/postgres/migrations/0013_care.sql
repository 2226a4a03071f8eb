-- The care signal (issue 12, docs/care.md): the rule of each org unit
-- (a domain.CareRule document, inherited down the tree) and the visits
-- workers mark for the elders on a community's visit list.
CREATE TABLE care_rules (
	unit       text PRIMARY KEY,
	body       text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text NOT NULL DEFAULT ''
);
CREATE TABLE care_visits (
	id        text PRIMARY KEY,
	elder_id  text NOT NULL,
	site      text NOT NULL, -- the elder's home site
	community text NOT NULL DEFAULT '',
	outcome   text NOT NULL CHECK (outcome IN ('visited', 'not_home', 'hospital', 'moved', 'other')),
	note      text NOT NULL DEFAULT '',
	marked_by text NOT NULL,
	at        timestamptz NOT NULL
);
CREATE INDEX care_visits_site ON care_visits (site, at);
CREATE INDEX care_visits_elder ON care_visits (elder_id, at);
