package commands_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/commands"
	"github.com/eldergate/eldergate/firmware-gateway/envelope"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
)

// storeRecorder commits alert events to the real store.
type storeRecorder struct{ st *sqlite.Store }

func (r storeRecorder) CommitCritical(ctx context.Context, env eldergate.Envelope) (eldergate.Envelope, error) {
	return r.st.Commit(ctx, env, nil)
}

func alertCmd(id string, body any) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "type": eldergate.CmdAlert, "expires": t0.Add(eldergate.AlertUpdateTTL), "body": body})
	return b
}

func TestAlertCommand(t *testing.T) {
	f := newHandler(t, false)
	var shown []alarms.AlertEvent
	al := alarms.New(alarms.Config{GW: "gw-t1", Recorder: storeRecorder{f.store}, Envelopes: envelope.Maker{GW: "gw-t1", Site: "s1", Boot: f.store.Boot()},
		Stamp:   func(t time.Time) (time.Time, string) { return t, eldergate.ClockSynced },
		Publish: func(_ string, v any) { shown = append(shown, v.(alarms.AlertEvent)) },
		Notify:  func() {}, Now: func() time.Time { return t0 }, Log: slog.New(slog.DiscardHandler)})
	f.h = commands.New(commands.Config{
		Store: f.store, Envelopes: envelope.Maker{GW: "gw-t1", Site: "s1", Boot: f.store.Boot()}, Uplink: f.up, Executor: f.exec,
		Alerts: al, Now: func() time.Time { return t0 }, Log: slog.New(slog.DiscardHandler),
	})
	ctx := t.Context()

	// A bad body: a failed result that says why, in words; nothing shown.
	for i, body := range []any{"not an object", map[string]any{"alert_id": "a1", "state": "closed", "opened_at": t0}, map[string]any{"state": "open"}} {
		res := f.h.Handle(ctx, alertCmd("bad-"+string(rune('a'+i)), body))
		if res.OK || !strings.Contains(res.Error, "gateway: alert: ") || !strings.Contains(res.Error, "body") {
			t.Fatalf("bad body %v: result %+v", body, res)
		}
	}
	if len(shown) != 0 || len(f.exec.applied) != 0 {
		t.Fatalf("a bad alert command did something: %+v %v", shown, f.exec.applied)
	}

	// A good one: acknowledged in the console, shown with the name.
	u := eldergate.AlertUpdate{AlertID: "c-1", GW: "gw-t2", GWAlertID: "g-1", State: "acknowledged", Type: "emergency",
		ButtonName: "卫生间紧急按钮", Place: "一楼卫生间", Presses: 1, OpenedAt: t0, AckedBy: "王*华", AckedVia: "console"}
	res := f.h.Handle(ctx, alertCmd("ok-1", u))
	if !res.OK || string(res.Body) != `{"alert_id":"c-1","applied":true}` {
		t.Fatalf("result %+v", res)
	}
	if len(shown) != 1 || shown[0].AckedBy != "王*华" || shown[0].State != "acknowledged" || shown[0].ButtonName != "卫生间紧急按钮" {
		t.Fatalf("shown %+v", shown)
	}
	// An older state: answered ok, not applied.
	u.State, u.AckedBy = "open", ""
	if res := f.h.Handle(ctx, alertCmd("ok-2", u)); !res.OK || string(res.Body) != `{"alert_id":"c-1","applied":false}` || len(shown) != 1 {
		t.Fatalf("older update: %+v, shown %d", res, len(shown))
	}
}
