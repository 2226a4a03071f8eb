-- Fleet pages (issue 13, docs/fleet.md, ADR 0024): each gateway's online
-- and offline transitions where the cloud decides them (a birth, a will,
-- the silence monitor, a batch after an offline mark), a bounded history
-- (domain.PresenceKeep rows per gateway); and a gateway's name, given
-- when gateways are created in bulk for a new street.
CREATE TABLE gateway_presence (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	gw     TEXT NOT NULL,
	at     TEXT NOT NULL,
	online INTEGER NOT NULL,
	cause  TEXT NOT NULL -- birth, will, silent, batch
);
CREATE INDEX gateway_presence_gw ON gateway_presence (gw, id);
ALTER TABLE gateways ADD COLUMN name TEXT NOT NULL DEFAULT '';
