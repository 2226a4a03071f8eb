// Package domain holds the cloud's domain types and the Store interface.
//
// They live in their own package so that the implementation packages
// (sqlite/, broker/, ingest/, http/) can import them while package cloud,
// which wires those implementations together, re-exports them as aliases
// (cloud.Meal, cloud.Store, ...).
package domain

import (
	"context"
	"errors"
	"time"

	"github.com/eldergate/eldergate"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a state change is not allowed from the
// current state (e.g. acknowledging an alert that is already closed).
var ErrConflict = errors.New("conflict")

// ErrInvalid is returned for a request whose values break a rule (an
// unknown alert outcome, ...); the message says which.
var ErrInvalid = errors.New("invalid")

// Meal is one meal event as the cloud stored it.
type Meal struct {
	EventID    string        `json:"event_id"`
	GW         string        `json:"gw"`
	Site       string        `json:"site"`
	ElderID    string        `json:"elder_id"`
	Window     string        `json:"window"`
	Day        string        `json:"day"`
	Decision   string        `json:"decision"`
	Reason     string        `json:"reason"`
	PriceFen   eldergate.Fen `json:"price_fen"`
	SubsidyFen eldergate.Fen `json:"subsidy_fen"`
	PayFen     eldergate.Fen `json:"pay_fen"`
	WeightG    int64         `json:"weight_g,omitempty"`
	PolicyVer  string        `json:"policy_version,omitempty"`
	// Where a till-priced meal's price came from (till, cashier or menu)
	// and, priced from the site's menu, the dishes picked: read from the
	// meal event, whose items the ingester checked add up to the price.
	PriceSource string               `json:"price_source,omitempty"`
	Items       []eldergate.MenuLine `json:"items,omitempty"`
	At          time.Time            `json:"at"`          // when the gateway decided, UTC
	ReceivedAt  time.Time            `json:"received_at"` // when the cloud committed it, UTC
}

// AlertState is the workflow state of an alert.
type AlertState string

// The alert states.
const (
	AlertOpen         AlertState = "open"
	AlertAcknowledged AlertState = "acknowledged"
	AlertFalseAlarm   AlertState = "false_alarm"
	AlertResolved     AlertState = "resolved"
)

// Alert is one alert in the cloud's workflow (rules: ApplyAlertEvent,
// Alert.Ack, Alert.Resolve). Presses of the same button while it is open
// merge into it; after the acknowledgement they are "pressed again".
type Alert struct {
	ID       string     `json:"id"`
	GW       string     `json:"gw"`
	Site     string     `json:"site"`
	Button   string     `json:"button"`
	Type     string     `json:"type"`
	Place    string     `json:"place,omitempty"`
	State    AlertState `json:"state"`
	Presses  int        `json:"presses"`
	OpenedAt time.Time  `json:"opened_at"`
	LastAt   time.Time  `json:"last_at"`
	AckedAt  *time.Time `json:"acked_at"`
	AckedBy  string     `json:"acked_by"`  // the API token (name, else id) that acknowledged it
	AckedVia AckVia     `json:"acked_via"` // console, kiosk or api; "" before it was recorded
	// PressedAgainAt is the latest press after the acknowledgement (the
	// alert shows "pressed again"); nil when there was none.
	PressedAgainAt *time.Time   `json:"pressed_again_at"`
	ClosedAt       *time.Time   `json:"closed_at"`
	ClosedBy       string       `json:"closed_by"`   // the API token, or "gateway" for an elder's cancel
	Outcome        AlertOutcome `json:"outcome"`     // set when closed
	Note           string       `json:"note"`        // the resolver's note
	GWAlertID      string       `json:"gw_alert_id"` // the gateway's id of the first press
	FirstEvent     string       `json:"first_event"` // event id that opened it
	ButtonName     string       `json:"button_name"` // the button's configured name
	Reason         string       `json:"reason"`      // a supervision alert's eldergate.Supervise... reason
	Escalation     Escalation   `json:"escalation"`
	// Version counts the changes a kiosk shows (opened, pressed, acked,
	// closed); the alarm runner sends each to the site's gateways.
	Version int `json:"version"`
}

// AlertLogEntry is one line of an alert's timeline (append-only).
type AlertLogEntry struct {
	Seq     int64     `json:"seq"`
	AlertID string    `json:"alert_id"`
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"` // one of the AlertLog... kinds
	By      string    `json:"by,omitempty"`
	Via     string    `json:"via,omitempty"`   // console | kiosk | api | gateway | cloud; a delivery's channel kind
	Level   string    `json:"level,omitempty"` // the org unit told (escalation, delivery)
	Detail  string    `json:"detail,omitempty"`
}

// The kinds of alert log entries.
const (
	AlertLogOpened       = "opened"
	AlertLogPressed      = "pressed"       // merged into the open alert
	AlertLogPressedAgain = "pressed_again" // after the acknowledgement
	AlertLogAcknowledged = "acknowledged"
	AlertLogResolved     = "resolved"    // Detail: the outcome
	AlertLogFalseAlarm   = "false_alarm" // closed as a false alarm (cancel or outcome)
	AlertLogCleared      = "cleared"     // supervision: the device is back
	AlertLogNotified     = "notified"    // Detail: the step; Level: the unit told
	AlertLogEscalated    = "escalated"   // Level: the unit it climbed to
	AlertLogSkipped      = "skipped"     // Level: a unit off duty
	AlertLogDelivery     = "delivery"    // By: the channel id, Via: its kind, Detail: "ok" or the error
)

// Gateway is one device as the console shows it.
type Gateway struct {
	ID          string     `json:"id"`
	Site        string     `json:"site"`
	Name        string     `json:"name,omitempty"` // given at a bulk creation (fleet.go)
	Online      bool       `json:"online"`
	Boot        uint64     `json:"boot"`
	Version     string     `json:"version,omitempty"`
	Platform    string     `json:"platform,omitempty"` // what its birth says it was built for
	StateAt     *time.Time `json:"state_at"`           // last birth or will applied
	LastEventAt *time.Time `json:"last_event_at"`      // last batch committed
	LastSeen    *time.Time `json:"last_seen"`          // the later of the two

	// Sequence tracking. seq is a per-gateway counter persisted across
	// boots, so gaps are counted per gateway: SeqGaps is how many seqs
	// between the lowest and the highest committed are missing.
	SeqMax  uint64 `json:"seq_max"`
	SeqGaps int64  `json:"seq_gaps"`
	// ClockSkewMs is receipt minus the envelope's at, in ms, of the
	// freshest event of the last batch (the smallest difference, so
	// backlog is not counted as skew); nil before the first batch.
	// Positive: the gateway's clock is behind (or transport latency).
	ClockSkewMs *int64 `json:"clock_skew_ms"`

	// ConfigStatus is set by the API from ConfigStore.ConfigStatuses
	// (in_sync, pending, failed, unknown); the List methods leave it empty.
	ConfigStatus string `json:"config_status,omitempty"`
	// Roster is which roster the gateway says it runs (the cloud's or its
	// local seed, ADR 0025), set by the API from RosterStore.GatewayRosters;
	// nil: never reported.
	Roster *eldergate.RosterReport `json:"roster"`
}

// GatewayBatch is the valid events of one up batch of gateway GW.
type GatewayBatch struct {
	GW     string
	Events []eldergate.Envelope
}

// GatewayStateAt is a gateway's birth or will received at At
// (Store.ApplyGatewayStates).
type GatewayStateAt struct {
	GW    string
	State eldergate.State
	At    time.Time
}

// Later returns the later of two optional times (nil when both are nil):
// a gateway's LastSeen is the later of its StateAt and LastEventAt.
func Later(a, b *time.Time) *time.Time {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case b.After(*a):
		return b
	}
	return a
}

