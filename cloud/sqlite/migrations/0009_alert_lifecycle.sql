-- The alert lifecycle (issue 10): who acknowledged where, the latest press
-- after the acknowledgement ("pressed again"), and how it ended (an
-- outcome and a note). An elder's cancel was a false alarm already.
ALTER TABLE alerts ADD COLUMN acked_via TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN pressed_again_at TEXT;
ALTER TABLE alerts ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN note TEXT NOT NULL DEFAULT '';
UPDATE alerts SET outcome = 'false_alarm' WHERE state = 'false_alarm';
