-- Roster synced from the cloud (issue 4): several credentials per elder,
-- each active, lost or cancelled; a roster version for deltas.
--
-- The elders table stays the table of elders (meals refer to it). Elders
-- that leave the roster keep their row (their meals stay valid) with
-- on_roster = 0 and no credentials. data holds the whole eldergate.Elder
-- as JSON, so fields the policy needs (hukou, categories, jurisdiction)
-- travel without a migration. elders.card is kept for the first version's
-- rows and is 'roster:' || id for elders loaded from a roster update.
ALTER TABLE elders ADD COLUMN on_roster INTEGER NOT NULL DEFAULT 1;
ALTER TABLE elders ADD COLUMN data TEXT NOT NULL DEFAULT '';

-- One row per credential. key is the credential value itself for cards
-- and social-security card numbers, and 'h:' || hex(HMAC-SHA256(roster
-- key, value)) for anything shaped like a resident ID number: the plain
-- number is never stored.
CREATE TABLE credentials (
	key      TEXT PRIMARY KEY,
	kind     TEXT NOT NULL,
	elder_id TEXT NOT NULL REFERENCES elders (id),
	state    TEXT NOT NULL CHECK (state IN ('active', 'lost', 'cancelled'))
) WITHOUT ROWID;
CREATE INDEX credentials_elder ON credentials (elder_id);

-- The first version's cards become credentials. Values shaped like a
-- resident ID number are left to the gateway, which hashes them with the
-- roster key at start (sqlite.Store.RehashLegacy).
INSERT INTO credentials (key, kind, elder_id, state)
	SELECT card, 'card', id, 'active' -- an inactive elder is refused by the decision (card_inactive)
	FROM elders
	WHERE NOT (length(card) = 18 AND substr(card, 1, 17) NOT GLOB '*[^0-9]*' AND substr(card, 18, 1) GLOB '[0-9X]');

CREATE TABLE roster_meta (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	version    INTEGER NOT NULL, -- 0: never synced from the cloud (seeded from the config)
	mode       TEXT NOT NULL,    -- full | delta | seed
	elders     INTEGER NOT NULL, -- elders on the roster
	updated_at TEXT NOT NULL     -- RFC 3339 UTC
);
INSERT INTO roster_meta (id, version, mode, elders, updated_at)
	SELECT 1, 0, 'seed', COUNT(*), strftime('%Y-%m-%dT%H:%M:%SZ', 'now') FROM elders;

-- Commands from the cloud, by id: a re-delivered command is answered
-- with the stored result, never applied twice. event_id is the cmdres
-- outbox event that carries the result.
CREATE TABLE commands (
	id          TEXT PRIMARY KEY,
	type        TEXT NOT NULL,
	received_at TEXT NOT NULL,
	ok          INTEGER NOT NULL,
	error       TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL DEFAULT '', -- result body (JSON), never the command's
	event_id    TEXT
);
CREATE INDEX commands_received ON commands (received_at);

-- Cross-site usage pushed by the cloud (command usage), kept here until
-- the policy engine's usage counters take them.
CREATE TABLE remote_usage (
	elder_id  TEXT NOT NULL,
	site      TEXT NOT NULL,
	day       TEXT NOT NULL, -- local date YYYY-MM-DD
	meals     INTEGER NOT NULL,
	subsidy_fen INTEGER NOT NULL,
	PRIMARY KEY (elder_id, site, day)
) WITHOUT ROWID;

-- Dead letters: events the cloud rejected are marked in the outbox
-- (rejected_at, reject_reason) and found through this index.
CREATE INDEX outbox_dead ON outbox (rejected_at) WHERE rejected_at IS NOT NULL;
