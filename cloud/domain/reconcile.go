package domain

import (
	"context"
	"time"

	"github.com/eldergate/eldergate"
)

// ReconcileStore gives what the reconciliation (issue 12; package
// reports, reconcile.go) re-decides: the stored meals with the gateway's
// decisions, and the elders on the cloud roster.
type ReconcileStore interface {
	// ReconcileMeals returns every meal (all decisions) of every elder who
	// has a meal at a site in scope with event time in [from, to), at
	// every site whatever the scope, with event time in [since, to) (since
	// <= from: the earlier meals whose usage the month's periods need),
	// ordered by event time then event id, each with its funding shares
	// and its void. InScope marks the meals at a site in scope in
	// [from, to). Meals without an elder (unknown or lost cards) are left
	// out.
	ReconcileMeals(ctx context.Context, scope string, since, from, to time.Time) ([]ReconcileMeal, error)
	// RosterElders returns the entries of the elders ids on the cloud
	// roster of every site that holds them (removed entries left out).
	RosterElders(ctx context.Context, ids []string) ([]RosterEntry, error)
	// Policy returns the stored policy version or ErrNotFound.
	Policy(ctx context.Context, version string) (StoredPolicy, error)
}

// ReconcileMeal is one stored meal as its gateway decided it.
type ReconcileMeal struct {
	EventID       string                   `json:"event_id"`
	GW            string                   `json:"gw"`
	Site          string                   `json:"site"`
	ElderID       string                   `json:"elder_id"`
	At            time.Time                `json:"at"`
	Window        string                   `json:"window"`
	Decision      string                   `json:"decision"`
	Reason        string                   `json:"reason"`
	Rule          string                   `json:"rule"`
	PolicyVersion string                   `json:"policy_version"`
	PriceFen      int64                    `json:"price_fen"`
	SubsidyFen    int64                    `json:"subsidy_fen"`
	PayFen        int64                    `json:"pay_fen"`
	DiscountFen   int64                    `json:"discount_fen"`
	OperatingFen  int64                    `json:"operating_fen"`
	WeightG       int64                    `json:"weight_g"`
	Manual        bool                     `json:"manual"`
	Funding       []eldergate.FundingShare `json:"funding"`
	VoidedAt      *time.Time               `json:"voided_at"` // the void's time; nil when not voided
	InScope       bool                     `json:"in_scope"`
}

// RosterEntry is an elder's entry on one site's cloud roster.
type RosterEntry struct {
	Site  string                `json:"site"`
	Elder eldergate.RosterElder `json:"elder"`
}
