package domain

import (
	"context"
	"time"
)

// The kinds of roster change kept in the roster history (RosterChangeRow.What).
const (
	RosterRemoved    = "removed"    // the elder was taken off the site's roster
	RosterRestored   = "restored"   // a removed elder was put back on it
	RosterCredential = "credential" // a credential's state changed (State: lost, cancelled, active)
)

// ReviewStore gives the rows the items to review (issue 12, 防冒领) are
// found in: cloud/reports.Review runs the rules (docs/review.md) over
// them. scope is an org unit id ("" = every site), [from, to) the month's
// instants; night is the instants of the month that are night in the
// report's zone (reports.NightSpans), each [from, to).
type ReviewStore interface {
	// ReviewRows returns, without duplicates, every meal event (a recorded
	// meal or a refused tap) in scope whose time lies in [from, to) and
	// that is one of:
	//   - a recorded meal of an elder who had a recorded meal at another
	//     site in the same local day and window (the meals at the other
	//     sites come too, with InScope false when their site is not in
	//     scope);
	//   - a manual meal;
	//   - a voided meal;
	//   - a tap (not manual) in one of the night spans;
	//   - a recorded meal of an elder with a roster change (removal from
	//     the meal's site, or a credential reported lost or cancelled at
	//     any site) dated at or before the meal;
	// and the roster history of the elders of the last kind up to to.
	ReviewRows(ctx context.Context, scope string, from, to time.Time, night [][2]time.Time) ([]ReviewMeal, []RosterChangeRow, error)
}

// ReviewMeal is one meal event the items to review look at.
type ReviewMeal struct {
	EventID    string    `json:"event_id"`
	Site       string    `json:"site"`
	InScope    bool      `json:"in_scope"` // false: a meal at a site outside the caller's scope (two_sites_one_window only)
	ElderID    string    `json:"elder_id"`
	Name       string    `json:"name"`       // masked (eldergate.MaskName), from the site's roster; "" when unknown
	Credential string    `json:"credential"` // masked, as the meal event carries it; "" for a manual meal
	Window     string    `json:"window"`
	Day        string    `json:"day"` // the gateway's local date of the meal window
	At         time.Time `json:"at"`
	ReceivedAt time.Time `json:"received_at"`
	Decision   string    `json:"decision"`
	Reason     string    `json:"reason,omitempty"`
	Manual     bool      `json:"manual"`
	Staff      string    `json:"staff,omitempty"`
	PriceFen   int64     `json:"price_fen"`
	SubsidyFen int64     `json:"subsidy_fen"`
	PayFen     int64     `json:"pay_fen"`
	Voided     bool      `json:"voided"`
	VoidedBy   string    `json:"voided_by,omitempty"`
	VoidedAt   time.Time `json:"voided_at,omitzero"`
}

// RosterChangeRow is one row of the roster history: what changed for an
// elder on a site's roster, at which roster version and when (the cloud's
// time of the change).
type RosterChangeRow struct {
	Site       string    `json:"site"`
	ElderID    string    `json:"elder_id"`
	What       string    `json:"what"` // RosterRemoved, RosterRestored, RosterCredential
	CredKind   string    `json:"cred_kind,omitempty"`
	Credential string    `json:"credential,omitempty"` // masked (eldergate.MaskID)
	State      string    `json:"state,omitempty"`      // the credential's new state
	Name       string    `json:"name,omitempty"`       // masked
	Version    uint64    `json:"version"`
	At         time.Time `json:"at"`
}
