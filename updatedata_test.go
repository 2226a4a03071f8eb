package eldergate

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDecodeUpdateData: every state of the contract is taken; an unknown
// state, a missing command id, bytes beyond the size and an oversized
// reason are refused with the field named; an update event with an
// unknown state is an invalid envelope.
func TestDecodeUpdateData(t *testing.T) {
	for _, st := range []string{UpdateAccepted, UpdateDeferred, UpdateDownloading, UpdateVerified, UpdateInstalled,
		UpdateChecking, UpdateCommitted, UpdateRolledBack, UpdateFailed} {
		raw, _ := json.Marshal(UpdateData{CommandID: "cmd-1", Release: "v2", State: st, Bytes: 5, Size: 10})
		if d, err := DecodeUpdateData(raw); err != nil || d.State != st {
			t.Errorf("%s: %+v %v", st, d, err)
		}
	}
	for raw, field := range map[string]string{
		`{"command_id":"c","state":"exploded"}`:                         "data.state",
		`{"state":"accepted"}`:                                          "data.command_id",
		`{"command_id":"c","state":"downloading","bytes":11,"size":10}`: "data",
		`{"command_id":"c","state":"failed","reason":"` + strings.Repeat("x", MaxUpdateReason+1) + `"}`: "data.reason",
		`[]`: "data",
	} {
		_, err := DecodeUpdateData([]byte(raw))
		if ve, ok := err.(*ValidationError); !ok || ve.Field != field {
			t.Errorf("%.60s: %v, want an error of %s", raw, err, field)
		}
	}
	e := validEvent(t, KindUpdate, UpdateData{CommandID: "c", State: UpdateCommitted})
	e.Data = json.RawMessage(`{"command_id":"c","state":"exploded"}`)
	if err := e.Validate(); err == nil || !strings.Contains(err.Error(), `unknown update state "exploded"`) {
		t.Fatalf("update event of an unknown state: %v", err)
	}
}

// TestDecodeStatePlatform: a birth's platform is read; one eldergate does
// not build is unknown, and the birth is kept.
func TestDecodeStatePlatform(t *testing.T) {
	s, err := DecodeState([]byte(`{"online":true,"boot":1,"platform":"linux/arm/v7"}`))
	if err != nil || s.Platform != "linux/arm/v7" {
		t.Fatalf("%+v %v", s, err)
	}
	s, err = DecodeState([]byte(`{"online":true,"boot":1,"platform":"windows/386"}`))
	if err != nil || s.Platform != "" || !s.Online {
		t.Fatalf("unknown platform: %+v %v", s, err)
	}
}

func FuzzDecodeUpdateData(f *testing.F) {
	good, _ := json.Marshal(UpdateData{CommandID: "cmd-1", Release: "v2", FromVersion: "1", ToVersion: "2", State: UpdateDownloading, Bytes: 1, Size: 2})
	f.Add(good)
	f.Add([]byte(`{"command_id":"c","state":"rolled_back","reason":"health check","code":"health_card"}`))
	f.Add([]byte(`{"state":"nope"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := DecodeUpdateData(raw)
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error not in words of a field: %T %v", err, err)
			}
			return
		}
		if d.CommandID == "" || len(d.Reason) > MaxUpdateReason || d.Bytes < 0 || d.Size > MaxReleaseBytes || (d.Size > 0 && d.Bytes > d.Size) {
			t.Fatalf("accepted %+v", d)
		}
		again, _ := json.Marshal(d)
		if d2, err := DecodeUpdateData(again); err != nil || d2 != d {
			t.Fatalf("round trip: %+v %v", d2, err)
		}
	})
}
