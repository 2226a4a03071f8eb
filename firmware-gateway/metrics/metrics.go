// Package metrics is the gateway's small hand-written metrics registry,
// exposed in the Prometheus text format (version 0.0.4) on GET /metrics.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers"
)

// Registry holds the counters and the histogram. Gauges are read by the
// owner at scrape time and handed to Write. It is safe for concurrent use.
type Registry struct {
	mu   sync.Mutex
	taps map[[2]string]uint64 // decision, reason -> count

	tapSeconds *histogram

	voids              atomic.Uint64
	heartbeats         atomic.Uint64
	heartbeatsReplaced atomic.Uint64
	pruned             atomic.Uint64
}

// Gauges are the values read at scrape time.
type Gauges struct {
	Outbox          *Outbox // nil: the store did not answer
	UplinkConnected bool
	Devices         []drivers.Status
	ClockSynced     bool
	JumpsForward    int
	JumpsBackward   int
	DiskFreeBytes   uint64
	DiskFull        bool
	Boot            uint64
	Uptime          time.Duration
	Version         string
}

// Outbox are the gauges of the outbox.
type Outbox struct {
	Pending     int
	OldestAge   time.Duration // of the oldest undelivered event
	DeadLetters int
}

// tapBuckets bound the tap → durable commit latency, in seconds.
var tapBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// New returns an empty registry.
func New() *Registry {
	return &Registry{taps: map[[2]string]uint64{}, tapSeconds: newHistogram(tapBuckets)}
}

// Tap counts one tap or manual meal by decision and reason.
func (m *Registry) Tap(decision, reason string) {
	if reason == "" {
		reason = eldergate.ReasonOK
	}
	m.mu.Lock()
	m.taps[[2]string{decision, reason}]++
	m.mu.Unlock()
}

// TapSeconds observes the time from a read to the durable commit.
func (m *Registry) TapSeconds(v float64) { m.tapSeconds.observe(v) }

// Voided counts a meal voided by staff.
func (m *Registry) Voided() { m.voids.Add(1) }

// Heartbeat counts a heartbeat recorded.
func (m *Registry) Heartbeat() { m.heartbeats.Add(1) }

// HeartbeatsReplaced counts undelivered heartbeats replaced by a newer
// one and returns the total since start.
func (m *Registry) HeartbeatsReplaced(n uint64) uint64 { return m.heartbeatsReplaced.Add(n) }

// Pruned counts delivered rows deleted by the retention.
func (m *Registry) Pruned(n uint64) { m.pruned.Add(n) }

type histogram struct {
	mu     sync.Mutex
	bounds []float64
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	n      uint64
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v: "le" semantics
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.mu.Unlock()
}

// promWriter writes the exposition format.
type promWriter struct {
	w   *bufio.Writer
	err error
}

