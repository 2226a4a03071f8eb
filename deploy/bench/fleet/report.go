package fleet

import (
	"fmt"
	"time"

	"github.com/eldergate/eldergate/deploy/benchdoc"
)

// Targets of issue 15.
const (
	TargetReconnect  = 30 * time.Second
	TargetAlarmP99   = 100 * time.Millisecond
	TargetPerGateway = 50 << 10
	TargetEnroll     = 60 * time.Second
)

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func restartHow(killed bool) string {
	if killed {
		return "; the cloud did not stop within 20 s of SIGTERM and was killed"
	}
	return "; SIGTERM"
}

func (l Latency) String() string {
	return fmt.Sprintf("p50 %s, p99 %s, max %s (%d alarms; %d not on the board 10 s after the phase ended)", ms(l.P50), ms(l.P99), ms(l.Max), l.N, l.Lost)
}

func (l Latency) ok() bool { return l.N > 0 && l.Lost == 0 && l.P99 <= TargetAlarmP99 }

// Table is the report as the rows of docs/PERFORMANCE.md's section
// bench-fleet.
func (r Report) Table(command string) benchdoc.Table {
	budget := r.KeepAlive * 3 / 2
	offline := "never, within the wait"
	if r.OfflineAll > 0 {
		offline = r.OfflineAll.Round(10 * time.Millisecond).String()
	}
	return benchdoc.Table{
		Title:   fmt.Sprintf("%d gateways on one cloud (embedded broker, SQLite, each gateway its own credentials)", r.Gateways),
		Command: command,
		Header:  []string{"figure", "measured", "target", "met"},
		Rows: [][]string{
			{fmt.Sprintf("bulk enrollment of %d (one CSV, then each gateway enrolls with its token)", r.Gateways),
				r.Enroll.Round(10 * time.Millisecond).String(), "≤ 60 s", met(r.Enroll <= TargetEnroll)},
			{"all connected, fresh fleet", r.FirstConnect.Round(10 * time.Millisecond).String(), "—", ""},
			{"all connected after a cloud restart (exec to the last CONNACK)" + restartHow(r.RestartKilled), r.Reconnect.Round(10 * time.Millisecond).String(), "≤ 30 s", met(r.Reconnect <= TargetReconnect)},
			{"cloud CPU while reconnecting / steady", fmt.Sprintf("%.0f %% / %.0f %% of one core", r.CPUConnect, r.CPUSteady), "—", ""},
			{"cloud RSS, empty / with the fleet", fmt.Sprintf("%d MB / %d MB", r.RSSEmpty>>20, r.RSSSteady>>20), "—", ""},
			{"cloud memory per connected gateway (RSS / gateways)", fmt.Sprintf("%.1f KB", float64(r.PerGateway())/1024), "≤ 50 KB", met(r.PerGateway() <= TargetPerGateway)},
			{"alarm → console SSE during the reconnect storm", r.Storm.String(), "p99 ≤ 100 ms", met(r.Storm.ok())},
			{"alarm → console SSE, steady (heartbeats, meals)", r.Steady.String(), "p99 ≤ 100 ms", met(r.Steady.ok())},
			{"steady load committed", fmt.Sprintf("%d meals, %d heartbeats", r.Meals, r.Heartbeats), "—", ""},
			{"mass disconnect: every gateway shown offline after", offline, fmt.Sprintf("≤ 1.5 × keepalive (%v)", budget),
				met(r.OfflineAll > 0 && r.OfflineAll <= budget)},
			{"mass disconnect: still shown online at 1.5 × keepalive", fmt.Sprint(r.OnlineAtBudget), "0", met(r.OnlineAtBudget == 0)},
		},
		Notes: []string{
			fmt.Sprintf("Load average %s before, %s after (2 cores shared with other work: timings are noisy).", r.LoadBefore, r.LoadAfter),
			"The cloud is its own process (`eldergate-cloud serve`); CPU and RSS are read from /proc for it alone. " +
				"Gateways: deploy/loadgen, heartbeat every 60 s, 20 meals/s for the whole fleet, keepalive 30 s; " +
				"alarms every 100 ms on a random connected gateway, timed from the gateway's publish call to the board's SSE change event. " +
				"A mass disconnect closes every gateway's socket without DISCONNECT (the broker publishes the wills). " +
				"Design: docs/adr/0039-fleet-on-one-broker.md.",
		},
	}
}
