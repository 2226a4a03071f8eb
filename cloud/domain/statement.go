package domain

import (
	"context"
	"time"
)

// # Closed statements (issue 12: closing a settlement month)
//
// An authorised user closes the settlement of a month for an org unit (""
// = every site): the settlement report as computed at that moment is
// stored as bytes (Content) with the hex SHA-256 of exactly those bytes,
// and never changes. A meal or a void that the cloud receives after the
// month was closed for its site is not in the statement; it is an
// adjustment (SettlementAdjustment) in the first later month that was not
// closed for that site when the event was received. docs/settlement.md
// ("Closing a month") has the rules; docs/adr/0021-closed-statements.md
// the reasons.

// Statement is one closed settlement statement.
type Statement struct {
	Number   string    `json:"number"` // e.g. JS-d-nanshan-202611-01
	Unit     string    `json:"unit"`   // org unit id, "" = every site
	Month    string    `json:"month"`  // YYYY-MM
	TimeZone string    `json:"time_zone"`
	From     time.Time `json:"from"` // the month's instants [From, To) in TimeZone, UTC
	To       time.Time `json:"to"`
	ClosedBy string    `json:"closed_by"`
	ClosedAt time.Time `json:"closed_at"`
	SHA256   string    `json:"sha256"` // hex SHA-256 of Content
	Content  []byte    `json:"-"`      // the settlement report as computed at close, verbatim
}

// StatementRender computes the content of a statement from the
// settlement's rows of its unit and month, read in the closing
// transaction.
type StatementRender func(meals []SettlementMealRow, funding []SettlementFundingRow, adj []SettlementAdjustment) ([]byte, error)

// StatementStore keeps the closed statements.
type StatementStore interface {
	// CloseStatement closes st.Month for st.Unit: it reads the month's
	// settlement rows and adjustments of the unit's sites, renders them,
	// and stores the statement (Number, SHA256, Content set here) with
	// ClosedAt = now, in one transaction that ingest waits for (every meal
	// and void it did not read is late). It refuses, with ErrInvalid and
	// words, a month that has not ended at now ([From, To) must lie before
	// now) and a close that overlaps a statement of the same month of an
	// ancestor or descendant unit (or of a site the unit holds); with
	// ErrConflict a second close of the unit and month.
	CloseStatement(ctx context.Context, st Statement, now time.Time, render StatementRender) (Statement, error)
	// StatementOf returns the statement of unit and month with its
	// content (ErrNotFound when the month is not closed for that unit).
	StatementOf(ctx context.Context, unit, month string) (Statement, error)
	// StatementByNumber returns one statement with its content
	// (ErrNotFound).
	StatementByNumber(ctx context.Context, number string) (Statement, error)
	// ListStatements returns the statements of the units in scope's
	// subtree (scope "" = all, including those of every site), without
	// content, newest month first, at most ListLimit.
	ListStatements(ctx context.Context, scope string) ([]Statement, error)
	// CoveringStatement returns the statement (without content) that
	// covers the sites of unit in month: the unit's own, an ancestor's or
	// the one of every site; ErrNotFound when none does.
	CoveringStatement(ctx context.Context, unit, month string) (Statement, error)
}

// The kinds of adjustment (SettlementAdjustment.Kind). A string, so that
// other kinds (the reconciliation's) can join.
const (
	AdjustLateMeal = "late_meal" // a meal received after its month was closed for its site
	AdjustLateVoid = "late_void" // a void received after the meal's month (or its adjustment month) was closed
)

// SettlementAdjustment is one late event carried into a month: a late
// meal adds it, a late void takes its meal away again (the settlement
// makes the void's figures negative).
type SettlementAdjustment struct {
	Kind        string    `json:"kind"`
	EventID     string    `json:"event_id"` // the late event: the meal, or the void's audit event
	MealEventID string    `json:"meal_event_id"`
	Site        string    `json:"site"`
	At          time.Time `json:"at"`          // the meal's event time (its original date)
	EventAt     time.Time `json:"event_at"`    // the late event's own time (= At for a meal)
	ReceivedAt  time.Time `json:"received_at"` // when the cloud received the late event
	Decision    string    `json:"decision"`
	Rule        string    `json:"rule"`
	Category    string    `json:"category"`
	Manual      bool      `json:"manual"`
	Outside     bool      `json:"outside"`      // a funding share is outside (SettlementMealRow.Outside)
	OutsideLost bool      `json:"outside_lost"` // every share lost outside the home jurisdiction

	PriceFen     int64 `json:"price_fen"`
	SubsidyFen   int64 `json:"subsidy_fen"`
	PayFen       int64 `json:"pay_fen"`
	DiscountFen  int64 `json:"discount_fen"`
	OperatingFen int64 `json:"operating_fen"`
	// The meal's funding shares (the meal_funding rows).
	Funding []AdjustmentShare `json:"funding"`
}

// AdjustmentShare is one funding share of an adjusted meal.
type AdjustmentShare struct {
	Layer   string `json:"layer"`
	Code    string `json:"code"`
	Outside bool   `json:"outside"`
	Fen     int64  `json:"fen"`
}
