-- Ingest writes a meal event's events row and meals row by COPY in one
-- transaction, the events row first (ADR 0036, docs/PERFORMANCE.md
-- "ingest-store"). The foreign key meals.event_id -> events.id cost one
-- index probe of events per meal row (a trigger per row) and could never
-- fail on that path: it goes, and TestMealsHaveTheirEvents keeps the
-- guarantee. Nothing deletes events.
ALTER TABLE meals DROP CONSTRAINT IF EXISTS meals_event_id_fkey;

-- meals (site) is a prefix of meals (site, at) (0012), which serves every
-- query on the site alone: one index fewer to write per meal.
DROP INDEX IF EXISTS meals_site;
