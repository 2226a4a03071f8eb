-- The history of the roster changes the items to review (issue 12,
-- docs/review.md) date meals against: when an elder was removed from a
-- site's roster (or put back on it) and when a credential's state changed
-- (reported lost, cancelled, active again). Written in the transaction
-- that changes the roster (sqlstore ReplaceRoster, SetCredentialState),
-- with the store's time of the change. Personal data only masked: the
-- credential's value as eldergate.MaskID gives it (the form a meal event
-- carries), the elder's name as eldergate.MaskName gives it.
CREATE TABLE roster_changes (
	id         bigserial PRIMARY KEY,
	site       text NOT NULL,
	elder_id   text NOT NULL,
	what       text NOT NULL CHECK (what IN ('removed', 'restored', 'credential')),
	cred_kind  text NOT NULL DEFAULT '',
	credential text NOT NULL DEFAULT '', -- masked value
	state      text NOT NULL DEFAULT '', -- the credential's new state
	name       text NOT NULL DEFAULT '', -- the elder's masked name
	version    bigint NOT NULL,          -- the site's roster version of the change
	at         timestamptz NOT NULL
);
CREATE INDEX roster_changes_elder ON roster_changes (elder_id, at);
