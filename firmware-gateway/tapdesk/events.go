package tapdesk

import (
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/policy"
)

// SSE event names the desk publishes.
const (
	EventTap    = "tap"
	EventWeight = "weight"
)

// Reasons of refusals that come from the gateway, not from the policy.
const (
	// ReasonSystemError is shown when a tap could not be decided or recorded.
	ReasonSystemError = "system_error"
	// ReasonDiskFull is shown when a meal is refused because the disk is
	// full: meals stop, alarms and acks go on.
	ReasonDiskFull = "disk_full"
)

// TapEvent is the data of the SSE "tap" event. Personal data is masked.
type TapEvent struct {
	EventID  string `json:"event_id,omitempty"` // empty when nothing could be recorded
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
	// Limit is the limit reached with reason subsidy_limit_reached, as
	// policy.Decision.Limit ("week.count", "month.fen", ...), so the
	// kiosk can say which one.
	Limit      string        `json:"limit,omitempty"`
	Window     string        `json:"window,omitempty"`
	PriceFen   eldergate.Fen `json:"price_fen"`
	SubsidyFen eldergate.Fen `json:"subsidy_fen"`
	PayFen     eldergate.Fen `json:"pay_fen"`
	// DiscountFen is taken off after the subsidy: pay = price - subsidy - discount.
	DiscountFen eldergate.Fen `json:"discount_fen,omitempty"`
	WeightG     int64         `json:"weight_g,omitempty"`
	ElderName   string        `json:"elder_name,omitempty"` // eldergate.MaskName
	Card        string        `json:"card"`                 // eldergate.MaskID
	At          time.Time     `json:"at"`
	// Remaining is what is left of the elder's week and month limits
	// after this meal (policy.Decision.Remaining), for the elder's
	// screen; absent when no such limit applies to the elder.
	Remaining []policy.Remaining `json:"remaining,omitempty"`
}

// WeightEvent is the data of the SSE "weight" event.
type WeightEvent struct {
	Grams int64       `json:"grams"`
	State scale.State `json:"state"`
}

// UnknownCardData is the data of the audit event recorded for a tap of a
// card that is not on the roster (or is lost or cancelled).
type UnknownCardData struct {
	Type       string `json:"type"` // "tap_refused"
	Decision   string `json:"decision"`
	Reason     string `json:"reason"`
	Credential string `json:"credential"` // masked
	Reader     string `json:"reader"`
}
