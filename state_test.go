package eldergate

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStateReported: the reported configuration of a birth round-trips,
// an old reader's payload (no such fields) still decodes, and a malformed
// config_sha256 is refused.
func TestStateReported(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	in := State{Online: true, Boot: 3, Version: "1.2", ConfigSHA256: sha, PolicyVersion: "2026-11", RosterVersion: 9, PriceDevices: "scale,till"}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeState(raw)
	if err != nil || out != in {
		t.Fatalf("DecodeState(%s) = %+v, %v; want %+v", raw, out, err, in)
	}
	old, err := DecodeState([]byte(`{"online":true,"boot":2,"version":"0.9"}`))
	if err != nil || old.ConfigSHA256 != "" || old.PolicyVersion != "" || old.RosterVersion != 0 || old.Boot != 2 {
		t.Fatalf("old birth = %+v, %v", old, err)
	}
	for _, bad := range []string{"till,scale", "printer", "none,till"} {
		if _, err := DecodeState([]byte(`{"online":true,"boot":1,"price_devices":"` + bad + `"}`)); err == nil || !strings.Contains(err.Error(), "price_devices") {
			t.Errorf("price_devices %q: err %v, want a price_devices error", bad, err)
		}
	}
	will, _ := json.Marshal(State{Online: false, Boot: 3})
	if strings.Contains(string(will), "config_sha256") || strings.Contains(string(will), "roster_version") {
		t.Fatalf("will carries empty reported fields: %s", will)
	}
	for _, bad := range []string{strings.Repeat("AB", 32), "abc", strings.Repeat("g", 64)} {
		if _, err := DecodeState([]byte(`{"online":true,"boot":1,"config_sha256":"` + bad + `"}`)); err == nil || !strings.Contains(err.Error(), "config_sha256") {
			t.Errorf("config_sha256 %q: err %v, want a config_sha256 error", bad, err)
		}
	}
}

func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"online":true,"boot":1,"config_sha256":"` + strings.Repeat("0f", 32) + `","policy_version":"v1","roster_version":4}`))
	f.Add([]byte(`{"online":false,"boot":7}`))
	f.Add([]byte(`{"online":true,"config_sha256":"x"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		s, err := DecodeState(payload)
		if err != nil {
			return
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
