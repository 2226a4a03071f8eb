package envelope_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/envelope"
)

func TestNewEnvelope(t *testing.T) {
	at := time.Date(2025, 3, 3, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))
	m := envelope.Maker{GW: "gw-t1", Site: "s1", Boot: 3, Clock: func() string { return eldergate.ClockUnsynced }}
	env, err := m.New(eldergate.KindAudit, at, map[string]string{"type": "x"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := uuid.Parse(env.ID)
	if err != nil || id.Version() != 7 {
		t.Fatalf("id %q is not a UUIDv7: %v", env.ID, err)
	}
	if env.Kind != eldergate.KindAudit || env.GW != "gw-t1" || env.Site != "s1" || env.Boot != 3 ||
		env.At.Location() != time.UTC || !env.At.Equal(at) || env.Clock != eldergate.ClockUnsynced {
		t.Fatalf("envelope = %+v", env)
	}
	var data map[string]string
	if err := json.Unmarshal(env.Data, &data); err != nil || data["type"] != "x" {
		t.Fatalf("data %s: %v", env.Data, err)
	}
	if env, _ := (envelope.Maker{}).New(eldergate.KindAudit, at, nil); env.Clock != eldergate.ClockSynced {
		t.Fatalf("no clock: %q", env.Clock)
	}
	if _, err := m.New(eldergate.KindAudit, at, make(chan int)); err == nil {
		t.Fatal("unencodable data accepted")
	}
}
