package domain

import (
	"context"
	"time"
)

// The kinds of rows in the meals list.
const (
	RowMeal = "meal" // a meal event: approved, full price, discounted or refused by the policy
	RowCard = "card" // a tap of a card not on the roster, or lost or cancelled (no meal event)
)

// DecisionVoided is the decision filter of the meals list that keeps the
// meals staff voided (meal_void audit events), whatever their decision.
const DecisionVoided = "voided"

// MealFilter selects rows of the meals list (MealsStore.MealPage). Empty
// fields select everything.
type MealFilter struct {
	Scope    string    // org unit whose subtree the rows' sites lie in; "" for all
	From, To time.Time // at in [From, To); zero: unbounded
	Window   string    // the meal window (a card tap has none and is then left out)
	Decision string    // approved, full_pay, discounted, refused, or DecisionVoided
	Reason   string    // the decision's reason code (unknown_card, already_served, ...)
	Elder    string    // the elder's id, exact (card taps are then left out)
	Q        string    // part of the elder's id or of the (masked) card, case as written
	Kind     string    // RowMeal or RowCard; "" for both
	// Before is the keyset cursor: only rows strictly older than it in
	// (at, event id) order. Zero At: from the newest.
	Before MealCursor
	Limit  int // rows wanted, 1..MealPageMax
}

// MealCursor is a position in the meals list: a row's time and event id.
type MealCursor struct {
	At time.Time
	ID string
}

// MealPageMax bounds MealFilter.Limit.
const MealPageMax = 1000

// MealRow is one row of the meals list: a meal (Kind RowMeal) with what
// the list shows beside it, or a refused tap of a card not on the roster
// (Kind RowCard: decision refused, its reason, the masked card; no elder,
// window or money).
type MealRow struct {
	Meal
	Kind      string `json:"kind"`
	SiteName  string `json:"site_name"`            // the site's name on the org tree ("" when not on it)
	ElderName string `json:"elder_name,omitempty"` // eldergate.MaskName of the name on the site's cloud roster
	Card      string `json:"card,omitempty"`       // masked (eldergate.MaskID), card rows only
	Voided    bool   `json:"voided"`               // staff voided the meal
	// TimeZone is the zone of the row's site (the HTTP layer sets it:
	// the zone of the policy assigned to the site).
	TimeZone string `json:"time_zone,omitempty"`
}

// MealsStore is the meals list.
type MealsStore interface {
	// MealPage returns up to f.Limit rows newest first by (at, event id),
	// both meal rows and card rows, and whether more rows match past
	// them. Rows older than f.Before only, so that a page never repeats
	// or skips a row of the one before it while new rows arrive.
	MealPage(ctx context.Context, f MealFilter) (rows []MealRow, more bool, err error)
}
