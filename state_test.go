package eldergate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestStateReported: the reported configuration of a birth round-trips,
// an old reader's payload (no such fields) still decodes, and a malformed
// config_sha256 is refused.
func TestStateReported(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	in := State{Online: true, Boot: 3, Version: "1.2", ConfigSHA256: sha, PolicyVersion: "2026-11", RosterVersion: 9,
		Roster: &RosterReport{Source: RosterSourceCloud, Version: 9, Elders: 3}, PriceDevices: "scale,till"}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeState(raw)
	if err != nil || !reflect.DeepEqual(out, in) {
		t.Fatalf("DecodeState(%s) = %+v, %v; want %+v", raw, out, err, in)
	}
	old, err := DecodeState([]byte(`{"online":true,"boot":2,"version":"0.9"}`))
	if err != nil || old.ConfigSHA256 != "" || old.PolicyVersion != "" || old.RosterVersion != 0 || old.Boot != 2 || old.Roster != nil {
		t.Fatalf("old birth = %+v, %v", old, err)
	}
	for _, bad := range []string{"till,scale", "printer", "none,till"} {
		if _, err := DecodeState([]byte(`{"online":true,"boot":1,"price_devices":"` + bad + `"}`)); err == nil || !strings.Contains(err.Error(), "price_devices") {
			t.Errorf("price_devices %q: err %v, want a price_devices error", bad, err)
		}
	}
	will, _ := json.Marshal(State{Online: false, Boot: 3})
	if strings.Contains(string(will), "config_sha256") || strings.Contains(string(will), "roster_version") || strings.Contains(string(will), "roster") {
		t.Fatalf("will carries empty reported fields: %s", will)
	}
	for _, bad := range []string{strings.Repeat("AB", 32), "abc", strings.Repeat("g", 64)} {
		if _, err := DecodeState([]byte(`{"online":true,"boot":1,"config_sha256":"` + bad + `"}`)); err == nil || !strings.Contains(err.Error(), "config_sha256") {
			t.Errorf("config_sha256 %q: err %v, want a config_sha256 error", bad, err)
		}
	}
}

// TestStateRoster: the roster a gateway runs is read from its birth; a
// report that contradicts itself (a local roster with a version, a cloud
// roster without one, an unknown source, a negative count) is ignored and
// the birth kept.
func TestStateRoster(t *testing.T) {
	st, err := DecodeState([]byte(`{"online":true,"boot":2,"roster_version":0,"roster":{"source":"local","version":0,"elders":10}}`))
	if err != nil || st.Roster == nil || *st.Roster != (RosterReport{Source: RosterSourceLocal, Elders: 10}) {
		t.Fatalf("local roster birth = %+v, %v", st, err)
	}
	for _, bad := range []string{`{"source":"local","version":3,"elders":1}`, `{"source":"cloud","version":0,"elders":1}`,
		`{"source":"usb","version":1,"elders":1}`, `{"source":"cloud","version":1,"elders":-1}`} {
		st, err := DecodeState([]byte(`{"online":true,"boot":2,"roster":` + bad + `}`))
		if err != nil || st.Roster != nil || !st.Online {
			t.Errorf("roster %s: %+v, %v; want the birth without its roster", bad, st, err)
		}
	}
}

func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"online":true,"boot":1,"config_sha256":"` + strings.Repeat("0f", 32) + `","policy_version":"v1","roster_version":4}`))
	f.Add([]byte(`{"online":false,"boot":7}`))
	f.Add([]byte(`{"online":true,"boot":2,"roster":{"source":"cloud","version":3,"elders":9}}`))
	f.Add([]byte(`{"online":true,"config_sha256":"x"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		s, err := DecodeState(payload)
		if err != nil {
			return
		}
		if s.Roster != nil && !s.Roster.Valid() {
			t.Fatalf("accepted roster report %+v", *s.Roster)
		}
		if s.ConfigSHA256 != "" && !isSHA256Hex(s.ConfigSHA256) {
			t.Fatalf("accepted config_sha256 %q", s.ConfigSHA256)
		}
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeState(raw); err != nil {
			t.Fatalf("re-encoded state %s refused: %v", raw, err)
		}
	})
}

// TestStateSame: two states are the same when every field is, the roster
// report compared by value (a fresh birth after a config command is sent
// only when something changed).
func TestStateSame(t *testing.T) {
	a := State{Online: true, Boot: 2, Roster: &RosterReport{Source: RosterSourceCloud, Version: 3, Elders: 9}}
	b := a
	b.Roster = &RosterReport{Source: RosterSourceCloud, Version: 3, Elders: 9}
	if !a.Same(b) {
		t.Error("equal states with two roster pointers differ")
	}
	b.Roster.Elders = 8
	if a.Same(b) {
		t.Error("a changed roster report is the same")
	}
	if a.Same(State{Online: true, Boot: 2}) || !(State{Boot: 1}).Same(State{Boot: 1}) {
		t.Error("nil roster reports compared wrongly")
	}
	c := a
	c.MenuVersion = "m2"
	if a.Same(c) {
		t.Error("a changed menu version is the same")
	}
}