// SeqStats is the sequence tracking of one gateway.
type SeqStats struct {
	Min, Max uint64
	Count    int64 // committed events (seq is unique per gateway)
	Gaps     int64 // Max-Min+1-Count
}

// SeqTally counts the sequence numbers of the events a transaction stores
// fresh for one gateway: what it adds to the gateway's counters.
type SeqTally struct {
	Lo, Hi, N int64
}

// Add counts one fresh event of sequence number seq.
func (t *SeqTally) Add(seq uint64) {
	v := int64(seq)
	if t.N == 0 || v < t.Lo {
		t.Lo = v
	}
	if t.N == 0 || v > t.Hi {
		t.Hi = v
	}
	t.N++
}

// NewSeqStats builds the statistics of a gateway whose committed events
// have sequence numbers from lo to hi, n of them distinct.
func NewSeqStats(lo, hi, n int64) SeqStats {
	st := SeqStats{Min: uint64(lo), Max: uint64(hi), Count: n}
	if n > 0 {
		st.Gaps = hi - lo + 1 - n
	}
	return st
}

// Rejection is one dead-letter row: a payload or event the ingester
// refused, with the reason it told the gateway.
type Rejection struct {
	ID            int64     `json:"id"`
	GW            string    `json:"gw"`
	EventID       string    `json:"event_id"` // empty when the whole payload was refused
	Reason        string    `json:"reason"`
	PayloadPrefix string    `json:"payload_prefix"` // first bytes, for diagnosis
	At            time.Time `json:"at"`
}

