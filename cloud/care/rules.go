package care

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// RuleReader is what resolving rules and homes reads.
type RuleReader interface {
	OrgUnit(ctx context.Context, id string) (domain.OrgUnit, error)
	CareRuleOf(ctx context.Context, unit string) ([]byte, error)
}

// RuleOf returns the rule that applies at unit: its own, else that of the
// nearest unit above it with one, else domain.DefaultCareRule; from is
// the unit the rule came from ("" for the default). ErrNotFound when unit
// is not in the tree.
func RuleOf(ctx context.Context, r RuleReader, unit string) (rule domain.CareRule, from string, err error) {
	for id := unit; id != ""; {
		u, err := r.OrgUnit(ctx, id)
		if err != nil {
			return domain.CareRule{}, "", err
		}
		body, err := r.CareRuleOf(ctx, u.ID)
		if err != nil {
			return domain.CareRule{}, "", err
		}
		if body != nil {
			rule, err := domain.ParseCareRule(body)
			if err != nil {
				return domain.CareRule{}, "", fmt.Errorf("care rule of %s: %w", u.ID, err)
			}
			return rule, u.ID, nil
		}
		id = u.ParentID
	}
	return domain.DefaultCareRule, "", nil
}

// Homes returns, for each site unit of sites, where its elders belong: the
// site's community (its parent), the rule at the site and the zone of its
// days (domain.DefaultTimeZone: the cloud keeps no zone per site yet).
// A site outside the tree is left out.
func Homes(ctx context.Context, r RuleReader, sites []string) (map[string]Home, error) {
	zone, err := time.LoadLocation(domain.DefaultTimeZone)
	if err != nil {
		return nil, err
	}
	out := map[string]Home{}
	for _, site := range sites {
		if _, done := out[site]; done {
			continue
		}
		u, err := r.OrgUnit(ctx, site)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if u.Level != domain.LevelSite {
			continue
		}
		rule, _, err := RuleOf(ctx, r, site)
		if err != nil {
			return nil, err
		}
		out[site] = Home{Community: u.ParentID, Zone: zone, Rule: rule}
	}
	return out, nil
}

// ListStore is what List reads.
type ListStore interface {
	RuleReader
	CareElders(ctx context.Context, scope string) ([]domain.CareElder, error)
	CareMealDays(ctx context.Context, scope string, since time.Time) ([]domain.CareMealDay, error)
	CareVisits(ctx context.Context, scope string) ([]domain.CareVisit, error)
}

// List reads the store and runs Flag for the elders whose home site is in
// the subtree of scope, at now.
func List(ctx context.Context, st ListStore, scope string, now time.Time) ([]Entry, error) {
	elders, err := st.CareElders(ctx, scope)
	if err != nil {
		return nil, err
	}
	meals, err := st.CareMealDays(ctx, scope, Since(now))
	if err != nil {
		return nil, err
	}
	visits, err := st.CareVisits(ctx, scope)
	if err != nil {
		return nil, err
	}
	sites := make([]string, 0, len(elders))
	for _, e := range elders {
		sites = append(sites, e.Site)
	}
	homes, err := Homes(ctx, st, sites)
	if err != nil {
		return nil, err
	}
	return Flag(Input{Now: now, Elders: elders, Meals: meals, Visits: visits,
		HomeOf: func(site string) (Home, bool) { h, ok := homes[site]; return h, ok }}), nil
}
