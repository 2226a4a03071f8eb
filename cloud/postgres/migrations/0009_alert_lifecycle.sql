-- The alert lifecycle (issue 10): who acknowledged where, the latest press
-- after the acknowledgement ("pressed again"), and how it ended (an
-- outcome and a note). An elder's cancel was a false alarm already.
ALTER TABLE alerts ADD COLUMN acked_via text NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN pressed_again_at timestamptz;
ALTER TABLE alerts ADD COLUMN outcome text NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN note text NOT NULL DEFAULT '';
UPDATE alerts SET outcome = 'false_alarm' WHERE state = 'false_alarm';
