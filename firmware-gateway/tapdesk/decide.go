package tapdesk

import (
	"context"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/policy"
)

// lookup finds the elder of a credential presented at a reader. When ok
// is false, refusal says why: unknown_card, card_lost or card_cancelled.
func (d *Desk) lookup(ctx context.Context, cred string) (e eldergate.Elder, ok bool, refusal string, err error) {
	m, found, err := d.store.LookupCredential(ctx, cred)
	if err != nil || !found {
		return e, false, eldergate.ReasonUnknownCard, err
	}
	switch m.State {
	case eldergate.CredActive:
		return m.Elder, true, "", nil
	case eldergate.CredLost:
		return e, false, eldergate.ReasonCardLost, nil
	default:
		return e, false, eldergate.ReasonCardCancelled, nil
	}
}

// decide prices and decides one meal of a known elder at time at: the
// price rung up at the till when not zero, else the
// stable weight on the scale (for by-weight windows), the elder's usage in
// the meal's periods (local counters plus other sites'), the age of the
// last usage sync, then the policy engine.
func (d *Desk) decide(ctx context.Context, elder eldergate.Elder, at time.Time, price eldergate.Fen) (policy.Decision, int64, error) {
	var weight int64
	d.mu.Lock()
	p := d.policy
	if d.weight.State == scale.Stable && d.weight.Grams > 0 {
		weight = d.weight.Grams
	}
	d.mu.Unlock()
	if !elder.Active {
		return p.Refused(at, eldergate.ReasonCardInactive), weight, nil
	}
	ps, _ := p.Periods(at)
	usage, err := d.store.Usage(ctx, elder.ID, ps, d.site.ID)
	if err != nil {
		return policy.Decision{}, 0, err
	}
	age := time.Duration(-1) // never synced
	if p.StaleUsage != nil {
		synced, ok, err := d.store.UsageSyncedAt(ctx)
		if err != nil {
			return policy.Decision{}, 0, err
		}
		if ok {
			age = max(at.Sub(synced), 0)
		}
	}
	dec := p.Decide(policy.Input{
		Elder:    policy.FromRoster(elder),
		Site:     d.site,
		At:       at,
		PriceFen: price,
		WeightG:  weight,
		Usage:    usage,
		UsageAge: age,
	})
	return dec, weight, nil
}

// mealData is the data of the meal event for the cloud.
func mealData(elder eldergate.Elder, masked, window string, dec policy.Decision, weight int64) eldergate.MealData {
	m := eldergate.MealData{
		ElderID: elder.ID, Credential: masked, Window: window, Day: dec.Day,
		Decision: dec.Decision, Reason: dec.Reason,
		PriceFen: dec.PriceFen, SubsidyFen: dec.SubsidyFen, PayFen: dec.PayFen,
		WeightG: weight, PolicyVer: dec.PolicyVersion,
	}
	// What the engine decided beyond the first version's fields.
	m.Rule = dec.Rule
	m.DiscountFen, m.DiscountBy = dec.DiscountFen, dec.DiscountBy
	if len(dec.Funding) > 0 {
		m.Funding = dec.Funding
	}
	m.OperatingFen, m.OperatingBy = dec.OperatingFen, dec.OperatingBy
	return m
}

// storedPolicy is what the store keeps of the decision with the meal; a
// meal that counts (policy.Counted: an approved meal) counts in the usage
// counters of its periods, as the cloud's reconciliation counts it.
func storedPolicy(dec policy.Decision) *sqlite.MealPolicy {
	mp := &sqlite.MealPolicy{Rule: dec.Rule, DiscountFen: dec.DiscountFen, OperatingFen: dec.OperatingFen, Funding: dec.Funding}
	mp.UsageKeys, _ = policy.Counted(dec) // the usage rule, written once (policy/ledger.go)
	return mp
}

// ApplyRemoteUsage stores cross-site usage pushed by the cloud and
// records the sync time used by the policy's stale_usage. Rows of the
// desk's own site are ignored: its meals are already in its own counters.
func (d *Desk) ApplyRemoteUsage(ctx context.Context, rows []sqlite.RemoteUsage) (int, error) {
	own := 0
	keep := rows[:0:0]
	for _, r := range rows {
		if r.Site == d.site.ID {
			own++
			continue
		}
		keep = append(keep, r)
	}
	n, err := d.store.ApplyRemoteUsage(ctx, keep, d.now())
	if err != nil {
		return 0, fmt.Errorf("tapdesk: %w", err)
	}
	d.log.Info("gateway: remote usage applied", "rows", n, "own_site_ignored", own)
	return n, nil
}
