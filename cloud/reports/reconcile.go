package reports

// The reconciliation (issue 12; docs/reconciliation.md): the cloud
// re-decides every meal with the same engine (package policy) and the
// policy version the gateway named on the meal, the elder as the cloud
// roster has it, the site's jurisdiction from the org tree's division
// codes and the meal's own price and weight, with the usage the elder
// would have had with a perfect network: the cloud's own re-decisions of
// the elder's earlier meals at every site, counted by policy.Ledger (the
// rule the gateway's counters share), voids taking a meal out at the
// void's time. A meal whose decision, subsidy, operating subsidy or
// funding share per layer and division code differs is listed; nothing
// stored is changed. The differences per layer are what the settlement
// carries as adjustments of kind "reconcile" (Adjustments).

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/policy"
)

// Why a meal cannot be re-decided (ReconcileSkip.Reason).
const (
	SkipNoPolicyVersion  = "no_policy_version"   // the meal names no policy version (not decided by the engine)
	SkipPolicyNotHeld    = "policy_not_held"     // the cloud does not hold the version the gateway named
	SkipPolicyInvalid    = "policy_invalid"      // the stored version does not parse
	SkipElderNotRostered = "elder_not_on_roster" // the elder is on no site's cloud roster
	SkipSiteNotInTree    = "site_not_in_tree"    // the meal's site is not a site of the org tree
	SkipSiteWithoutCode  = "site_without_codes"  // no district or street above the site carries a division code
)

// readerRefusals are the refusals a gateway makes before the engine (the
// card or the elder at the reader): nothing to re-decide; they are counted
// (ReconcileReport.RefusedAtReader), never listed.
var readerRefusals = []string{eldergate.ReasonUnknownCard, eldergate.ReasonCardLost, eldergate.ReasonCardCancelled, eldergate.ReasonCardInactive}

// ReconcileKind is the Kind of the settlement's adjustment lines that
// carry the reconciliation's differences.
const ReconcileKind = "reconcile"

// ReconcileLookback is how far before the month the earlier meals are
// re-decided so that the month's first periods see their usage: the
// previous month and the week before it (docs/reconciliation.md, limits).
func ReconcileLookback(from time.Time, tz *time.Location) time.Time {
	f := from.In(tz)
	return time.Date(f.Year(), f.Month()-1, 1, 0, 0, 0, 0, tz).AddDate(0, 0, -8)
}

