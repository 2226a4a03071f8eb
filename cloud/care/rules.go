package care

import (
	"context"
	"errors"
	"fmt"
	"sort"
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
	CareLastDays(ctx context.Context, scope string) (map[string]string, error)
	CareMealDays(ctx context.Context, elders []string, from, to string) ([]domain.CareMealDay, error)
	CareVisits(ctx context.Context, scope string) ([]domain.CareVisit, error)
}

// chunk is the number of elders whose meals List reads at once.
const chunk = 100

// List reads the store and runs Flag for the elders whose home site is in
// the subtree of scope, at now. It reads the last meal day of every elder
// (one index seek each), and the meals of the rule's weeks only for the
// elders away for at least the rule's days: the cost follows the roster
// and the absent elders, not the years of meals.
func List(ctx context.Context, st ListStore, scope string, now time.Time) ([]Entry, error) {
	elders, err := st.CareElders(ctx, scope)
	if err != nil {
		return nil, err
	}
	lastDays, err := st.CareLastDays(ctx, scope)
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
	type window struct {
		elder    string
		from, to int // day numbers
	}
	windows := map[string]*window{}
	for _, e := range elders {
		h, ok := homes[e.Site]
		last, seen := dayNum(lastDays[e.ID])
		if !e.Active || !ok || !seen {
			continue
		}
		if today(now, h.Zone)-last < h.Rule.AbsentDays {
			continue
		}
		from := last - 7*h.Rule.Weeks + 1
		if w := windows[e.ID]; w != nil {
			w.from = min(w.from, from)
		} else {
			windows[e.ID] = &window{elder: e.ID, from: from, to: last}
		}
	}
	ws := make([]*window, 0, len(windows))
	for _, w := range windows {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool {
		return ws[i].from < ws[j].from || ws[i].from == ws[j].from && ws[i].elder < ws[j].elder
	})
	var meals []domain.CareMealDay
	for i := 0; i < len(ws); i += chunk {
		part := ws[i:min(i+chunk, len(ws))]
		ids := make([]string, len(part))
		from, to := part[0].from, part[0].to
		for j, w := range part {
			ids[j] = w.elder
			from, to = min(from, w.from), max(to, w.to)
		}
		m, err := st.CareMealDays(ctx, ids, dayString(from), dayString(to))
		if err != nil {
			return nil, err
		}
		meals = append(meals, m...)
	}
	visits, err := st.CareVisits(ctx, scope)
	if err != nil {
		return nil, err
	}
	return Flag(Input{Now: now, Elders: elders, Meals: meals, Visits: visits,
		HomeOf: func(site string) (Home, bool) { h, ok := homes[site]; return h, ok }}), nil
}