func (p *promWriter) family(name, typ, help string) {
	fmt.Fprintf(p.w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func (p *promWriter) sample(name string, v float64, labels ...string) {
	p.w.WriteString(name)
	if len(labels) > 0 {
		p.w.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				p.w.WriteByte(',')
			}
			p.w.WriteString(labels[i])
			p.w.WriteString(`="`)
			p.w.WriteString(escapeLabel(labels[i+1]))
			p.w.WriteByte('"')
		}
		p.w.WriteByte('}')
	}
	p.w.WriteByte(' ')
	p.w.WriteString(formatFloat(v))
	p.w.WriteByte('\n')
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Write writes every metric in the exposition format.
func (m *Registry) Write(w io.Writer, g Gauges) error {
	p := &promWriter{w: bufio.NewWriter(w)}

	p.family("eldergate_taps_total", "counter", "Card taps and manual meals by decision and reason.")
	m.mu.Lock()
	keys := make([][2]string, 0, len(m.taps))
	for k := range m.taps {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		p.sample("eldergate_taps_total", float64(m.taps[k]), "decision", k[0], "reason", k[1])
	}
	m.mu.Unlock()

	p.family("eldergate_tap_commit_seconds", "histogram", "Time from a card read to the durable commit of its meal (decision included).")
	h := m.tapSeconds
	h.mu.Lock()
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		p.sample("eldergate_tap_commit_seconds_bucket", float64(cum), "le", formatFloat(b))
	}
	cum += h.counts[len(h.bounds)]
	p.sample("eldergate_tap_commit_seconds_bucket", float64(cum), "le", "+Inf")
	p.sample("eldergate_tap_commit_seconds_sum", h.sum)
	p.sample("eldergate_tap_commit_seconds_count", float64(h.n))
	h.mu.Unlock()

	p.family("eldergate_meal_voids_total", "counter", "Meals voided by staff.")
	p.sample("eldergate_meal_voids_total", float64(m.voids.Load()))
	p.family("eldergate_heartbeats_total", "counter", "Heartbeat events recorded.")
	p.sample("eldergate_heartbeats_total", float64(m.heartbeats.Load()))
	p.family("eldergate_heartbeats_replaced_total", "counter", "Undelivered heartbeats replaced by a newer one.")
	p.sample("eldergate_heartbeats_replaced_total", float64(m.heartbeatsReplaced.Load()))
	p.family("eldergate_pruned_rows_total", "counter", "Delivered outbox and meal rows deleted by the retention.")
	p.sample("eldergate_pruned_rows_total", float64(m.pruned.Load()))

	if o := g.Outbox; o != nil {
		p.family("eldergate_outbox_depth", "gauge", "Events neither delivered nor rejected.")
		p.sample("eldergate_outbox_depth", float64(o.Pending))
		p.family("eldergate_outbox_oldest_undelivered_seconds", "gauge", "Age of the oldest undelivered event (0 when none).")
		p.sample("eldergate_outbox_oldest_undelivered_seconds", o.OldestAge.Seconds())
		p.family("eldergate_outbox_dead_letters", "gauge", "Events the cloud rejected, kept locally.")
		p.sample("eldergate_outbox_dead_letters", float64(o.DeadLetters))
	}
	p.family("eldergate_uplink_connected", "gauge", "1 when the MQTT connection is up.")
	p.sample("eldergate_uplink_connected", b2f(g.UplinkConnected))
	p.family("eldergate_device_connected", "gauge", "1 when the device answers.")
	for _, d := range g.Devices {
		p.sample("eldergate_device_connected", b2f(d.Connected), "device", d.Name, "driver", d.Driver)
	}
	p.family("eldergate_clock_synced", "gauge", "1 when the clock is synchronised (events are stamped \"synced\").")
	p.sample("eldergate_clock_synced", b2f(g.ClockSynced))
	p.family("eldergate_clock_jumps_total", "counter", "Wall-clock jumps seen since start.")
	p.sample("eldergate_clock_jumps_total", float64(g.JumpsForward), "direction", "forward")
	p.sample("eldergate_clock_jumps_total", float64(g.JumpsBackward), "direction", "backward")
	p.family("eldergate_disk_free_bytes", "gauge", "Free bytes in the data directory's file system.")
	p.sample("eldergate_disk_free_bytes", float64(g.DiskFreeBytes))
	p.family("eldergate_disk_full", "gauge", "1 while the disk counts as full (meals refused, alarms recorded).")
	p.sample("eldergate_disk_full", b2f(g.DiskFull))
	p.family("eldergate_boot", "gauge", "Boot counter of this start.")
	p.sample("eldergate_boot", float64(g.Boot))
	p.family("eldergate_uptime_seconds", "gauge", "Seconds since the gateway started.")
	p.sample("eldergate_uptime_seconds", g.Uptime.Seconds())
	p.family("eldergate_build_info", "gauge", "Version of the running gateway.")
	p.sample("eldergate_build_info", 1, "version", g.Version)

	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// OldestAge is how long the oldest undelivered event has waited.
func OldestAge(now, oldest time.Time) time.Duration {
	if oldest.IsZero() || now.Before(oldest) {
		return 0
	}
	return now.Sub(oldest)
}
