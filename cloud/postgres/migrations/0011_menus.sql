-- The menu of each site (issue 11): the dishes a hall priced by the dish
-- sells, with a version that grows by one with every change and who set
-- it when; and the menu version last queued to each gateway, with its
-- command, so that a gateway born later gets the site's menu once.
CREATE TABLE site_menus (
	site    text PRIMARY KEY,
	version bigint NOT NULL,
	dishes  text NOT NULL, -- []eldergate.Dish JSON
	set_by  text NOT NULL,
	set_at  timestamptz NOT NULL
);
CREATE TABLE menu_gateways (
	gw         text PRIMARY KEY,
	site       text NOT NULL,
	version    bigint NOT NULL,
	command_id text NOT NULL,
	queued_at  timestamptz NOT NULL
);
