-- Administrative division codes on the org tree (issue 12,
-- reconciliation; ADR "sites' division codes live on the org tree"): a
-- district unit carries its 6-digit district code (440304), a street its
-- 9-digit street (街道/镇) code (440304001); '' when not set. A site's
-- jurisdiction (policy.Place) is read from its ancestors' codes.
ALTER TABLE org_units ADD COLUMN code TEXT NOT NULL DEFAULT '';
