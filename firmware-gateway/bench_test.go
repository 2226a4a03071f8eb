package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/deploy/testenv"
	gateway "github.com/eldergate/eldergate/firmware-gateway"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/policy"
)

// BenchmarkTapToSSE measures one tap as the kiosk sees it: POST
// /api/sim/tap → dedupe → roster lookup → decision → one SQLite
// transaction committed with synchronous=FULL → the SSE "tap" event read
// by a client. The uplink runs against a local Mosquitto with an acking
// consumer, so batches are read, sent and marked delivered on the same
// writer while taps commit. Taps are one at a time, as at a counter.
// It reports the latency percentiles of the taps.
func BenchmarkTapToSSE(b *testing.B) {
	const elders = 10_000
	m := testenv.StartMosquitto(b, map[string]string{"gw-bench": "gw-secret", "acker": "acker-secret"}, "")
	testenv.StartAcker(b, m.URL, "acker", "acker-secret")

	roster := make([]eldergate.Elder, elders)
	for i := range roster {
		roster[i] = eldergate.Elder{ID: fmt.Sprintf("E%05d", i+1), Name: "张三明", Card: fmt.Sprintf("C%05d", i+1), Active: true}
	}
	cfg := config.Config{
		GatewayID: "gw-bench", Site: "site-bench", DataDir: b.TempDir(), HTTPAddr: "127.0.0.1:0", Simulation: true,
		Policy: policy.MustFlat("bench", "Asia/Shanghai", []policy.FlatWindow{
			{Name: "am", Start: "00:00", End: "12:00", PriceFen: 1500, SubsidyFen: 1000},
			{Name: "pm", Start: "12:00", End: "24:00", PriceFen: 1500, SubsidyFen: 1000},
		}...),
		Roster: roster,
	}
	cfg.MQTT.URL, cfg.MQTT.Password = m.URL, "gw-secret"
	g, err := gateway.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.HTTPURL()+"/api/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); resp.Body.Close() })
	taps := make(chan string, 16)
	go func() {
		defer close(taps)
		testenv.ReadSSE(resp.Body, func(event, data string) {
			if event == "tap" {
				taps <- data
			}
		})
	}()

	client := &http.Client{Timeout: 10 * time.Second}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := fmt.Sprintf(`{"card":"C%05d"}`, i%elders+1) // beyond the roster: refused, still committed
		start := time.Now()
		r, err := client.Post(g.HTTPURL()+"/api/sim/tap", "application/json", bytes.NewReader([]byte(body)))
		if err != nil {
			b.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusAccepted {
			b.Fatalf("tap: status %d", r.StatusCode)
		}
		select {
		case data, ok := <-taps:
			if !ok {
				b.Fatal("SSE stream closed")
			}
			lat = append(lat, time.Since(start))
			var ev struct {
				EventID string `json:"event_id"`
			}
			if json.Unmarshal([]byte(data), &ev) != nil || ev.EventID == "" {
				b.Fatalf("tap not recorded: %s", data)
			}
		case <-time.After(10 * time.Second):
			b.Fatal("no tap event within 10s")
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
