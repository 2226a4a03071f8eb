package eldergate

import (
	"encoding/json"
	"time"
)

// ProtocolVersion is the value of "v" in an up batch.
const ProtocolVersion = 1

// Kind says what an event is about.
type Kind string

// The event kinds.
const (
	KindMeal      Kind = "meal"
	KindAlert     Kind = "alert"
	KindHeartbeat Kind = "heartbeat"
	KindDevice    Kind = "device"
	KindCmdRes    Kind = "cmdres"
	KindAudit     Kind = "audit"
	KindUpdate    Kind = "update" // UpdateData: one step of an over-the-air update (update.go)
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindMeal, KindAlert, KindHeartbeat, KindDevice, KindCmdRes, KindAudit, KindUpdate:
		return true
	}
	return false
}

// Priority orders the outbox: higher goes first. An alarm never waits
// behind a meal backlog.
func (k Kind) Priority() int {
	switch k {
	case KindAlert:
		return 100
	case KindCmdRes, KindDevice, KindUpdate:
		return 50
	case KindMeal, KindAudit:
		return 10
	}
	return 0
}

// Clock states of the gateway's clock when it stamped an event.
const (
	ClockSynced   = "synced"
	ClockUnsynced = "unsynced"
)

// Envelope is one event as it travels from gateway to cloud.
type Envelope struct {
	ID    string          `json:"id"` // UUIDv7
	Kind  Kind            `json:"kind"`
	GW    string          `json:"gw"`
	Site  string          `json:"site"`
	Seq   uint64          `json:"seq"`  // per-gateway counter
	Boot  uint64          `json:"boot"` // gateway boot counter
	At    time.Time       `json:"at"`   // RFC 3339, UTC
	Clock string          `json:"clock"`
	Data  json.RawMessage `json:"data"`

	meal *MealData // the validated Data of a meal, kept by Validate for Meal
}

// Meal returns the data of a meal event: the one Validate (and so
// DecodeEnvelope and DecodeBatch) already decoded and checked, or Data
// decoded and checked now.
func (e *Envelope) Meal() (MealData, error) {
	if e.meal != nil {
		return *e.meal, nil
	}
	return DecodeMealData(e.Data)
}

// Batch is the payload of eg/v1/gw/{gw}/up.
type Batch struct {
	V      int        `json:"v"`
	GW     string     `json:"gw"`
	Boot   uint64     `json:"boot"`
	Events []Envelope `json:"events"`
}

// Rejection names an event the cloud refused and why. ID is empty when the
// whole payload could not be read.
type Rejection struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Ack is the payload of eg/v1/gw/{gw}/ack: the ids the cloud has committed
// (or had already committed) and the ones it rejected.
type Ack struct {
	IDs      []string    `json:"ids"`
	Rejected []Rejection `json:"rejected,omitempty"`
}

// State is the retained payload of eg/v1/gw/{gw}/state: the birth message
// (Online true) and the will (Online false).
type State struct {
	Online  bool   `json:"online"`
	Boot    uint64 `json:"boot"`
	Version string `json:"version,omitempty"`

	// What the gateway runs, in a birth (absent from a will and from
	// gateways older than issue 5; a reader ignores fields it does not
	// know). ConfigSHA256 is the SHA-256 (hex) of the configuration body
	// last applied from a config command, "" when the gateway runs only
	// its local file; RosterVersion is 0 before the first cloud roster.
	ConfigSHA256  string `json:"config_sha256,omitempty"`
	PolicyVersion string `json:"policy_version,omitempty"`
	RosterVersion uint64 `json:"roster_version,omitempty"`
	MenuVersion   string `json:"menu_version,omitempty"` // the site's menu (menu.go); "" before the first
	// PriceDevices says what can price a meal at the gateway beyond a
	// policy's fixed prices (ADR 0026): PriceDeviceScale and
	// PriceDeviceTill, comma-separated in that order, or
	// PriceDevicesNone; "" from gateways older than issue 13 (unknown).
	PriceDevices string `json:"price_devices,omitempty"`
	// Platform is what the gateway binary was built for (ValidPlatform:
	// linux/arm64, linux/arm/v7, linux/arm/v6, linux/amd64), so that the
	// cloud sends it the matching release; "" from gateways older than
	// issue 14.
	Platform string `json:"platform,omitempty"`

	// Roster says which roster the gateway runs (ADR 0025); nil from
	// gateways older than issue 13 and in a will.
	Roster *RosterReport `json:"roster,omitempty"`
}

