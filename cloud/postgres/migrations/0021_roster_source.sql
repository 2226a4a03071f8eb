-- Which roster each gateway runs, as it reports it (issue 13, ADR 0025):
-- the cloud's (source 'cloud', with its version) or the seed of its
-- configuration ('local'), and how many elders; from its births and the
-- results of roster commands. '' until the gateway reported.
ALTER TABLE roster_gateways ADD COLUMN reported_source text NOT NULL DEFAULT '';
ALTER TABLE roster_gateways ADD COLUMN reported_version bigint NOT NULL DEFAULT 0;
ALTER TABLE roster_gateways ADD COLUMN reported_elders bigint NOT NULL DEFAULT 0;
ALTER TABLE roster_gateways ADD COLUMN reported_boot bigint NOT NULL DEFAULT 0;
ALTER TABLE roster_gateways ADD COLUMN reported_at timestamptz;