// GatewayCredential is what the store keeps to authenticate a gateway on
// the broker. SecretHash is produced by HashSecret.
type GatewayCredential struct {
	ID         string
	Site       string
	SecretHash string
	RevokedAt  *time.Time // set once the gateway is revoked; it may never connect again
}

// The store is split into small interfaces, one per consumer, so that
// each consumer depends on the few methods it uses (the ingester declares
// its own in cloud/ingest). Store composes them for the wiring. Every
// implementation (cloud/sqlite, cloud/postgres, both over cloud/sqlstore)
// must pass storetest.Run. Times passed in are stored in UTC; times
// returned are UTC.

// CredentialStore keeps what authenticates a gateway on the broker.
type CredentialStore interface {
	// UpsertGateway creates the gateway or updates its site and secret hash.
	UpsertGateway(ctx context.Context, c GatewayCredential) error
	// GatewayCredential returns the stored credential of gateway id, or
	// ErrNotFound.
	GatewayCredential(ctx context.Context, id string) (GatewayCredential, error)
}

// EnrollmentStore provisions gateways with one-time tokens.
type EnrollmentStore interface {
	// CreateEnrollment creates gateway c (ErrConflict when the id exists)
	// with an enrollment token, stored by its HashToken, that expires at
	// expiresAt.
	CreateEnrollment(ctx context.Context, c GatewayCredential, tokenHash string, createdAt, expiresAt time.Time) error
	// ConsumeEnrollment uses the token once: it sets the gateway's secret
	// hash and returns the gateway. ErrNotFound for an unknown token,
	// ErrTokenUsed, ErrTokenExpired (expiresAt <= now), ErrRevoked.
	ConsumeEnrollment(ctx context.Context, tokenHash, secretHash string, now time.Time) (GatewayCredential, error)
	// RevokeGateway marks the gateway revoked and clears its secret hash
	// (ErrNotFound when there is no such gateway). Revoking twice keeps
	// the first time.
	RevokeGateway(ctx context.Context, id string, at time.Time) error
}

// EventStore is what the ingester writes: events, dead letters and the
// gateways' states.
type EventStore interface {
	// IngestBatch stores valid events of gateway gw in one transaction,
	// insert-if-absent on the event id. It returns the ids of all events
	// that are now stored, including those stored before (so the gateway
	// stops resending them). Meal events create a meal row; alert events
	// open, merge into or cancel alerts (ApplyAlertEvent).
	IngestBatch(ctx context.Context, gw string, events []eldergate.Envelope, receivedAt time.Time) (committedIDs []string, err error)
	// IngestBatches stores several batches, of one or several gateways, in
	// ONE transaction, each exactly as IngestBatch would (an event of
	// another gateway than its batch's is never committed for it);
	// committed[i] is what IngestBatch would have returned for batches[i].
	// It also maintains each gateway's sequence counters (SeqStats) in the
	// same transaction. Either all batches are stored or none.
	IngestBatches(ctx context.Context, batches []GatewayBatch, receivedAt time.Time) (committed [][]string, err error)
	// RecordRejection adds a row to the dead-letter table.
	RecordRejection(ctx context.Context, gw, reason, eventID string, payloadPrefix []byte, at time.Time) error
	// ApplyGatewayState applies a birth or will received at at. Ordering
	// rule: a state whose boot is lower than the stored boot is ignored;
	// a state of the same boot is applied only if at is not before the
	// stored state time (the ingester stamps at on receipt, before its
	// concurrent processing, so a birth and a will of one boot processed
	// out of order end in the state received last). applied reports false
	// when ignored.
	ApplyGatewayState(ctx context.Context, gw string, st eldergate.State, at time.Time) (applied bool, err error)
	// ApplyGatewayStates applies states in their order, each exactly as
	// ApplyGatewayState would, in ONE transaction: all or none.
	// applied[i] is what ApplyGatewayState would have returned for
	// states[i].
	ApplyGatewayStates(ctx context.Context, states []GatewayStateAt) (applied []bool, err error)
	// CountEvents returns the number of events stored.
	CountEvents(ctx context.Context) (int64, error)
	// GatewaySeq returns the sequence tracking of gateway gw (zero when it
	// has no events).
	GatewaySeq(ctx context.Context, gw string) (SeqStats, error)
}

