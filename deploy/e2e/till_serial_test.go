package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	cloudsqlite "github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/policy"
)

// TestSerialTillMealInCloud (issue 11): a POS drives what it takes for
// its customer display on a serial line (a pty behind the till's port);
// the total it shows prices the next tap under the Shenzhen 2025 policy,
// and the cloud stores the meal with the subsidy, the funding layer and
// the serial till that priced it.
func TestSerialTillMealInCloud(t *testing.T) {
	env := startCloud(t, cloudConfig(t, ""))
	clock := &simClock{t: lastLunch(time.Now())}
	y, err := os.ReadFile(filepath.Join("..", "..", "docs", "policies", "shenzhen-2025.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(y)
	if err != nil {
		t.Fatal(err)
	}
	pos := serialtest.New(t)
	cfg := config.Config{
		GatewayID: gwID, Site: siteID, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0",
		Simulation: true, Policy: *p, TapDedupe: time.Second,
		Roster: []eldergate.Elder{
			{ID: "SZ75", Name: "王福寿", Card: "SZ0075", Birth: "1950-01-15", Active: true, Categories: []string{"低保"}, HukouLocal: true},
		},
		Till: config.TillConfig{Devices: []config.TillDevice{
			{ID: "till-2", Driver: "serial", Port: pos.Path(), Baud: 9600, Protocol: "customer_display", Settings: map[string]string{"settle": "50ms"}},
		}},
	}
	cfg.MQTT.URL, cfg.MQTT.Password = env.c.BrokerURL(), gwSecret
	cfg.MQTT.BatchWait, cfg.MQTT.AckTimeout, cfg.MQTT.KeepAlive = 20*time.Millisecond, 2*time.Second, 5*time.Second
	cfg.ApplyDefaults()
	g, err := gateway.New(cfg, gateway.WithLogger(logger(t).With("side", "gateway")), gateway.WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	events := subscribe(t, g.HTTPURL())

	// The POS as GiPOS drives an LED8 display: the number, then its light.
	eventually(t, 5*time.Second, "till-2 connected", func() bool {
		resp, err := http.Get(g.HTTPURL() + "/api/status")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var st struct{ Devices []drivers.Status }
		if json.NewDecoder(resp.Body).Decode(&st) != nil {
			return false
		}
		for _, d := range st.Devices {
			if d.Name == "till-2" && d.Connected {
				return true
			}
		}
		return false
	})
	pos.Write([]byte("\x1b@\x1bQA18.00\r\x1bs1\x1bQA22.00\r\x1bs2"))
	var pending struct {
		State     string        `json:"state"`
		AmountFen eldergate.Fen `json:"amount_fen"`
	}
	if err := json.Unmarshal(next(t, events, "till", 5*time.Second), &pending); err != nil || pending.State != "pending" || pending.AmountFen != 2200 {
		t.Fatalf("till event: %+v, %v", pending, err)
	}
	shown := tap(t, g, events, "SZ0075")
	if shown.Decision != eldergate.DecisionApproved || shown.PriceFen != 2200 || shown.SubsidyFen != 1500 || shown.PayFen != 700 {
		t.Fatalf("kiosk: %+v", shown)
	}

	db := openRO(t, filepath.Join(env.cfg.DataDir, cloudsqlite.FileName))
	var raw string
	eventually(t, 10*time.Second, "the meal in the cloud", func() bool {
		return db.QueryRow(`SELECT data FROM events WHERE id = ?`, shown.EventID).Scan(&raw) == nil
	})
	m, err := eldergate.DecodeMealData([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.PolicyVer != "shenzhen-2025.1" || m.PriceFen != 2200 || m.SubsidyFen != 1500 || m.Rule != "priority-60" ||
		len(m.Funding) != 1 || m.Funding[0].Layer != "city" || m.Funding[0].Fen != 1500 ||
		m.PriceSource != eldergate.PriceSourceTill || m.Till != "till-2" || m.TillRef != "" {
		t.Fatalf("meal in the cloud: %+v", m)
	}
}
