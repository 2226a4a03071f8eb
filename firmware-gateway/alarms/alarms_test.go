package alarms_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/envelope"
)

var t0 = time.Date(2025, 3, 3, 4, 0, 0, 0, time.UTC)

// recorder keeps the committed events, or fails.
type recorder struct {
	envs []eldergate.Envelope
	fail bool
}

func (r *recorder) CommitCritical(_ context.Context, env eldergate.Envelope) (eldergate.Envelope, error) {
	if r.fail {
		return env, errors.New("disk on fire")
	}
	r.envs = append(r.envs, env)
	return env, nil
}

type fixture struct {
	a        *alarms.Alarms
	rec      *recorder
	shown    []alarms.AlertEvent
	notified int
	now      time.Time
}

func newAlarms() *fixture { return newAlarmsWith(alarms.Config{}) }

// newAlarmsWith builds alarms of gateway gw-t1 on c (buttons, grace) with
// a clock the test moves (f.now).
func newAlarmsWith(c alarms.Config) *fixture {
	f := &fixture{rec: &recorder{}, now: t0}
	c.GW = "gw-t1"
	c.Recorder, c.Envelopes = f.rec, envelope.Maker{GW: "gw-t1", Site: "s1", Boot: 1}
	c.Stamp = func(t time.Time) (time.Time, string) { return t.UTC(), eldergate.ClockSynced }
	c.Publish = func(event string, data any) {
		if event != alarms.EventAlert {
			panic(event)
		}
		f.shown = append(f.shown, data.(alarms.AlertEvent))
	}
	c.Notify = func() { f.notified++ }
	c.Now = func() time.Time { return f.now }
	c.Log = slog.New(slog.DiscardHandler)
	f.a = alarms.New(c)
	return f
}

// last is the last alert shown on the kiosk.
func (f *fixture) last(t *testing.T) alarms.AlertEvent {
	t.Helper()
	if len(f.shown) == 0 {
		t.Fatal("nothing shown")
	}
	return f.shown[len(f.shown)-1]
}

// lastEvent is the data of the last alert event recorded.
func (f *fixture) lastEvent(t *testing.T) eldergate.AlertData {
	t.Helper()
	if len(f.rec.envs) == 0 {
		t.Fatal("nothing recorded")
	}
	return alertOf(t, f.rec.envs[len(f.rec.envs)-1])
}

func alertOf(t *testing.T, env eldergate.Envelope) eldergate.AlertData {
	t.Helper()
	var d eldergate.AlertData
	if env.Kind != eldergate.KindAlert || json.Unmarshal(env.Data, &d) != nil {
		t.Fatalf("not an alert: %+v", env)
	}
	return d
}

func TestShortPressRaisesLongPressCancels(t *testing.T) {
	f := newAlarms()
	ctx := t.Context()
	f.a.Press(ctx, button.Press{Button: "b1", Kind: button.Long, At: t0}) // nothing open: ignored
	if len(f.shown) != 0 || len(f.rec.envs) != 0 {
		t.Fatalf("a long press without an alert did something: %+v", f.shown)
	}
	f.a.Press(ctx, button.Press{Button: "b1", At: t0})
	f.a.Press(ctx, button.Press{Button: "b1", Kind: button.Long, At: t0.Add(time.Second)})
	if len(f.shown) != 2 || len(f.rec.envs) != 2 || f.notified != 2 {
		t.Fatalf("shown %+v, recorded %d, notified %d", f.shown, len(f.rec.envs), f.notified)
	}
	raised, cancelled := alertOf(t, f.rec.envs[0]), alertOf(t, f.rec.envs[1])
	if raised.Action != eldergate.AlertRaised || cancelled.Action != eldergate.AlertCancelled || raised.AlertID != cancelled.AlertID || raised.Type != "emergency" {
		t.Fatalf("raised %+v, cancelled %+v", raised, cancelled)
	}
	if f.shown[0].EventID != f.rec.envs[0].ID || f.shown[1].Action != eldergate.AlertCancelled {
		t.Fatalf("shown = %+v", f.shown)
	}
	// After the cancel a new press opens a new alert.
	f.a.Press(ctx, button.Press{Button: "b1", At: t0.Add(time.Minute)})
	if again := alertOf(t, f.rec.envs[2]); again.AlertID == raised.AlertID {
		t.Fatal("a new press reused the cancelled alert")
	}
}

func TestAlarmShownEvenWhenNotRecorded(t *testing.T) {
	f := newAlarms()
	f.rec.fail = true
	f.a.Press(t.Context(), button.Press{Button: "b2"}) // no time: Now
	if len(f.shown) != 1 || f.shown[0].EventID != "" || f.shown[0].Action != eldergate.AlertRaised || !f.shown[0].At.Equal(t0) {
		t.Fatalf("shown = %+v", f.shown)
	}
	if f.notified != 0 {
		t.Fatal("uplink notified of an event not recorded")
	}
}
