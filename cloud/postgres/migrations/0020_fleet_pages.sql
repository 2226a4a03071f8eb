-- Fleet pages (issue 13, docs/fleet.md, ADR 0024): each gateway's online
-- and offline transitions where the cloud decides them (a birth, a will,
-- the silence monitor, a batch after an offline mark), a bounded history
-- (domain.PresenceKeep rows per gateway); and a gateway's name, given
-- when gateways are created in bulk for a new street.
CREATE TABLE gateway_presence (
	id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	gw     text NOT NULL,
	at     timestamptz NOT NULL,
	online boolean NOT NULL,
	cause  text NOT NULL -- birth, will, silent, batch
);
CREATE INDEX gateway_presence_gw ON gateway_presence (gw, id);
ALTER TABLE gateways ADD COLUMN name text NOT NULL DEFAULT '';
