-- The site's menu (issue 11): the body of the last menu command applied,
-- one row. The gateway prices picked dishes from it, never from a client.
CREATE TABLE menu (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	site       TEXT NOT NULL,
	version    TEXT NOT NULL,
	body       TEXT NOT NULL, -- eldergate.Menu as JSON
	updated_at TEXT NOT NULL
);
