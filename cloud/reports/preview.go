package reports

// "What would this elder get" (issue 13; docs/policies/README.md,
// preview): a policy version's decision for one elder at one site and
// time, computed by the gateway's engine (policy.Decide) with the usage
// the elder's stored meals give: every meal at every site before the
// time, counted as its gateway decided it (policy.Ledger, the rule the
// gateway's counters share), a meal voided before the time not counted.
// The reconciliation counts the meals it cannot re-decide the same way
// (storedDecision).

import (
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/policy"
)

// storedDecision is a stored meal's decision as the usage counters count
// it: the gateway's decision and subsidy in the periods ps.
func storedDecision(m domain.ReconcileMeal, ps policy.Periods) policy.Decision {
	return policy.Decision{Decision: m.Decision, Periods: ps, SubsidyFen: eldergate.Fen(m.SubsidyFen)}
}

// PreviewSince is the earliest meal time whose usage a decision at at
// can need under p: the start of the ISO week or of the month of at in
// the policy's zone, whichever is earlier.
func PreviewSince(p *policy.Policy, at time.Time) time.Time {
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	lt := at.In(loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	week := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	month := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, loc)
	if week.Before(month) {
		return week.UTC()
	}
	return month.UTC()
}

// StoredUsage is the usage of elder at time at under p: the elder's
// meals of meals (any site, any elder: others are skipped) before at,
// counted as their gateways decided them, in the periods of at.
func StoredUsage(p *policy.Policy, meals []domain.ReconcileMeal, elder string, at time.Time) policy.Usage {
	var ledger policy.Ledger
	for _, m := range meals {
		if m.ElderID != elder || !m.At.Before(at) || (m.VoidedAt != nil && !m.VoidedAt.After(at)) {
			continue
		}
		ps, _ := p.Periods(m.At)
		ledger.Add(elder, storedDecision(m, ps))
	}
	ps, _ := p.Periods(at)
	return ledger.Usage(elder, ps)
}

// PreviewInput is one "what would this elder get".
type PreviewInput struct {
	Policy   *policy.Policy
	Elder    eldergate.Elder
	Site     policy.Site
	At       time.Time
	PriceFen eldergate.Fen // the price rung up, for a window priced at the till (0: the window's)
	WeightG  int64         // the weight, for a window priced by weight
	Meals    []domain.ReconcileMeal
}

// Preview decides the meal as the gateway would: an inactive elder is
// refused (card_inactive) before the engine, as at the reader; else
// policy.Decide with the stored usage, synced now (UsageAge 0). It
// returns the decision and the usage it was decided with.
func Preview(in PreviewInput) (policy.Decision, policy.Usage) {
	if !in.Elder.Active {
		return in.Policy.Refused(in.At, eldergate.ReasonCardInactive), policy.Usage{}
	}
	u := StoredUsage(in.Policy, in.Meals, in.Elder.ID, in.At)
	d := in.Policy.Decide(policy.Input{
		Elder: policy.FromRoster(in.Elder), Site: in.Site, At: in.At,
		PriceFen: in.PriceFen, WeightG: in.WeightG, Usage: u, UsageAge: 0,
	})
	return d, u
}