// Same reports whether s and o say the same (the roster report compared
// by value, not by pointer).
func (s State) Same(o State) bool {
	sr, or := s.Roster, o.Roster
	s.Roster, o.Roster = nil, nil
	if s != o || (sr == nil) != (or == nil) {
		return false
	}
	return sr == nil || *sr == *or
}

// Sources of the roster a gateway runs.
const (
	// RosterSourceCloud: the roster the cloud sent for the gateway's site
	// (the seed of the configuration was dropped when it arrived).
	RosterSourceCloud = "cloud"
	// RosterSourceLocal: the seed of the gateway's configuration; no
	// roster has come from a cloud (a standalone gateway, or one whose
	// cloud has no roster for its site yet).
	RosterSourceLocal = "local"
)

// RosterReport is which roster a gateway runs: its source, its version
// (0 for a local roster) and how many elders are on it.
type RosterReport struct {
	Source  string `json:"source"`
	Version uint64 `json:"version"`
	Elders  int    `json:"elders"`
}

// Valid reports whether r names a known source with a version that
// matches it and a count that is not negative.
func (r RosterReport) Valid() bool {
	switch {
	case r.Elders < 0 || r.Elders > MaxRosterElders:
		return false
	case r.Source == RosterSourceCloud:
		return r.Version > 0
	case r.Source == RosterSourceLocal:
		return r.Version == 0
	}
	return false
}

// What a gateway can price a meal with (State.PriceDevices), and what a
// policy needs (policy.Policy.PriceDevices).
const (
	PriceDeviceScale = "scale" // a scale weighs the plate (windows priced by weight)
	PriceDeviceTill  = "till"  // a till sends the amount rung up (windows with `price: {}`)
	PriceDevicesNone = "none"  // neither
)

// Command is the payload of eg/v1/gw/{gw}/cmd.
type Command struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Expires time.Time       `json:"expires"`
	Body    json.RawMessage `json:"body,omitempty"`
}

// CommandResult is the payload of eg/v1/gw/{gw}/cmdres.
type CommandResult struct {
	ID    string          `json:"id"`
	OK    bool            `json:"ok"`
	Error string          `json:"error,omitempty"`
	Body  json.RawMessage `json:"body,omitempty"`
}

// Decision outcomes.
const (
	DecisionApproved = "approved" // subsidised meal
	DecisionFullPay  = "full_pay" // meal recorded, elder pays the full price
	DecisionRefused  = "refused"  // no meal recorded
	// DecisionDiscounted: meal recorded without a subsidy, the elder pays
	// the price less a discount (a discount-only rule, or a rule whose
	// discount comes before the subsidy when the subsidy is not granted).
	// Like full_pay it does not count in the usage counters (ADR 0015).
	DecisionDiscounted = "discounted"
)

// MealData is the data of a meal event.
type MealData struct {
	ElderID    string `json:"elder_id"`
	Credential string `json:"credential,omitempty"` // masked card number
	Window     string `json:"window"`
	Day        string `json:"day"` // local date YYYY-MM-DD of the meal window
	Decision   string `json:"decision"`
	Reason     string `json:"reason,omitempty"`
	PriceFen   Fen    `json:"price_fen"`
	SubsidyFen Fen    `json:"subsidy_fen"`
	PayFen     Fen    `json:"pay_fen"`
	WeightG    int64  `json:"weight_g,omitempty"`
	PolicyVer  string `json:"policy_version,omitempty"`

	// Added with the policy engine (issue 4); absent in older events.
	Rule         string         `json:"rule,omitempty"`                  // id of the policy rule applied
	DiscountFen  Fen            `json:"discount_fen,omitempty"`          // taken off before or after the subsidy (the rule says)
	DiscountBy   string         `json:"discount_funded_by,omitempty"`    // who bears the discount, e.g. "hall"
	Funding      []FundingShare `json:"funding,omitempty"`               // who pays the subsidy; sums to SubsidyFen
	OperatingFen Fen            `json:"operating_subsidy_fen,omitempty"` // paid to the hall per subsidised meal
	OperatingBy  string         `json:"operating_funded_by,omitempty"`

	// Added with the staff actions (issue 4); absent in card taps.
	Manual bool   `json:"manual,omitempty"` // recorded by staff by hand, not by a card read
	Staff  string `json:"staff,omitempty"`  // id of the staff member who recorded it

	// Added with the till price (issue 11); absent when the window's price
	// was fixed or weighed. They trace where the price came from, for
	// settlement: a till (Till and TillRef) or a cashier who keyed it.
	PriceSource string `json:"price_source,omitempty"` // PriceSourceTill or PriceSourceCashier
	Till        string `json:"till,omitempty"`         // id of the till that sent the price
	TillRef     string `json:"till_ref,omitempty"`     // the till's reference of the sale
	Cashier     string `json:"cashier,omitempty"`      // id of the staff member who keyed the price
	// The dishes the cashier picked when PriceSource is PriceSourceMenu;
	// their total (LinesTotal) is PriceFen.
	Items []MenuLine `json:"items,omitempty"`
}

