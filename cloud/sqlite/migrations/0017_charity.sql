-- Charity transparency (issue 12, docs/charity.md, ADR 0018): the charity
-- and enterprise funds registered in the cloud (a fund's id is the name of
-- its funding layer in the policies: a meal's share of that layer is money
-- of that fund), and the public summaries published of a fund's month.
CREATE TABLE charity_funds (
	id         TEXT PRIMARY KEY,
	name_zh_cn TEXT NOT NULL,
	name_zh_hk TEXT NOT NULL,
	name_en    TEXT NOT NULL,
	unit       TEXT NOT NULL REFERENCES org_units (id), -- the org unit that owns the fund
	created_at TEXT NOT NULL,
	created_by TEXT NOT NULL DEFAULT ''
);

-- A published summary: the exact bytes shown to donors (body, JSON with no
-- personal data) and their SHA-256; never changed once written. id is 128
-- random bits (the public page's address).
CREATE TABLE charity_publications (
	id           TEXT PRIMARY KEY,
	fund         TEXT NOT NULL REFERENCES charity_funds (id),
	month        TEXT NOT NULL,
	unit         TEXT NOT NULL DEFAULT '', -- the org unit whose sites it covers ('' = every site)
	body         TEXT NOT NULL,
	sha256       TEXT NOT NULL,
	published_at TEXT NOT NULL,
	published_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX charity_publications_fund ON charity_publications (fund, month);

-- A fund pays wherever the meal is eaten: its month is read by layer.
CREATE INDEX meal_funding_layer_at ON meal_funding (layer, at);
