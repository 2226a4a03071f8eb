package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
)

// TestRealDriversFromConfig: the configuration selects real drivers by
// name; an RDM6300 card reader and an A&D scale on pseudo-terminals feed
// the gateway through tarm/serial, a tap is decided with the stable weight,
// and /api/status reports the devices.
func TestRealDriversFromConfig(t *testing.T) {
	reader, scaleDev := serialtest.New(t), serialtest.New(t)
	c := &clock{t: lunch}
	cfg := testConfig(t, t.TempDir(), deadBroker(t))
	cfg.Simulation = false
	cfg.Devices.Card = config.DeviceConfig{Driver: "rdm6300", Name: "counter-reader", Port: reader.Path(), Settings: map[string]string{"repeat": "0"}}
	cfg.Devices.Scale = config.DeviceConfig{Driver: "and", Name: "counter-scale", Port: scaleDev.Path()}
	cfg.Devices.Button = config.DeviceConfig{Driver: "none"}
	cfg.Roster = append(cfg.Roster, eldergate.Elder{ID: "E9", Name: "王建国", Card: "E3086CED", Active: true})
	g := start(t, cfg, c)
	events := subscribe(t, g.HTTPURL())

	type status struct {
		Devices []struct {
			Name      string `json:"name"`
			Driver    string `json:"driver"`
			Connected bool   `json:"connected"`
		} `json:"devices"`
	}
	connected := func() int {
		resp, err := http.Get(g.HTTPURL() + "/api/status")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st status
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, d := range st.Devices {
			if d.Connected && (d.Driver == "rdm6300" || d.Driver == "and") {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for connected() != 2 {
		if time.Now().After(deadline) {
			t.Fatal("devices not reported connected in /api/status")
		}
		time.Sleep(20 * time.Millisecond)
	}

	scaleDev.Write([]byte("garbage\r\nST,+000420.0  g\r\n"))
	var w struct {
		Grams int64  `json:"grams"`
		State string `json:"state"`
	}
	next(t, events, "weight", &w)
	if w.Grams != 420 || w.State != "stable" {
		t.Fatalf("weight = %+v", w)
	}
	reader.Write([]byte("\x00noise\x0262E3086CED08\x03"))
	var ev tapdesk.TapEvent
	next(t, events, "tap", &ev)
	if ev.Decision != eldergate.DecisionApproved || ev.ElderName != "王*国" || ev.WeightG != 420 {
		t.Fatalf("tap through rdm6300 = %+v", ev)
	}
	rows, err := g.Outbox(context.Background())
	if err != nil || len(rows) == 0 {
		t.Fatalf("outbox = %v, %v", rows, err)
	}
}
