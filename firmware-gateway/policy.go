package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/firmware-gateway/sqlite"
	"github.com/eldergate/eldergate/policy"
)

// currentPolicy returns the policy decisions use now and the site. A
// policy or config command replaces g.cfg.Policy under g.mu with an
// already validated policy; the copy returned shares its immutable
// compiled form.
func (g *Gateway) currentPolicy() (policy.Policy, policy.Site) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg.Policy, policy.Site{ID: g.cfg.Site, Place: g.cfg.Area}
}

// SetPolicy validates p and makes it the policy of the next decisions,
// without a restart. On an error the current policy stays.
func (g *Gateway) SetPolicy(p policy.Policy) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	g.mu.Lock()
	old := g.cfg.Policy.Version
	g.cfg.Policy = p
	g.mu.Unlock()
	g.log.Info("gateway: policy applied", "version", p.Version, "previous", old)
	return nil
}

// ApplyRemoteUsage stores cross-site usage pushed by the cloud (command
// usage) and records the sync time used by the policy's stale_usage.
// Rows of this gateway's own site are ignored: its meals are already in
// its own counters.
func (g *Gateway) ApplyRemoteUsage(ctx context.Context, rows []sqlite.RemoteUsage) (int, error) {
	_, site := g.currentPolicy()
	own := 0
	keep := rows[:0:0]
	for _, r := range rows {
		if r.Site == site.ID {
			own++
			continue
		}
		keep = append(keep, r)
	}
	n, err := g.store.ApplyRemoteUsage(ctx, keep, g.now())
	if err != nil {
		return 0, fmt.Errorf("gateway: %w", err)
	}
	g.log.Info("gateway: remote usage applied", "rows", n, "own_site_ignored", own)
	return n, nil
}

// decide prices and decides one meal of a known elder at time at: the
// stable weight on the scale (for by-weight windows), the elder's usage in
// the meal's periods (local counters plus other sites'), the age of the
// last usage sync, then the policy engine.
func (g *Gateway) decide(ctx context.Context, elder eldergate.Elder, at time.Time) (policy.Decision, int64, error) {
	p, site := g.currentPolicy()
	var weight int64
	g.mu.Lock()
	if g.weight.State == scale.Stable && g.weight.Grams > 0 {
		weight = g.weight.Grams
	}
	g.mu.Unlock()
	if !elder.Active {
		d := p.Refused(at, eldergate.ReasonCardInactive)
		return d, weight, nil
	}
	ps, _ := p.Periods(at)
	usage, err := g.store.Usage(ctx, elder.ID, ps, site.ID)
	if err != nil {
		return policy.Decision{}, 0, err
	}
	age := time.Duration(-1) // never synced
	if p.StaleUsage != nil {
		synced, ok, err := g.store.UsageSyncedAt(ctx)
		if err != nil {
			return policy.Decision{}, 0, err
		}
		if ok {
			age = max(at.Sub(synced), 0)
		}
	}
	d := p.Decide(policy.Input{
		Elder:    policy.FromRoster(elder),
		Site:     site,
		At:       at,
		WeightG:  weight,
		Usage:    usage,
		UsageAge: age,
	})
	return d, weight, nil
}

// setMealPolicy copies what the engine decided beyond the first version's
// fields into the meal event for the cloud.
func setMealPolicy(m *eldergate.MealData, d policy.Decision) {
	m.Rule = d.Rule
	m.DiscountFen, m.DiscountBy = d.DiscountFen, d.DiscountBy
	if len(d.Funding) > 0 {
		m.Funding = d.Funding
	}
	m.OperatingFen, m.OperatingBy = d.OperatingFen, d.OperatingBy
}

// storedPolicy is what the store keeps of the decision with the meal; an
// approved meal counts in the usage counters of its periods.
func storedPolicy(d policy.Decision) *sqlite.MealPolicy {
	mp := &sqlite.MealPolicy{Rule: d.Rule, DiscountFen: d.DiscountFen, OperatingFen: d.OperatingFen, Funding: d.Funding}
	if d.Counts() {
		mp.UsageKeys = d.Periods.Keys()
	}
	return mp
}
