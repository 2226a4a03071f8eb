package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// The staff screen's board (GET /api/staff/today: today's meal counts and
// every device's state) and the operator screen (GET /api/operator/status,
// POST /api/operator/test/{test}), for a staff session; the operator
// routes only for a session with the operator role (403 otherwise).

// ErrForbidden is wrapped by a backend when the session's role may not do
// this (403).
var ErrForbidden = errors.New("this needs the operator role")

// Device states of DeviceState.State.
const (
	DeviceOK           = "ok"           // connected, no fault
	DeviceDisconnected = "disconnected" // does not answer
	DevicePaperOut     = "paper_out"    // the printer has no paper
	DeviceFault        = "fault"        // answers but reports an error
	DeviceAlert        = "alert"        // a button with a live supervision alert (Reason)
)

// DeviceState is one device as the staff and operator screens show it:
// the kiosk turns Kind and State into words and an icon.
type DeviceState struct {
	Kind   string    `json:"kind"` // card | scale | button | alarm_button | buzzer | led | siren | printer | voice | uplink
	Name   string    `json:"name"`
	Driver string    `json:"driver,omitempty"`
	State  string    `json:"state"`            // Device*
	Reason string    `json:"reason,omitempty"` // alert: the supervision reason (button_silent, battery_low, ...)
	Error  string    `json:"error,omitempty"`  // the driver's words, for the operator
	Since  time.Time `json:"since,omitzero"`
}

// StaffToday is the body of GET /api/staff/today.
type StaffToday struct {
	Day      string        `json:"day"`       // the site's local day, YYYY-MM-DD
	TimeZone string        `json:"time_zone"` // the site's IANA zone
	Counts   any           `json:"counts"`    // the day's meal counts, per window and in total
	Devices  []DeviceState `json:"devices"`
}

// OperatorStatus is the body of GET /api/operator/status.
type OperatorStatus struct {
	Devices []DeviceState `json:"devices"`
	Outbox  struct {
		Pending          int       `json:"pending"`
		DeadLetters      int       `json:"dead_letters"`
		OldestPending    time.Time `json:"oldest_pending,omitzero"`
		OldestAgeSeconds int64     `json:"oldest_age_seconds"`
	} `json:"outbox"`
	Clock struct {
		State         string    `json:"state"`            // synced | unsynced
		Reason        string    `json:"reason,omitempty"` // unsynced: kernel_unsynced | before_build_time | behind_floor
		Now           time.Time `json:"now"`
		JumpsForward  int       `json:"jumps_forward"`
		JumpsBackward int       `json:"jumps_backward"`
	} `json:"clock"`
	Network struct {
		UplinkConnected bool      `json:"uplink_connected"`
		Broker          string    `json:"broker"` // host:port, no credentials
		LastAck         time.Time `json:"last_ack,omitzero"`
		Addresses       []string  `json:"addresses"` // the host's IP addresses
	} `json:"network"`
	Version       string    `json:"version"`
	Boot          uint64    `json:"boot"`
	StartedAt     time.Time `json:"started_at"`
	UptimeSeconds int64     `json:"uptime_seconds"`
	Enrollment    struct {
		GatewayID   string `json:"gateway_id"`
		Site        string `json:"site"`
		SiteName    string `json:"site_name,omitempty"`
		Credentials bool   `json:"credentials"`      // broker credentials present (never shown)
		Source      string `json:"source,omitempty"` // file (enrolled) | config
	} `json:"enrollment"`
	Roster struct {
		Version   uint64    `json:"version"`
		Elders    int       `json:"elders"`
		UpdatedAt time.Time `json:"updated_at,omitzero"`
	} `json:"roster"`
	Policy struct {
		Version  string `json:"version"`
		TimeZone string `json:"time_zone"`
	} `json:"policy"`
}

// Operator tests.
const (
	TestBeep   = "beep"
	TestTicket = "ticket"
	TestScale  = "scale"
	TestCard   = "card"
)

// Results of an operator test (OperatorTest.Result).
const (
	TestBeeped    = "beeped"     // Played says which
	TestPrinted   = "printed"    // the test ticket was printed
	TestPaperOut  = "paper_out"  // not printed: no paper
	TestWeight    = "weight"     // Grams, Stable
	TestNoReading = "no_reading" // the scale has sent nothing
	TestCardRead  = "card"       // Card (masked)
	TestNoCard    = "no_card"    // no card within the wait
	TestNoDevice  = "no_device"  // none configured
	TestFailed    = "failed"     // Error says why
)

// OperatorTest is the answer to POST /api/operator/test/{test}.
type OperatorTest struct {
	Test    string    `json:"test"`
	Result  string    `json:"result"`
	Played  []string  `json:"played,omitempty"` // beep: buzzer, led
	Grams   *int64    `json:"grams,omitempty"`
	Stable  bool      `json:"stable"`
	Card    string    `json:"card,omitempty"` // masked
	Error   string    `json:"error,omitempty"`
	EventID string    `json:"event_id,omitempty"` // the audit event
	At      time.Time `json:"at"`
}

// BoardBackend is what the staff screen's board asks of the gateway.
type BoardBackend interface {
	StaffToday(ctx context.Context, token string) (StaffToday, error)
}

// OperatorBackend is what the operator screen asks of the gateway. Each
// call checks that the session has the operator role (ErrForbidden).
type OperatorBackend interface {
	OperatorStatus(ctx context.Context, token string) (OperatorStatus, error)
	OperatorTest(ctx context.Context, token, test string) (OperatorTest, error)
}

func (s *Server) boardRoutes(mux *http.ServeMux, b BoardBackend) {
	mux.HandleFunc("GET /api/staff/today", func(w http.ResponseWriter, r *http.Request) {
		out, err := b.StaffToday(r.Context(), bearer(r))
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

func (s *Server) operatorRoutes(mux *http.ServeMux, b OperatorBackend) {
	mux.HandleFunc("GET /api/operator/status", func(w http.ResponseWriter, r *http.Request) {
		out, err := b.OperatorStatus(r.Context(), bearer(r))
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	// No body: the bearer token keeps other pages from posting here.
	mux.HandleFunc("POST /api/operator/test/{test}", func(w http.ResponseWriter, r *http.Request) {
		test := r.PathValue("test")
		switch test {
		case TestBeep, TestTicket, TestScale, TestCard:
		default:
			s.fail(w, http.StatusNotFound, errors.New("no such test: beep, ticket, scale or card"))
			return
		}
		out, err := b.OperatorTest(r.Context(), bearer(r), test)
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}
