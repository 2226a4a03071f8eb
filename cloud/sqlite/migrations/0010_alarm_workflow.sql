-- The alarm workflow (issue 10): escalation progress and the kiosk push
-- kept on the alert, its timeline in alert_log, and how each org unit
-- takes alarms in alarm_settings.
ALTER TABLE alerts ADD COLUMN button_name TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN reason TEXT NOT NULL DEFAULT '';
-- domain.Escalation: the ladder index last notified (-1: none yet), when,
-- reminders there, moves up, when the runner must look again, and a press
-- after the acknowledgement waiting to be told.
ALTER TABLE alerts ADD COLUMN esc_level INTEGER NOT NULL DEFAULT -1;
ALTER TABLE alerts ADD COLUMN esc_since TEXT;
ALTER TABLE alerts ADD COLUMN esc_reminders INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN esc_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alerts ADD COLUMN due_at TEXT;
ALTER TABLE alerts ADD COLUMN renotify INTEGER NOT NULL DEFAULT 0;
-- version counts the changes a kiosk shows; kiosk_version is the last
-- one sent to the site's gateways.
ALTER TABLE alerts ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE alerts ADD COLUMN kiosk_version INTEGER NOT NULL DEFAULT 1;
CREATE INDEX alerts_due ON alerts (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX alerts_kiosk ON alerts (id) WHERE kiosk_version < version;
CREATE INDEX alerts_live ON alerts (state) WHERE state IN ('open', 'acknowledged');

-- Everything that happened to an alert, in order (seq); append-only. The
-- console's board follows it, the response report counts from it.
CREATE TABLE alert_log (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	alert_id TEXT NOT NULL REFERENCES alerts (id),
	at       TEXT NOT NULL,
	kind     TEXT NOT NULL,
	by_who   TEXT NOT NULL DEFAULT '',
	via      TEXT NOT NULL DEFAULT '',
	level    TEXT NOT NULL DEFAULT '',
	detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_log_alert ON alert_log (alert_id, seq);
INSERT INTO alert_log (alert_id, at, kind) SELECT id, opened_at, 'opened' FROM alerts;
INSERT INTO alert_log (alert_id, at, kind, by_who, via) SELECT id, acked_at, 'acknowledged', acked_by, acked_via FROM alerts WHERE acked_at IS NOT NULL;
INSERT INTO alert_log (alert_id, at, kind, by_who, detail) SELECT id, closed_at, state, closed_by, outcome FROM alerts WHERE closed_at IS NOT NULL;

-- How an org unit (a site, community, street or district) takes alarms:
-- a domain.AlarmSettings document.
CREATE TABLE alarm_settings (
	unit       TEXT PRIMARY KEY,
	body       TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	updated_by TEXT NOT NULL DEFAULT ''
);
