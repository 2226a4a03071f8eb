-- The meals list (issue 13, docs/meals.md, ADR 0027): taps of a card that
-- is not an active elder's (unknown, lost or cancelled) reach the cloud as
-- the gateway's audit event of type tap_refused, with the card masked;
-- one row per such event, filled at ingest (sqlstore.RecordSettlement),
-- so that the list shows them beside the meals. No meal, no money: the
-- settlement, statistics, reconciliation and review read meals only.
CREATE TABLE card_taps (
	event_id    text PRIMARY KEY REFERENCES events (id),
	gw          text NOT NULL,
	site        text NOT NULL,
	card        text NOT NULL DEFAULT '', -- masked (eldergate.MaskID)
	reason      text NOT NULL,            -- unknown_card, card_lost, card_cancelled
	reader      text NOT NULL DEFAULT '',
	at          timestamptz NOT NULL,
	received_at timestamptz NOT NULL
);
CREATE INDEX card_taps_at ON card_taps (at);
CREATE INDEX card_taps_site_at ON card_taps (site, at);

-- The taps stored before this migration, from their stored events.
INSERT INTO card_taps (event_id, gw, site, card, reason, reader, at, received_at)
	SELECT id, gw, site, COALESCE(data::jsonb ->> 'credential', ''), COALESCE(data::jsonb ->> 'reason', ''),
		COALESCE(data::jsonb ->> 'reader', ''), at, received_at
	FROM events WHERE kind = 'audit' AND data::jsonb ->> 'type' = 'tap_refused';

-- The list's filters on a decision (refused: 1 meal in 50) and on a reason
-- walk these newest first instead of every meal of the period
-- (docs/PERFORMANCE.md, "Meals list").
CREATE INDEX meals_decision_at ON meals (decision, at);
CREATE INDEX meals_reason_at ON meals (reason, at);
