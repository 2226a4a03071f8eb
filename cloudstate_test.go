package eldergate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestCloudState: a cloud state round-trips; a payload without online or
// boot, or with an oversized boot, is refused with the field named.
func TestCloudState(t *testing.T) {
	in := CloudState{Online: true, Boot: "eg-cloud-serve-host.1764990000000000000.1", At: time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeCloudState(raw)
	if err != nil || out != in {
		t.Fatalf("DecodeCloudState(%s) = %+v, %v; want %+v", raw, out, err, in)
	}
	for _, tc := range []struct{ payload, field string }{
		{`{"boot":"b"}`, "online"},
		{`{"online":true}`, "boot"},
		{`{"online":true,"boot":"` + strings.Repeat("b", MaxCloudBootLen+1) + `"}`, "boot"},
		{`[]`, ""},
	} {
		_, err := DecodeCloudState([]byte(tc.payload))
		if err == nil {
			t.Fatalf("DecodeCloudState(%s) accepted", tc.payload)
		}
		if !strings.Contains(err.Error(), tc.field) {
			t.Errorf("DecodeCloudState(%s) = %v; want the field %q named", tc.payload, err, tc.field)
		}
	}
	if _, err := DecodeCloudState([]byte(strings.Repeat(" ", MaxSmallPayload+1))); err == nil {
		t.Fatal("oversized cloud state accepted")
	}
}

func FuzzDecodeCloudState(f *testing.F) {
	f.Add([]byte(`{"online":true,"boot":"eg-cloud-ingest-a.1.1","at":"2026-12-06T08:00:00Z"}`))
	f.Add([]byte(`{"online":false,"boot":"x"}`))
	f.Add([]byte(`{"online":true}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		s, err := DecodeCloudState(payload)
		if err != nil {
			return
		}
		if s.Boot == "" || len(s.Boot) > MaxCloudBootLen {
			t.Fatalf("accepted boot %q", s.Boot)
		}
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeCloudState(raw)
		if err != nil {
			t.Fatalf("re-encoded cloud state %s refused: %v", raw, err)
		}
		if back.Online != s.Online || back.Boot != s.Boot || !back.At.Equal(s.At) {
			t.Fatalf("round trip %+v -> %+v", s, back)
		}
	})
}
