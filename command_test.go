package eldergate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDecodeCommand(t *testing.T) {
	ok := `{"id":"c-1","type":"ping","expires":"2030-01-01T08:00:00+08:00","extra":1}`
	c, err := DecodeCommand([]byte(ok))
	if err != nil || c.ID != "c-1" || c.Type != CmdPing || !c.Expires.Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || c.Body != nil {
		t.Fatalf("%+v %v", c, err)
	}
	big := strings.Repeat("x", MaxCommandBytes)
	for _, tc := range []struct{ payload, want, id string }{
		{`nope`, "not a valid JSON command", ""},
		{`{"type":"ping","expires":"2030-01-01T00:00:00Z"}`, "id: missing", ""},
		{`{"id":"a b","type":"ping","expires":"2030-01-01T00:00:00Z"}`, "id:", ""},
		{`{"id":"c","type":"format","expires":"2030-01-01T00:00:00Z"}`, `unknown command type "format"`, "c"},
		{`{"id":"c","type":"ping"}`, "expires: missing", "c"},
		{`{"id":"c","type":"ping","expires":"2030-01-01T00:00:00Z","body":[1]}`, "body: must be", "c"},
		{`{"id":"c","type":"config","expires":"2030-01-01T00:00:00Z","body":"` + big + `"}`, "exceeds the limit of 262144", "c"},
	} {
		c, err := DecodeCommand([]byte(tc.payload))
		if err == nil || !strings.Contains(err.Error(), tc.want) || c.ID != tc.id {
			t.Errorf("%.60s: %+v, %v; want %q", tc.payload, c, err, tc.want)
		}
	}
	// A roster may be larger than other commands.
	if _, err := DecodeCommand([]byte(`{"id":"r","type":"roster","expires":"2030-01-01T00:00:00Z","body":"` + big + `"}`)); err != nil {
		t.Fatalf("large roster: %v", err)
	}
	if _, err := DecodeCommandResult([]byte(`{"id":"c","ok":false}`)); err == nil {
		t.Fatal("failed result without error accepted")
	}
}

func TestRosterUpdateValidate(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"mode":"full","version":1,"elders":[{"id":"E1","name":"张","credentials":[{"kind":"resident_id","value":"12345"}]}]}`, "has 5 characters, want 18"},
		{`{"mode":"full","version":1,"elders":[{"id":"E1","name":"张","credentials":[{"kind":"resident_id","value":"110105194912310021"}]}]}`, "resident ID number 110105********0021: check character does not match"},
		{`{"mode":"full","version":1,"elders":[{"id":"E1","name":"张","card":"A1"},{"id":"E2","name":"李","card":"a1"}]}`, "held twice"},
		{`{"mode":"full","version":1,"elders":[{"id":"E1","name":"张"},{"id":"E1","name":"李"}]}`, "duplicate id"},
		{`{"mode":"delta","version":3,"base":3}`, "base: 3 is not below"},
		{`{"mode":"full","version":2,"base":1}`, "no base"},
		{`{"mode":"delta","version":2,"base":1,"states":[{"kind":"card","value":"A1","state":"stolen"}]}`, "unknown credential state"},
		{`{"mode":"sync","version":1}`, "mode"},
	} {
		if _, err := DecodeRosterUpdate([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.body, err, tc.want)
		}
	}
	u, err := DecodeRosterUpdate([]byte(`{"mode":"full","version":1,"elders":[{"id":"E1","name":"张","active":true,"card":" 04a1 ","credentials":[{"kind":"ssc","value":"x1"}]}]}`))
	if err != nil || len(u.Elders[0].Credentials) != 2 || u.Elders[0].Card != "" || u.Elders[0].Credentials[1].Value != "04A1" || u.Elders[0].Credentials[0].State != CredActive {
		t.Fatalf("%+v %v", u, err)
	}
}

func FuzzDecodeCommand(f *testing.F) {
	f.Add([]byte(`{"id":"c-1","type":"ping","expires":"2030-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"id":"c-2","type":"roster","expires":"2030-01-01T00:00:00Z","body":{"mode":"delta","version":2,"base":1,"states":[{"kind":"card","value":"04A1","state":"lost"}]}}`))
	f.Add([]byte(`{"id":"c-3","type":"config","expires":"2030-01-01T00:00:00Z","body":"tap_dedupe: 3s\n"}`))
	f.Add([]byte(`{"id":"","type":"x"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		c, err := DecodeCommand(payload)
		if err != nil {
			if c.Body != nil {
				t.Fatal("error with a body")
			}
			return
		}
		if !validCommandID(c.ID) || !KnownCommand(c.Type) || c.Expires.IsZero() {
			t.Fatalf("accepted an invalid command: %+v", c)
		}
		if c.Type != CmdRoster && len(payload) > MaxCommandBytes {
			t.Fatal("oversized command accepted")
		}
		if c.Type == CmdRoster && len(c.Body) > 0 {
			if u, err := DecodeRosterUpdate(c.Body); err == nil {
				for _, e := range u.Elders {
					for _, cr := range e.Credentials {
						if cr.Value != NormalizeCredential(cr.Value) || cr.State == "" {
							t.Fatalf("credential not normalised: %+v", cr)
						}
					}
				}
			}
		}
		if _, err := json.Marshal(CommandResult{ID: c.ID, OK: true}); err != nil {
			t.Fatal(err)
		}
	})
}
