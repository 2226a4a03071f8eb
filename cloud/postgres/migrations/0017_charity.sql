-- Charity transparency (issue 12, docs/charity.md, ADR 0018): the charity
-- and enterprise funds registered in the cloud (a fund's id is the name of
-- its funding layer in the policies: a meal's share of that layer is money
-- of that fund), and the public summaries published of a fund's month.
CREATE TABLE charity_funds (
	id         text PRIMARY KEY,
	name_zh_cn text NOT NULL,
	name_zh_hk text NOT NULL,
	name_en    text NOT NULL,
	unit       text NOT NULL REFERENCES org_units (id), -- the org unit that owns the fund
	created_at timestamptz NOT NULL,
	created_by text NOT NULL DEFAULT ''
);

-- A published summary: the exact bytes shown to donors (body, JSON with no
-- personal data) and their SHA-256; never changed once written. id is 128
-- random bits (the public page's address).
CREATE TABLE charity_publications (
	id           text PRIMARY KEY,
	fund         text NOT NULL REFERENCES charity_funds (id),
	month        text NOT NULL,
	unit         text NOT NULL DEFAULT '', -- the org unit whose sites it covers ('' = every site)
	body         text NOT NULL,
	sha256       text NOT NULL,
	published_at timestamptz NOT NULL,
	published_by text NOT NULL DEFAULT ''
);
CREATE INDEX charity_publications_fund ON charity_publications (fund, month);

-- A fund pays wherever the meal is eaten: its month is read by layer.
CREATE INDEX meal_funding_layer_at ON meal_funding (layer, at);
