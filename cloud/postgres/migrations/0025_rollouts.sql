-- Rollouts (issue 14, docs/adr/0031-rollouts-in-waves.md): one release
-- sent to a gateway, a site, a street, a district or the fleet in waves
-- (a canary first); a wave whose failures pass the threshold halts it.
-- The scheduler (cloud/rollout) keeps every step here, so a restarted
-- cloud goes on where it stopped. Written through sqlstore/rollouts.go.
CREATE TABLE rollouts (
	id                    text PRIMARY KEY,
	release               text NOT NULL,
	platform              text NOT NULL,            -- the release's
	target_kind           text NOT NULL CHECK (target_kind IN ('gateway', 'site', 'street', 'district', 'fleet')),
	target_id             text NOT NULL DEFAULT '', -- '' for the fleet
	target_path           text NOT NULL DEFAULT '', -- org path of the target (a gateway's: its site's); '' for the fleet
	waves                 text NOT NULL,            -- JSON [{"count":1},{"percent":25},{}]
	failure_threshold_pct integer NOT NULL,
	wave_timeout_s        integer NOT NULL,
	state                 text NOT NULL CHECK (state IN ('running', 'halted', 'completed', 'cancelled')),
	reason                text NOT NULL DEFAULT '', -- why halted or cancelled, in words
	wave                  integer NOT NULL,         -- the current wave, from 1
	wave_started_at       timestamptz NOT NULL,
	created_by            text NOT NULL,
	created_at            timestamptz NOT NULL,
	updated_at            timestamptz NOT NULL
);
CREATE INDEX rollouts_state ON rollouts (state);
CREATE INDEX rollouts_created_at ON rollouts (created_at);

-- Each gateway of a rollout: its wave (0: skipped, another platform), its
-- state (waiting, sent, skipped, timed_out, held, or the state its update
-- reported), why it waits and until when, and the ota command sent.
CREATE TABLE rollout_gateways (
	rollout    text NOT NULL REFERENCES rollouts (id),
	gw         text NOT NULL,
	site       text NOT NULL,
	platform   text NOT NULL DEFAULT '',
	wave       integer NOT NULL,
	state      text NOT NULL,
	wait       text NOT NULL DEFAULT '', -- meal_window, alarm_open, offline
	wait_until timestamptz,              -- meal_window: when the window ends
	reason     text NOT NULL DEFAULT '',
	command_id text NOT NULL DEFAULT '',
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (rollout, gw)
);
CREATE INDEX rollout_gateways_gw ON rollout_gateways (gw);