// FleetStore is what the fleet monitor needs.
type FleetStore interface {
	// MarkSilentOffline marks offline every online gateway last seen (the
	// later of its state time and last batch) before seenBefore, or never
	// seen, and returns their ids ordered. A gateway so marked comes online
	// again with its next birth or with a batch received after its last
	// state (IngestBatch sets online then). Each is recorded as a presence
	// change (PresenceSilent) at now.
	MarkSilentOffline(ctx context.Context, seenBefore, now time.Time) (ids []string, err error)
}

// ViewStore is what the console reads. scope is an org unit id whose
// subtree the rows' sites must lie in, "" for everything (see OrgStore).
type ViewStore interface {
	// ListGateways returns the gateways in scope ordered by id.
	ListGateways(ctx context.Context, scope string) ([]Gateway, error)
	// ListMeals returns the latest ListLimit meals in scope, newest first.
	ListMeals(ctx context.Context, scope string) ([]Meal, error)
	// ListAlerts returns the latest ListLimit alerts in scope, newest first.
	ListAlerts(ctx context.Context, scope string) ([]Alert, error)
	// ListRejections returns the latest ListLimit dead-letter rows of the
	// gateways in scope ("" = all, including unknown gateways), newest first.
	ListRejections(ctx context.Context, scope string) ([]Rejection, error)
}

// AlertStore is the staff side of the alert workflow.
type AlertStore interface {
	// AckAlert moves an open alert to acknowledged, by whom and where
	// (rule: Alert.Ack). ErrNotFound when there is no such alert,
	// ErrConflict when it is not open, ErrInvalid for an unknown via.
	AckAlert(ctx context.Context, alertID, by string, via AckVia, at time.Time) error
	// ResolveAlert closes an open or acknowledged alert with an outcome
	// and a note (rule: Alert.Resolve). ErrNotFound, ErrConflict when it is
	// closed already, ErrInvalid for an unknown outcome or a long note.
	ResolveAlert(ctx context.Context, alertID, by string, via AckVia, r Resolution, at time.Time) error
}

