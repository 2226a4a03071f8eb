package reports

// # The monthly settlement (issue 12)
//
// Settlement computes, for one month in a time zone, per site and rolled
// up per community, street and district of the org tree and in total, the
// figures a district pays its dining halls from (docs/settlement.md says
// what each means). Its input is the store's grouped rows
// (domain.SettlementStore); amounts are integer fen.
//
//   - Meals: recorded meals (decision approved, full_pay or discounted;
//     refused taps are no meal) whose event time lies in the month and
//     that are not voided. Every figure but the Void ones counts only
//     these.
//   - Subsidised: meals with a subsidy, also by rule and by the elder's
//     category (the cloud roster's, when the meal was stored).
//   - Subsidy per funding layer: the sum of the meals' funding shares per
//     layer (the shares of a meal sum to its subsidy).
//   - Outside: meals eaten outside the elder's home jurisdiction: a meal
//     with a share the site's jurisdiction pays (policy outside: site; see
//     sqlstore.ShareOutside) or one whose every share was lost (outside:
//     lose, reason outside_jurisdiction). OutsideFunding is what each
//     layer (and division code) pays for them.
//   - Paid by elders, operating subsidy owed to the hall, discounts,
//     manual meals: sums and counts over the meals.
//   - Voids: meals voided by staff (meal_void audit events), with their
//     price, subsidy and what the elder had paid, which are in no other
//     figure.
//   - Adjustments: the late events carried into the month
//     (domain.SettlementAdjustment: a meal or a void received after its
//     month was closed for its site), one line each, labelled with the
//     meal's original date; a late void's figures are negative. A late
//     meal is in no row of any month, only in its line. AdjustmentTotal
//     sums the lines; GrandTotal = Total + AdjustmentTotal is what the
//     district pays for the month. A closed month's statement also
//     carries the reconciliation's differences as lines of kind
//     ReconcileKind (AddReconciliation).
//
// A closed month is answered from its statement's stored bytes
// (StatementContent, ReadStatement), never recomputed.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"maps"

	"github.com/eldergate/eldergate/cloud/domain"
)

