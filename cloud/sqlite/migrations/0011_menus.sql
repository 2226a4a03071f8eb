-- The menu of each site (issue 11): the dishes a hall priced by the dish
-- sells, with a version that grows by one with every change and who set
-- it when; and the menu version last queued to each gateway, with its
-- command, so that a gateway born later gets the site's menu once.
CREATE TABLE site_menus (
	site    TEXT PRIMARY KEY,
	version INTEGER NOT NULL,
	dishes  TEXT NOT NULL, -- []eldergate.Dish JSON
	set_by  TEXT NOT NULL,
	set_at  TEXT NOT NULL
);
CREATE TABLE menu_gateways (
	gw         TEXT PRIMARY KEY,
	site       TEXT NOT NULL,
	version    INTEGER NOT NULL,
	command_id TEXT NOT NULL,
	queued_at  TEXT NOT NULL
);