// AlarmStore is what the alarm runner (cloud/alarm), the board and the
// settings pages need.
type AlarmStore interface {
	// AlarmLadder returns the levels an alert of site climbs: the site,
	// then its org ancestors up to the district, each with its stored
	// settings, else DefaultAlarmSettings of its level. A site outside
	// the tree has a ladder of itself alone.
	AlarmLadder(ctx context.Context, site string) ([]AlarmLevel, error)
	// PutAlarmSettings stores the settings of org unit (ParseAlarmSettings
	// checked them): ErrNotFound when there is no such unit.
	PutAlarmSettings(ctx context.Context, unit string, body []byte, by string, at time.Time) error
	// AlarmSettingsOf returns the stored settings document of unit, nil
	// when none is stored.
	AlarmSettingsOf(ctx context.Context, unit string) ([]byte, error)
	// DueAlerts returns up to limit alerts whose escalation is due at now,
	// the earliest first.
	DueAlerts(ctx context.Context, now time.Time, limit int) ([]Alert, error)
	// AdvanceEscalation stores next as the escalation of alert id if it is
	// still prev (another runner did not take it) and appends log, in one
	// transaction; claimed reports whether it did.
	AdvanceEscalation(ctx context.Context, id string, prev, next Escalation, log []AlertLogEntry) (claimed bool, err error)
	// AlertsToPush returns up to limit alerts changed since they were last
	// sent to their site's gateways.
	AlertsToPush(ctx context.Context, limit int) ([]Alert, error)
	// MarkAlertPushed records that version of alert id is being sent;
	// false when another runner did it already.
	MarkAlertPushed(ctx context.Context, id string, version int) (bool, error)
	// AppendAlertLog appends entries (deliveries).
	AppendAlertLog(ctx context.Context, entries ...AlertLogEntry) error
	// AlertLog returns the timeline of alert id, in order.
	AlertLog(ctx context.Context, id string) ([]AlertLogEntry, error)
	// AlertLogSince returns up to limit entries after seq, in order.
	AlertLogSince(ctx context.Context, seq int64, limit int) ([]AlertLogEntry, error)
	// AlertLogHead returns the seq of the latest timeline entry (0: none).
	AlertLogHead(ctx context.Context) (int64, error)
	// AlertsByID returns the alerts of ids that exist.
	AlertsByID(ctx context.Context, ids []string) ([]Alert, error)
	// BoardAlerts returns the alerts of the board in scope: every live
	// alert and those closed after closedAfter, newest first.
	BoardAlerts(ctx context.Context, scope string, closedAfter time.Time) ([]Alert, error)
	// RecordCloudAlert stores an alert event the cloud raised itself for a
	// gateway (a supervision alert of a silent gateway: seq 0, boot 0) and
	// applies it as an ingested one.
	RecordCloudAlert(ctx context.Context, e eldergate.Envelope) error
	// SilentGateways returns the gateways of a site seen at least once and
	// last seen before seenBefore, with no live gateway_silent alert.
	SilentGateways(ctx context.Context, seenBefore time.Time) ([]Gateway, error)
	// SilenceEnded returns the live gateway_silent alerts whose gateway
	// is online and was heard (a state or a batch) after the alert opened.
	SilenceEnded(ctx context.Context) ([]Alert, error)
	// AlertLogBetween returns the alerts opened in [from, to) in scope
	// with their whole timelines (the response report).
	AlertLogBetween(ctx context.Context, scope string, from, to time.Time) ([]Alert, []AlertLogEntry, error)
}

// CommandStore is the queue of commands to gateways.
type CommandStore interface {
	// QueueCommand stores a new command (ErrConflict when its id exists).
	QueueCommand(ctx context.Context, c Command) error
	// PendingCommands returns the commands of gw that have no result and
	// expire after now, oldest first.
	PendingCommands(ctx context.Context, gw string, now time.Time) ([]Command, error)
	// MarkCommandSent records that the command was published at at.
	MarkCommandSent(ctx context.Context, id string, at time.Time) error
	// RecordCommandResult stores the result of command id of gw. The first
	// result wins; a repeated one is ignored (nil). ErrNotFound when gw
	// has no such command.
	RecordCommandResult(ctx context.Context, gw, id string, ok bool, errText string, body []byte, at time.Time) error
	// ListCommands returns the latest ListLimit commands of gw, newest first.
	ListCommands(ctx context.Context, gw string) ([]Command, error)
}

// Store is the cloud's persistence: every small store, for the wiring.
type Store interface {
	CredentialStore
	EnrollmentStore
	EventStore
	FleetStore
	ViewStore
	AlertStore
	AlarmStore
	CommandStore
	GatewayStore    // a gateway's page, re-enrollment, bulk creation (fleet.go)
	OrgStore        // organisation tree and API tokens (org.go)
	RosterStore     // elders, roster versions, policies (roster.go)
	PolicyStore     // which site runs which policy (policy.go)
	ConfigStore     // desired and reported configuration (desired.go)
	MenuStore       // the menu of each site (menu.go)
	CareStore       // care rules and visits (care.go)
	StatsStore      // service statistics (stats.go)
	SettlementStore // the rows of the monthly settlement (settlement.go)
	StatementStore  // closed settlement statements (statement.go)
	ReconcileStore  // the meals and elders the reconciliation re-decides (reconcile.go)
	CharityStore    // charity funds and their publications (charity.go)
	ReviewStore     // the rows of the items to review (review.go)
	MealsStore      // the meals list (meals.go)
	UserStore       // the people who sign in and their sessions (user.go)
	AuditStore      // the append-only, hash-chained audit log (audit.go)
	RolloutStore    // releases sent to the fleet in waves (rollout.go)
	ReleaseStore    // releases and the gateways' updates (release.go)

	// Ping runs one query on the database: the systemd watchdog is fed
	// only while it answers.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// ListLimit bounds the rows the List methods return.
const ListLimit = 500