// ReconcileReport is the reconciliation of one month in one scope.
type ReconcileReport struct {
	Month    string    `json:"month"`
	TimeZone string    `json:"time_zone"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Since    time.Time `json:"since"` // the earlier meals re-decided for their usage start here

	Meals           int64 `json:"meals"`             // meals in scope and month
	Compared        int64 `json:"compared"`          // of them re-decided and compared (not voided)
	Same            int64 `json:"same"`              // of Compared: no difference
	Voided          int64 `json:"voided"`            // voided: not paid, not compared (their usage counts until the void)
	RefusedAtReader int64 `json:"refused_at_reader"` // refused before the engine (card lost, inactive ...)

	Differences    []ReconcileLine `json:"differences"`
	NotRedecidable []ReconcileSkip `json:"not_redecidable"`

	// Layers are the funding layers of Totals, top down.
	Layers []string `json:"layers"`
	// Totals is the difference (cloud − gateway) per layer and division
	// code over the listed meals; SubsidyFen, OperatingFen and PayFen the
	// differences in total.
	Totals       []LayerDiff `json:"totals"`
	SubsidyFen   int64       `json:"subsidy_diff_fen"`
	OperatingFen int64       `json:"operating_diff_fen"`
	PayFen       int64       `json:"pay_diff_fen"`
}

// ReconcileSide is one decision of a meal: the gateway's or the cloud's.
type ReconcileSide struct {
	Decision     string                   `json:"decision"`
	Reason       string                   `json:"reason"`
	Limit        string                   `json:"limit,omitempty"` // the cloud's: the limit reached, e.g. "window.count"
	Rule         string                   `json:"rule"`
	SubsidyFen   int64                    `json:"subsidy_fen"`
	PayFen       int64                    `json:"pay_fen"`
	OperatingFen int64                    `json:"operating_fen"`
	Funding      []eldergate.FundingShare `json:"funding"`
}

// ReconcileLine is one meal whose re-decision differs.
type ReconcileLine struct {
	EventID   string        `json:"event_id"`
	Site      string        `json:"site"`
	SiteName  string        `json:"site_name"`
	GW        string        `json:"gw"`
	At        time.Time     `json:"at"`
	Local     string        `json:"local"`     // the time in the site's zone, "2026-12-03 12:05"
	TimeZone  string        `json:"time_zone"` // the site's zone (the policy's)
	Window    string        `json:"window"`
	Elder     string        `json:"elder"` // masked name (eldergate.MaskName)
	Manual    bool          `json:"manual"`
	Policy    string        `json:"policy_version"`
	Gateway   ReconcileSide `json:"gateway"`
	Cloud     ReconcileSide `json:"cloud"`
	Layers    []LayerDiff   `json:"layers"` // cloud − gateway per layer and code, non-zero only
	Subsidy   int64         `json:"subsidy_diff_fen"`
	Operating int64         `json:"operating_diff_fen"`
	Pay       int64         `json:"pay_diff_fen"`
}

// LayerDiff is a difference (cloud − gateway) of one funding layer and
// division code.
type LayerDiff struct {
	Layer string `json:"layer"`
	Code  string `json:"code"`
	Fen   int64  `json:"fen"`
	Meals int64  `json:"meals"` // meals with a difference of this layer and code
}

// ReconcileSkip is a meal of the month in scope the cloud could not
// re-decide, with the reason.
type ReconcileSkip struct {
	EventID  string    `json:"event_id"`
	Site     string    `json:"site"`
	SiteName string    `json:"site_name"`
	At       time.Time `json:"at"`
	Local    string    `json:"local"`     // the time in the report's zone, "2026-12-03 12:05"
	TimeZone string    `json:"time_zone"` // the report's zone
	Elder    string    `json:"elder"`
	Policy   string    `json:"policy_version"`
	Decision string    `json:"decision"`
	Subsidy  int64     `json:"subsidy_fen"`
	Reason   string    `json:"reason"` // Skip...
}

// ReconcileInput is what Reconcile reads.
type ReconcileInput struct {
	Month string
	TZ    *time.Location
	// Units is the whole org tree (sites outside the scope hold earlier
	// meals whose jurisdiction is needed too).
	Units []domain.OrgUnit
	// Meals as ReconcileMeals returns them, in event-time order.
	Meals []domain.ReconcileMeal
	// Elders are the cloud roster entries of the meals' elders.
	Elders []domain.RosterEntry
	// Policies are the stored versions the meals name (a version missing
	// is not held; a nil value is one that does not parse).
	Policies map[string]*policy.Policy
}

// LoadPolicies reads and parses the policy versions the meals name from
// get (a store's Policy): a version not held is left out, one that does
// not parse maps to nil.
func LoadPolicies(ctx context.Context, get func(context.Context, string) (domain.StoredPolicy, error), meals []domain.ReconcileMeal) (map[string]*policy.Policy, error) {
	out := map[string]*policy.Policy{}
	seen := map[string]bool{}
	for _, m := range meals {
		v := m.PolicyVersion
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		sp, err := get(ctx, v)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reports: reconcile: policy %s: %w", v, err)
		}
		p, err := policy.Parse([]byte(sp.Body))
		if err != nil || p.Version != v {
			out[v] = nil
			continue
		}
		out[v] = p
	}
	return out, nil
}

// Reconcile re-decides the meals of in and lists the differences of the
// meals in scope in the month (rules at the top of this file).
func Reconcile(in ReconcileInput) (ReconcileReport, error) {
	from, to, err := ParseMonth(in.Month, in.TZ)
	if err != nil {
		return ReconcileReport{}, err
	}
	rep := ReconcileReport{Month: in.Month, TimeZone: in.TZ.String(), From: from.UTC(), To: to.UTC(),
		Since: ReconcileLookback(from, in.TZ).UTC(), Differences: []ReconcileLine{}, NotRedecidable: []ReconcileSkip{},
		Layers: []string{}, Totals: []LayerDiff{}}

	names := map[string]string{}
	for _, u := range in.Units {
		names[u.ID] = u.Name
	}
	places := map[string]*policy.Place{} // site -> jurisdiction (nil: not in the tree)
	place := func(site string) (policy.Place, string) {
		p, ok := places[site]
		if !ok {
			if pl, in := domain.SitePlace(in.Units, site); in {
				p = &pl
			}
			places[site] = p
		}
		switch {
		case p == nil:
			return policy.Place{}, SkipSiteNotInTree
		case *p == policy.Place{}:
			return policy.Place{}, SkipSiteWithoutCode
		}
		return *p, ""
	}
	// The elder as the cloud roster has it: the entry of the meal's site,
	// else the first other site's.
	elders := map[string]map[string]eldergate.Elder{}
	for _, e := range in.Elders {
		if elders[e.Elder.ID] == nil {
			elders[e.Elder.ID] = map[string]eldergate.Elder{}
		}
		elders[e.Elder.ID][e.Site] = e.Elder.Elder
		if _, ok := elders[e.Elder.ID][""]; !ok {
			elders[e.Elder.ID][""] = e.Elder.Elder
		}
	}
	elderAt := func(id, site string) (eldergate.Elder, bool) {
		m := elders[id]
		if e, ok := m[site]; ok {
			return e, true
		}
		e, ok := m[""]
		return e, ok
	}
	masked := func(id string) string {
		if e, ok := elderAt(id, ""); ok && e.Name != "" {
			return eldergate.MaskName(e.Name)
		}
		return eldergate.MaskName(id)
	}

	// Voids apply at their time, in order, between the meals.
	type void struct {
		at    time.Time
		elder string
		id    string
	}
	var voids []void
	for _, m := range in.Meals {
		if m.VoidedAt != nil {
			voids = append(voids, void{*m.VoidedAt, m.ElderID, m.EventID})
		}
	}
	slices.SortStableFunc(voids, func(a, b void) int { return a.at.Compare(b.at) })

	var ledger policy.Ledger
	counted := map[string]policy.Decision{} // event id -> the decision the ledger counted
	totals := map[[2]string]*LayerDiff{}
	for _, m := range in.Meals {
		for len(voids) > 0 && !voids[0].at.After(m.At) {
			if d, ok := counted[voids[0].id]; ok {
				ledger.Remove(voids[0].elder, d)
				delete(counted, voids[0].id)
			}
			voids = voids[1:]
		}
		report := m.InScope && !m.At.Before(from) && m.At.Before(to)
		if report {
			rep.Meals++
		}
		if m.Decision == eldergate.DecisionRefused && slices.Contains(readerRefusals, m.Reason) {
			if report {
				rep.RefusedAtReader++
			}
			continue
		}
		skip := func(reason string) {
			if report {
				rep.NotRedecidable = append(rep.NotRedecidable, ReconcileSkip{EventID: m.EventID, Site: m.Site, SiteName: names[m.Site],
					At: m.At.UTC(), Local: m.At.In(in.TZ).Format("2006-01-02 15:04"), TimeZone: in.TZ.String(),
					Elder: masked(m.ElderID), Policy: m.PolicyVersion, Decision: m.Decision, Subsidy: m.SubsidyFen, Reason: reason})
			}
		}
		pol, held := in.Policies[m.PolicyVersion]
		switch {
		case m.PolicyVersion == "":
			skip(SkipNoPolicyVersion)
			continue
		case !held:
			skip(SkipPolicyNotHeld)
			continue
		case pol == nil:
			skip(SkipPolicyInvalid)
			continue
		}
		gw := gatewaySide(m)
		ps, _ := pol.Periods(m.At)
		elder, onRoster := elderAt(m.ElderID, m.Site)
		pl, why := place(m.Site)
		if !onRoster {
			why = SkipElderNotRostered
		}
		if why != "" {
			// Not re-decided: its usage counts as the gateway decided it,
			// so that the elder's later meals still see it.
			d := storedDecision(m, ps) // preview.go
			if ledger.Add(m.ElderID, d) {
				counted[m.EventID] = d
			}
			skip(why)
			continue
		}
		d := pol.Decide(policy.Input{
			Elder:    policy.FromRoster(elder),
			Site:     policy.Site{ID: m.Site, Place: pl},
			At:       m.At,
			PriceFen: eldergate.Fen(m.PriceFen),
			WeightG:  m.WeightG,
			Usage:    ledger.Usage(m.ElderID, ps),
			UsageAge: 0, // a perfect network: usage synced at every meal
		})
		if ledger.Add(m.ElderID, d) {
			counted[m.EventID] = d
		}
		if !report {
			continue
		}
		if m.VoidedAt != nil {
			rep.Voided++
			continue
		}
		rep.Compared++
		cl := ReconcileSide{Decision: d.Decision, Reason: d.Reason, Limit: d.Limit, Rule: d.Rule, SubsidyFen: int64(d.SubsidyFen),
			PayFen: int64(d.PayFen), OperatingFen: int64(d.OperatingFen), Funding: d.Funding}
		layers := diffShares(gw.Funding, cl.Funding)
		if gw.Decision == cl.Decision && gw.SubsidyFen == cl.SubsidyFen && gw.OperatingFen == cl.OperatingFen && len(layers) == 0 {
			rep.Same++
			continue
		}
		loc := in.TZ
		if l, err := time.LoadLocation(pol.TimeZone); err == nil {
			loc = l
		}
		line := ReconcileLine{EventID: m.EventID, Site: m.Site, SiteName: names[m.Site], GW: m.GW, At: m.At.UTC(),
			Local: m.At.In(loc).Format("2006-01-02 15:04"), TimeZone: loc.String(), Window: m.Window,
			Elder: masked(m.ElderID), Manual: m.Manual, Policy: m.PolicyVersion, Gateway: gw, Cloud: cl, Layers: layers,
			Subsidy: cl.SubsidyFen - gw.SubsidyFen, Operating: cl.OperatingFen - gw.OperatingFen, Pay: cl.PayFen - gw.PayFen}
		rep.Differences = append(rep.Differences, line)
		rep.SubsidyFen += line.Subsidy
		rep.OperatingFen += line.Operating
		rep.PayFen += line.Pay
		for _, l := range layers {
			k := [2]string{l.Layer, l.Code}
			if totals[k] == nil {
				totals[k] = &LayerDiff{Layer: l.Layer, Code: l.Code}
			}
			totals[k].Fen += l.Fen
			totals[k].Meals++
		}
	}
	seen := map[string]bool{}
	for _, t := range totals {
		rep.Totals = append(rep.Totals, *t)
		if !seen[t.Layer] {
			seen[t.Layer] = true
			rep.Layers = append(rep.Layers, t.Layer)
		}
	}
	slices.SortFunc(rep.Totals, func(a, b LayerDiff) int {
		return cmp.Or(cmp.Compare(layerRank(a.Layer), layerRank(b.Layer)), cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.Code, b.Code))
	})
	slices.SortFunc(rep.Layers, func(a, b string) int { return cmp.Or(cmp.Compare(layerRank(a), layerRank(b)), cmp.Compare(a, b)) })
	return rep, nil
}

// gatewaySide is the gateway's decision of a stored meal.
func gatewaySide(m domain.ReconcileMeal) ReconcileSide {
	f := m.Funding
	if f == nil {
		f = []eldergate.FundingShare{}
	}
	return ReconcileSide{Decision: m.Decision, Reason: m.Reason, Rule: m.Rule, SubsidyFen: m.SubsidyFen, PayFen: m.PayFen,
		OperatingFen: m.OperatingFen, Funding: f}
}

// diffShares is cloud − gateway per layer and division code, the
// non-zero ones, top layer first.
func diffShares(gw, cloud []eldergate.FundingShare) []LayerDiff {
	sum := map[[2]string]int64{}
	var keys [][2]string
	add := func(s eldergate.FundingShare, sign int64) {
		k := [2]string{s.Layer, s.Code}
		if _, ok := sum[k]; !ok {
			keys = append(keys, k)
		}
		sum[k] += sign * int64(s.Fen)
	}
	for _, s := range cloud {
		add(s, 1)
	}
	for _, s := range gw {
		add(s, -1)
	}
	out := []LayerDiff{}
	for _, k := range keys {
		if sum[k] != 0 {
			out = append(out, LayerDiff{Layer: k[0], Code: k[1], Fen: sum[k], Meals: 1})
		}
	}
	slices.SortFunc(out, func(a, b LayerDiff) int {
		return cmp.Or(cmp.Compare(layerRank(a.Layer), layerRank(b.Layer)), cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.Code, b.Code))
	})
	return out
}

// ReconcileSource is what ReconcileMonth reads: the org tree and the
// reconciliation's store reads (a domain.Store).
type ReconcileSource interface {
	ListOrgUnits(ctx context.Context, scope string) ([]domain.OrgUnit, error)
	domain.ReconcileStore
}

// ReconcileMonth reads what the reconciliation of month (in tz) for the
// sites of scope needs from src — the whole tree, the meals of the month's
// elders since ReconcileLookback at every site, their cloud roster
// entries, the policy versions the meals name — and reconciles.
func ReconcileMonth(ctx context.Context, src ReconcileSource, month string, tz *time.Location, scope string) (ReconcileReport, error) {
	from, to, err := ParseMonth(month, tz)
	if err != nil {
		return ReconcileReport{}, err
	}
	units, err := src.ListOrgUnits(ctx, "")
	if err != nil {
		return ReconcileReport{}, fmt.Errorf("reports: reconcile: %w", err)
	}
	meals, err := src.ReconcileMeals(ctx, scope, ReconcileLookback(from, tz), from, to)
	if err != nil {
		return ReconcileReport{}, fmt.Errorf("reports: reconcile: %w", err)
	}
	var ids []string
	seen := map[string]bool{}
	for _, m := range meals {
		if !seen[m.ElderID] {
			seen[m.ElderID] = true
			ids = append(ids, m.ElderID)
		}
	}
	elders, err := src.RosterElders(ctx, ids)
	if err != nil {
		return ReconcileReport{}, fmt.Errorf("reports: reconcile: %w", err)
	}
	pols, err := LoadPolicies(ctx, src.Policy, meals)
	if err != nil {
		return ReconcileReport{}, err
	}
	return Reconcile(ReconcileInput{Month: month, TZ: tz, Units: units, Meals: meals, Elders: elders, Policies: pols})
}
