package domain

import (
	"context"
	"time"
)

// SettlementStore gives the rows of the monthly settlement (issue 12),
// aggregated in SQL: cloud/reports.Settlement computes the report from
// them. scope is an org unit id ("" = every site), [from, to) the month's
// instants; a meal is in the month when its event time (at) is.
type SettlementStore interface {
	// SettlementRows returns the meals in scope and month grouped by
	// SettlementMealRow's keys and their funding shares grouped by
	// SettlementFundingRow's keys. Refused meals are in neither.
	// A late meal (one carried into a later month as an adjustment) is in
	// neither; a late void does not void its meal here.
	SettlementRows(ctx context.Context, scope string, from, to time.Time) ([]SettlementMealRow, []SettlementFundingRow, error)
	// SettlementAdjustments returns the late events in scope carried
	// into month (YYYY-MM) as adjustments (statement.go), by the late
	// event's own time.
	SettlementAdjustments(ctx context.Context, scope, month string) ([]SettlementAdjustment, error)
}

// SettlementMealRow is one group of recorded meals (decision approved,
// full_pay or discounted) of a site: the keys, then the count and sums.
type SettlementMealRow struct {
	Site        string `json:"site"`
	Decision    string `json:"decision"`
	Rule        string `json:"rule"`
	Category    string `json:"category"` // the elder's category on the cloud roster at ingest; "" unknown
	Manual      bool   `json:"manual"`
	Voided      bool   `json:"voided"`
	Outside     bool   `json:"outside"`      // a funding share is outside (SettlementFundingRow.Outside)
	OutsideLost bool   `json:"outside_lost"` // reason outside_jurisdiction: every share lost outside the home jurisdiction

	Meals        int64 `json:"meals"`
	Subsidised   int64 `json:"subsidised"` // meals with subsidy_fen > 0
	PriceFen     int64 `json:"price_fen"`
	SubsidyFen   int64 `json:"subsidy_fen"`
	PayFen       int64 `json:"pay_fen"`
	DiscountFen  int64 `json:"discount_fen"`
	OperatingFen int64 `json:"operating_fen"`
}

// SettlementFundingRow is one group of funding shares of the recorded
// meals of a site.
type SettlementFundingRow struct {
	Site    string `json:"site"`
	Layer   string `json:"layer"`
	Code    string `json:"code"`
	Outside bool   `json:"outside"` // the share's code is not one of the elder's home codes
	Voided  bool   `json:"voided"`

	Meals int64 `json:"meals"` // shares (one per meal and layer)
	Fen   int64 `json:"fen"`
}
