-- Monthly settlement (issue 12): what a meal event says beyond the meal
-- row that the settlement needs, the funding shares of each meal (who pays
-- its subsidy), and the voids of meals (from the meal_void audit events,
-- in whichever order meal and void arrive). Filled at ingest
-- (sqlstore.RecordSettlement); rows stored before this migration are
-- back-filled from their stored event JSON once, at open (backfills).
ALTER TABLE meals ADD COLUMN rule text NOT NULL DEFAULT '';
ALTER TABLE meals ADD COLUMN discount_fen bigint NOT NULL DEFAULT 0;
ALTER TABLE meals ADD COLUMN operating_fen bigint NOT NULL DEFAULT 0;
ALTER TABLE meals ADD COLUMN operating_by text NOT NULL DEFAULT '';
ALTER TABLE meals ADD COLUMN manual bigint NOT NULL DEFAULT 0;
ALTER TABLE meals ADD COLUMN staff text NOT NULL DEFAULT '';
ALTER TABLE meals ADD COLUMN price_source text NOT NULL DEFAULT '';
-- The elder's category on the cloud roster of the meal's site when the
-- meal was stored ('' when not on it).
ALTER TABLE meals ADD COLUMN category text NOT NULL DEFAULT '';
-- 1 when a funding share of the meal is outside (meal_funding.outside).
ALTER TABLE meals ADD COLUMN outside bigint NOT NULL DEFAULT 0;
CREATE INDEX meals_site_at ON meals (site, at);

-- One row per funding share of a meal. outside = 1 when the share's code
-- is not one of the elder's home codes on the cloud roster (the policy's
-- outside: site made the site's jurisdiction pay); see docs/settlement.md.
CREATE TABLE meal_funding (
	event_id text NOT NULL REFERENCES meals (event_id),
	idx      bigint NOT NULL,
	site     text NOT NULL, -- the meal's site and time, copied so that the settlement
	at       timestamptz NOT NULL, -- reads the shares without joining meals
	layer    text NOT NULL,
	code     text NOT NULL DEFAULT '',
	fen      bigint NOT NULL,
	outside  bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (event_id, idx)
);
CREATE INDEX meal_funding_site_at ON meal_funding (site, at);

-- Voided meals: one row per meal (a second void of it is ignored); the
-- meal may arrive after its void.
CREATE TABLE meal_voids (
	meal_event_id text PRIMARY KEY,
	audit_id      text NOT NULL,
	staff         text NOT NULL DEFAULT '',
	at            timestamptz NOT NULL
);

-- One-time steps run at open after the migrations (sqlstore.Backfill).
CREATE TABLE backfills (
	name   text PRIMARY KEY,
	done_at timestamptz NOT NULL
);