// Where the price of a till-priced meal came from (MealData.PriceSource).
const (
	PriceSourceTill    = "till"    // sent by a till (POS) over the gateway's API
	PriceSourceCashier = "cashier" // keyed by a cashier logged in at the gateway
	PriceSourceMenu    = "menu"    // dishes of the site's menu picked by a cashier (MealData.Items)
)

// FundingShare is the part of a meal's subsidy paid by one funding layer
// (city, district, street/town, charity ...). Code is the administrative
// division code of the paying jurisdiction when the layer has one.
type FundingShare struct {
	Layer string `json:"layer"`
	Code  string `json:"code,omitempty"`
	Fen   Fen    `json:"fen"`
}

// MaxFundingShares bounds the funding split of one meal.
const MaxFundingShares = 16

// Alert actions (DESIGN.md, "One alarm, end to end").
const (
	AlertRaised       = "raised"       // a press, or a supervision fault seen
	AlertCancelled    = "cancelled"    // the elder's long press: a recorded false alarm
	AlertAcknowledged = "acknowledged" // staff at the kiosk: By
	AlertResolved     = "resolved"     // staff at the kiosk: By, Outcome, Note
	AlertCleared      = "cleared"      // supervision: the device reports again
)

// Alert types.
const (
	AlertTypeEmergency   = "emergency"
	AlertTypeSupervision = "supervision"
)

// Supervision reasons: why a device is not watched any more.
const (
	SuperviseGatewaySilent = "gateway_silent"     // raised by the cloud: no heartbeat in its window
	SuperviseButtonSilent  = "button_silent"      // a 433 MHz button missed its supervision reports
	SuperviseBatteryLow    = "battery_low"        // a button reports a low battery
	SuperviseButtonStuck   = "button_stuck"       // a GPIO button held past the stuck limit
	SuperviseKioskOffline  = "kiosk_disconnected" // the kiosk screen's browser went away
	SupervisePaperOut      = "printer_paper_out"  // the ticket printer reports no paper
)

// The outcomes that close an alert, in the order the console's and the
// kiosk's forms offer them; one rule for the cloud and the gateway.
const (
	OutcomeHelpedOnSite    = "helped_on_site"
	OutcomeSentToHospital  = "sent_to_hospital"
	OutcomeFamilyContacted = "family_contacted"
	OutcomeFalseAlarm      = "false_alarm"
	OutcomeTest            = "test"
)

// AlertOutcomes lists the outcomes a resolver chooses from.
var AlertOutcomes = []string{OutcomeHelpedOnSite, OutcomeSentToHospital, OutcomeFamilyContacted, OutcomeFalseAlarm, OutcomeTest}

// ValidAlertOutcome reports whether o is one of AlertOutcomes.
func ValidAlertOutcome(o string) bool {
	for _, v := range AlertOutcomes {
		if o == v {
			return true
		}
	}
	return false
}

// MaxAlertNoteRunes bounds a resolution note, in characters.
const MaxAlertNoteRunes = 1000

// AlertData is the data of an alert event.
type AlertData struct {
	AlertID string `json:"alert_id"`
	Action  string `json:"action"` // one of the Alert actions
	Type    string `json:"type"`   // emergency | supervision
	Button  string `json:"button,omitempty"`
	// ButtonName is the button's configured name (e.g. "卫生间紧急按钮"),
	// Place where it is (room); both shown instead of the raw id.
	ButtonName string `json:"button_name,omitempty"`
	Place      string `json:"place,omitempty"`
	// By is the staff member who acknowledged or resolved at the kiosk, as
	// shown on screens (masked).
	By string `json:"by,omitempty"`
	// Outcome and Note close an alert (action resolved); Outcome is one of
	// the cloud's outcomes (helped_on_site, sent_to_hospital,
	// family_contacted, false_alarm, test).
	Outcome string `json:"outcome,omitempty"`
	Note    string `json:"note,omitempty"`
	// Reason says why a supervision alert was raised (Supervise...).
	Reason string `json:"reason,omitempty"`
}