// SettlementReport is the settlement of one month.
type SettlementReport struct {
	Month    string    `json:"month"`
	TimeZone string    `json:"time_zone"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	// The keys of the breakdowns over every row, in column order: funding
	// layers (city, district, street, charity, then others by name), rules
	// and categories by name.
	Layers     []string `json:"layers"`
	Rules      []string `json:"rules"`
	Categories []string `json:"categories"`
	// Rows: sites (in the tree, then outside it), communities, streets,
	// districts, each group in the order of the tree's paths.
	Rows  []SettlementRow `json:"rows"`
	Total SettlementRow   `json:"total"`

	// The late events carried into this month, oldest first, their sum
	// and the month's total with them (what the district pays).
	Adjustments     []AdjustmentLine `json:"adjustments"`
	AdjustmentTotal SettlementRow    `json:"adjustment_total"`
	GrandTotal      SettlementRow    `json:"grand_total"`

	// Statement is the closed statement this report was read from (its
	// stored bytes, not a recomputation); CoveredBy the statement of an
	// ancestor unit (or of every site) that closed the month for these
	// sites: the figures are then recomputed without the events that
	// arrived after that close, which is what the statement paid. Neither
	// is part of a statement's content.
	Statement *domain.Statement `json:"statement,omitempty"`
	CoveredBy *domain.Statement `json:"covered_by,omitempty"`
}

// AdjustmentLine is one late event carried into the month: its figures
// (the embedded row: Level "adjustment", Unit the site) are those of its
// meal, negative for a late void.
type AdjustmentLine struct {
	Kind        string    `json:"kind"` // domain.AdjustLateMeal, domain.AdjustLateVoid, ReconcileKind
	EventID     string    `json:"event_id"`
	MealEventID string    `json:"meal_event_id"`
	Site        string    `json:"site"`
	At          time.Time `json:"at"`  // the meal's original time, UTC
	Day         string    `json:"day"` // its local date in the report's zone
	EventAt     time.Time `json:"event_at"`
	ReceivedAt  time.Time `json:"received_at"`
	SettlementRow
}

// LevelAdjustment is the Level of an adjustment line's row.
const LevelAdjustment = "adjustment"

// SettlementRow is the settlement of one site, org unit or the total.
type SettlementRow struct {
	Level  string `json:"level"`
	Unit   string `json:"unit"`
	Name   string `json:"name"`
	Path   string `json:"path"`
	InTree bool   `json:"in_tree"`

	Meals        int64 `json:"meals"`
	Subsidised   int64 `json:"subsidised"`
	PriceFen     int64 `json:"price_fen"`
	SubsidyFen   int64 `json:"subsidy_fen"`
	PayFen       int64 `json:"pay_fen"` // paid by elders
	DiscountFen  int64 `json:"discount_fen"`
	OperatingFen int64 `json:"operating_fen"` // operating subsidy owed to the hall
	Manual       int64 `json:"manual"`

	ByRule     map[string]KeyCount `json:"by_rule"`     // subsidised meals and subsidy by rule
	ByCategory map[string]KeyCount `json:"by_category"` // subsidised meals and subsidy by elder category
	Funding    map[string]int64    `json:"funding"`     // subsidy fen by funding layer

	OutsideMeals   int64         `json:"outside_meals"`
	OutsideLost    int64         `json:"outside_lost"`    // of OutsideMeals: every share lost, no subsidy
	OutsideFunding []LayerAmount `json:"outside_funding"` // who pays for the outside meals
	OutsideFen     int64         `json:"outside_fen"`     // their sum

	Voids          int64 `json:"voids"`
	VoidPriceFen   int64 `json:"void_price_fen"`
	VoidSubsidyFen int64 `json:"void_subsidy_fen"`
	VoidPayFen     int64 `json:"void_pay_fen"`
}

// KeyCount is the subsidised meals and their subsidy of one rule or
// category.
type KeyCount struct {
	Meals      int64 `json:"meals"`
	SubsidyFen int64 `json:"subsidy_fen"`
}

// LayerAmount is what one funding layer of one division code pays.
type LayerAmount struct {
	Layer  string `json:"layer"`
	Code   string `json:"code"`
	Shares int64  `json:"shares"`
	Fen    int64  `json:"fen"`
}

func newSettlementRow() *SettlementRow {
	return &SettlementRow{ByRule: map[string]KeyCount{}, ByCategory: map[string]KeyCount{},
		Funding: map[string]int64{}, OutsideFunding: []LayerAmount{}}
}

func (r *SettlementRow) addMeals(m domain.SettlementMealRow) {
	if m.Voided {
		r.Voids += m.Meals
		r.VoidPriceFen += m.PriceFen
		r.VoidSubsidyFen += m.SubsidyFen
		r.VoidPayFen += m.PayFen
		return
	}
	r.Meals += m.Meals
	r.Subsidised += m.Subsidised
	r.PriceFen += m.PriceFen
	r.SubsidyFen += m.SubsidyFen
	r.PayFen += m.PayFen
	r.DiscountFen += m.DiscountFen
	r.OperatingFen += m.OperatingFen
	if m.Manual {
		r.Manual += m.Meals
	}
	if m.Subsidised > 0 {
		k := r.ByRule[m.Rule]
		r.ByRule[m.Rule] = KeyCount{k.Meals + m.Subsidised, k.SubsidyFen + m.SubsidyFen}
		k = r.ByCategory[m.Category]
		r.ByCategory[m.Category] = KeyCount{k.Meals + m.Subsidised, k.SubsidyFen + m.SubsidyFen}
	}
	if m.Outside || m.OutsideLost {
		r.OutsideMeals += m.Meals
	}
	if m.OutsideLost && !m.Outside {
		r.OutsideLost += m.Meals
	}
}

func (r *SettlementRow) addFunding(f domain.SettlementFundingRow) {
	if f.Voided {
		return
	}
	r.Funding[f.Layer] += f.Fen
	if !f.Outside {
		return
	}
	r.OutsideFen += f.Fen
	r.addOutside(LayerAmount{Layer: f.Layer, Code: f.Code, Shares: f.Meals, Fen: f.Fen})
}

// addOutside adds a to the outside funding of its layer and code.
func (r *SettlementRow) addOutside(a LayerAmount) {
	i := slices.IndexFunc(r.OutsideFunding, func(x LayerAmount) bool { return x.Layer == a.Layer && x.Code == a.Code })
	if i < 0 {
		r.OutsideFunding = append(r.OutsideFunding, LayerAmount{Layer: a.Layer, Code: a.Code})
		i = len(r.OutsideFunding) - 1
	}
	r.OutsideFunding[i].Shares += a.Shares
	r.OutsideFunding[i].Fen += a.Fen
}

func (r *SettlementRow) merge(o *SettlementRow) {
	r.Meals += o.Meals
	r.Subsidised += o.Subsidised
	r.PriceFen += o.PriceFen
	r.SubsidyFen += o.SubsidyFen
	r.PayFen += o.PayFen
	r.DiscountFen += o.DiscountFen
	r.OperatingFen += o.OperatingFen
	r.Manual += o.Manual
	for k, v := range o.ByRule {
		w := r.ByRule[k]
		r.ByRule[k] = KeyCount{w.Meals + v.Meals, w.SubsidyFen + v.SubsidyFen}
	}
	for k, v := range o.ByCategory {
		w := r.ByCategory[k]
		r.ByCategory[k] = KeyCount{w.Meals + v.Meals, w.SubsidyFen + v.SubsidyFen}
	}
	for k, v := range o.Funding {
		r.Funding[k] += v
	}
	r.OutsideMeals += o.OutsideMeals
	r.OutsideLost += o.OutsideLost
	r.OutsideFen += o.OutsideFen
	for _, a := range o.OutsideFunding {
		r.addOutside(a)
	}
	r.Voids += o.Voids
	r.VoidPriceFen += o.VoidPriceFen
	r.VoidSubsidyFen += o.VoidSubsidyFen
	r.VoidPayFen += o.VoidPayFen
}

func (r *SettlementRow) sortOutside() {
	slices.SortFunc(r.OutsideFunding, func(a, b LayerAmount) int {
		return cmp.Or(cmp.Compare(layerRank(a.Layer), layerRank(b.Layer)), strings.Compare(a.Layer, b.Layer), strings.Compare(a.Code, b.Code))
	})
}

// layerRank orders the usual layers from the top down; others come after.
func layerRank(l string) int {
	if i := slices.Index([]string{"city", "district", "street", "charity"}, l); i >= 0 {
		return i
	}
	return 4
}

// Settlement computes the settlement of month in tz from the org units in
// scope (as ListOrgUnits gives them) and the store's grouped rows for the
// month. The rules are at the top of this file.
func Settlement(month string, tz *time.Location, units []domain.OrgUnit, meals []domain.SettlementMealRow, funding []domain.SettlementFundingRow, adj []domain.SettlementAdjustment) (SettlementReport, error) {
	from, to, err := ParseMonth(month, tz)
	if err != nil {
		return SettlementReport{}, err
	}
	rep := SettlementReport{Month: month, TimeZone: tz.String(), From: from.UTC(), To: to.UTC(),
		Layers: []string{}, Rules: []string{}, Categories: []string{}, Rows: []SettlementRow{},
		Adjustments: []AdjustmentLine{}}
	names := map[string]string{}
	for _, u := range units {
		names[u.ID] = u.Name
	}
	for _, a := range adj {
		rep.Adjustments = append(rep.Adjustments, adjustmentLine(a, tz, names[a.Site]))
	}
	sites := map[string]*SettlementRow{}
	site := func(id string) *SettlementRow {
		if sites[id] == nil {
			sites[id] = newSettlementRow()
		}
		return sites[id]
	}
	for _, m := range meals {
		site(m.Site).addMeals(m)
	}
	for _, f := range funding {
		site(f.Site).addFunding(f)
	}
	total := newSettlementRow()
	adjTotal := newSettlementRow() // for the keys of the breakdowns only
	for i := range rep.Adjustments {
		adjTotal.merge(&rep.Adjustments[i].SettlementRow)
	}
	layers, rules, cats := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range append(slices.Collect(maps.Values(sites)), adjTotal) {
		if r != adjTotal {
			total.merge(r)
		}
		for k := range r.Funding {
			layers[k] = true
		}
		for k := range r.ByRule {
			rules[k] = true
		}
		for k := range r.ByCategory {
			cats[k] = true
		}
	}
	for k := range layers {
		rep.Layers = append(rep.Layers, k)
	}
	sortLayers(rep.Layers)
	for k := range rules {
		rep.Rules = append(rep.Rules, k)
	}
	slices.Sort(rep.Rules)
	for k := range cats {
		rep.Categories = append(rep.Categories, k)
	}
	slices.Sort(rep.Categories)

	emit := func(r *SettlementRow, level, unit, name, path string, inTree bool) {
		r.Level, r.Unit, r.Name, r.Path, r.InTree = level, unit, name, path, inTree
		r.sortOutside()
		rep.Rows = append(rep.Rows, *r)
	}
	ordered := slices.Clone(units)
	slices.SortStableFunc(ordered, func(x, y domain.OrgUnit) int { return strings.Compare(x.Path, y.Path) })
	inTree := map[string]bool{}
	for _, u := range ordered {
		if u.Level == domain.LevelSite {
			inTree[u.ID] = true
			r := sites[u.ID]
			if r == nil {
				r = newSettlementRow()
			}
			emit(r, u.Level, u.ID, u.Name, u.Path, true)
		}
	}
	var outside []string
	for s := range sites {
		if !inTree[s] {
			outside = append(outside, s)
		}
	}
	slices.Sort(outside)
	for _, s := range outside {
		emit(sites[s], domain.LevelSite, s, s, "", false)
	}
	for _, level := range []string{domain.LevelCommunity, domain.LevelStreet, domain.LevelDistrict} {
		for _, u := range ordered {
			if u.Level != level {
				continue
			}
			agg := newSettlementRow()
			for _, s := range ordered {
				if s.Level == domain.LevelSite && strings.HasPrefix(s.Path, u.Path) && sites[s.ID] != nil {
					agg.merge(sites[s.ID])
				}
			}
			emit(agg, u.Level, u.ID, u.Name, u.Path, true)
		}
	}
	total.Level = LevelTotal
	total.sortOutside()
	rep.Total = *total
	rep.sumAdjustments()
	return rep, nil
}

// sumAdjustments sets AdjustmentTotal to the sum of the adjustment lines
// and GrandTotal to Total plus it.
func (rep *SettlementReport) sumAdjustments() {
	adjTotal := newSettlementRow()
	for i := range rep.Adjustments {
		adjTotal.merge(&rep.Adjustments[i].SettlementRow)
	}
	adjTotal.Level = LevelAdjustment
	adjTotal.sortOutside()
	rep.AdjustmentTotal = *adjTotal
	grand := newSettlementRow()
	grand.merge(&rep.Total)
	grand.merge(adjTotal)
	grand.Level = LevelGrandTotal
	grand.sortOutside()
	rep.GrandTotal = *grand
}

// AddReconciliation carries the reconciliation of the month (rc, the same
// month, zone and unit) into rep as adjustment lines of kind
// ReconcileKind, one per meal whose re-decision differs, labelled with the
// meal's original date: its figures are the differences cloud − gateway
// (subsidy per funding layer, operating subsidy, what the elder pays; no
// meal more or less, a subsidised meal more or less when one side had no
// subsidy). The lines go after the late events; the totals include them.
// Closing a month does this (docs/settlement.md, "Closing a month"), so
// that a difference is settled in the statement, not rewritten.
func (rep *SettlementReport) AddReconciliation(rc ReconcileReport, tz *time.Location) {
	for _, l := range rc.Differences {
		r := newSettlementRow()
		r.SubsidyFen, r.OperatingFen, r.PayFen = l.Subsidy, l.Operating, l.Pay
		r.Subsidised = b2i(l.Cloud.SubsidyFen > 0) - b2i(l.Gateway.SubsidyFen > 0)
		for _, d := range l.Layers {
			r.Funding[d.Layer] += d.Fen
			if !slices.Contains(rep.Layers, d.Layer) {
				rep.Layers = append(rep.Layers, d.Layer)
				sortLayers(rep.Layers)
			}
		}
		name := cmp.Or(l.SiteName, l.Site)
		r.Level, r.Unit, r.Name, r.InTree = LevelAdjustment, l.Site, name, name != l.Site
		rep.Adjustments = append(rep.Adjustments, AdjustmentLine{Kind: ReconcileKind, EventID: l.EventID, MealEventID: l.EventID,
			Site: l.Site, At: l.At.UTC(), Day: l.At.In(tz).Format(time.DateOnly), EventAt: l.At.UTC(), SettlementRow: *r})
	}
	rep.sumAdjustments()
}

// sortLayers orders funding layers top down (city, district, street,
// charity), then others by name.
func sortLayers(layers []string) {
	slices.SortFunc(layers, func(a, b string) int { return cmp.Or(cmp.Compare(layerRank(a), layerRank(b)), strings.Compare(a, b)) })
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// LevelGrandTotal is the Level of GrandTotal.
const LevelGrandTotal = "grand_total"

// adjustmentLine is the line of one late event: its meal's figures, with
// the sign of the kind (a late void takes its meal away).
func adjustmentLine(a domain.SettlementAdjustment, tz *time.Location, siteName string) AdjustmentLine {
	sign := int64(1)
	if a.Kind == domain.AdjustLateVoid {
		sign = -1
	}
	if siteName == "" {
		siteName = a.Site
	}
	r := newSettlementRow()
	m := domain.SettlementMealRow{Site: a.Site, Decision: a.Decision, Rule: a.Rule, Category: a.Category, Manual: a.Manual,
		Outside: a.Outside, OutsideLost: a.OutsideLost, Meals: sign, PriceFen: sign * a.PriceFen, SubsidyFen: sign * a.SubsidyFen,
		PayFen: sign * a.PayFen, DiscountFen: sign * a.DiscountFen, OperatingFen: sign * a.OperatingFen}
	if a.SubsidyFen > 0 {
		m.Subsidised = sign
	}
	r.addMeals(m)
	for _, f := range a.Funding {
		r.addFunding(domain.SettlementFundingRow{Site: a.Site, Layer: f.Layer, Code: f.Code, Outside: f.Outside, Meals: sign, Fen: sign * f.Fen})
	}
	r.Level, r.Unit, r.Name, r.InTree = LevelAdjustment, a.Site, siteName, siteName != a.Site
	r.sortOutside()
	return AdjustmentLine{Kind: a.Kind, EventID: a.EventID, MealEventID: a.MealEventID, Site: a.Site,
		At: a.At.UTC(), Day: a.At.In(tz).Format(time.DateOnly), EventAt: a.EventAt.UTC(), ReceivedAt: a.ReceivedAt.UTC(), SettlementRow: *r}
}

// StatementContent is the content of a closed statement of rep: its JSON
// (encoding/json: struct fields in order, map keys sorted, so the same
// report gives the same bytes), without the statement fields.
func StatementContent(rep SettlementReport) ([]byte, error) {
	rep.Statement, rep.CoveredBy = nil, nil
	b, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("reports: statement content: %w", err)
	}
	return b, nil
}

// ReadStatement is the report a closed statement stores, read from its
// content, with the statement (without content) in Statement.
func ReadStatement(st domain.Statement) (SettlementReport, error) {
	var rep SettlementReport
	if err := json.Unmarshal(st.Content, &rep); err != nil {
		return rep, fmt.Errorf("reports: statement %s: %w", st.Number, err)
	}
	st.Content = nil
	rep.Statement = &st
	return rep, nil
}

// loadZone loads a zone the report names.
func loadZone(name string) (*time.Location, error) { return time.LoadLocation(name) }
