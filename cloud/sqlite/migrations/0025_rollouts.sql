-- Rollouts (issue 14, docs/adr/0031-rollouts-in-waves.md): one release
-- sent to a gateway, a site, a street, a district or the fleet in waves
-- (a canary first); a wave whose failures pass the threshold halts it.
-- The scheduler (cloud/rollout) keeps every step here, so a restarted
-- cloud goes on where it stopped. Written through sqlstore/rollouts.go.
CREATE TABLE rollouts (
	id                    TEXT PRIMARY KEY,
	release               TEXT NOT NULL,
	platform              TEXT NOT NULL,            -- the release's
	target_kind           TEXT NOT NULL CHECK (target_kind IN ('gateway', 'site', 'street', 'district', 'fleet')),
	target_id             TEXT NOT NULL DEFAULT '', -- '' for the fleet
	target_path           TEXT NOT NULL DEFAULT '', -- org path of the target (a gateway's: its site's); '' for the fleet
	waves                 TEXT NOT NULL,            -- JSON [{"count":1},{"percent":25},{}]
	failure_threshold_pct INTEGER NOT NULL,
	wave_timeout_s        INTEGER NOT NULL,
	state                 TEXT NOT NULL CHECK (state IN ('running', 'halted', 'completed', 'cancelled')),
	reason                TEXT NOT NULL DEFAULT '', -- why halted or cancelled, in words
	wave                  INTEGER NOT NULL,         -- the current wave, from 1
	wave_started_at       TEXT NOT NULL,
	created_by            TEXT NOT NULL,
	created_at            TEXT NOT NULL,
	updated_at            TEXT NOT NULL
);
CREATE INDEX rollouts_state ON rollouts (state);
CREATE INDEX rollouts_created_at ON rollouts (created_at);

-- Each gateway of a rollout: its wave (0: skipped, another platform), its
-- state (waiting, sent, skipped, timed_out, held, or the state its update
-- reported), why it waits and until when, and the ota command sent.
CREATE TABLE rollout_gateways (
	rollout    TEXT NOT NULL REFERENCES rollouts (id),
	gw         TEXT NOT NULL,
	site       TEXT NOT NULL,
	platform   TEXT NOT NULL DEFAULT '',
	wave       INTEGER NOT NULL,
	state      TEXT NOT NULL,
	wait       TEXT NOT NULL DEFAULT '', -- meal_window, alarm_open, offline
	wait_until TEXT,                     -- meal_window: when the window ends
	reason     TEXT NOT NULL DEFAULT '',
	command_id TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL,
	PRIMARY KEY (rollout, gw)
);
CREATE INDEX rollout_gateways_gw ON rollout_gateways (gw);
