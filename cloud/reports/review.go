package reports

// # Items to review (issue 12, 防冒领)
//
// Review finds, for one month in a time zone and the sites of one org
// unit, the meals a district should look at before it pays for them. Each
// item has a kind, its facts (kind code and parameters; a sentence in the
// report's language) and the meals behind it. docs/review.md says what
// each kind means and where its limits are; the thresholds are the
// constants below, in one place. Each kind is one small function over the
// store's rows (domain.ReviewStore), tested on its own (review_test.go).
//
// Meals that claim nothing are no evidence of a double claim: a refused
// tap is no meal, and a voided meal is its own item (void) and in no other
// kind. Only unusual_hours looks at refused taps too (a card tried at
// night is worth a look even when it was turned away).

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// The kinds of item, in the order the report lists them.
const (
	KindTwoSites      = "two_sites_one_window" // one elder, recorded meals at two sites in one local day and window
	KindAfterCardLost = "after_card_lost"      // a card meal after the card was reported lost or cancelled at the cloud
	KindAfterRemoved  = "after_removed"        // a meal after the elder was removed from that site's roster
	KindManualBurst   = "manual_burst"         // ManualBurstCount manual meals by one staff account within ManualBurstWindow
	KindVoid          = "void"                 // a meal voided by staff
	KindUnusualHours  = "unusual_hours"        // a card tap at night (NightFrom to NightTo) in the site's zone
)

// ReviewKinds lists the kinds in report order.
var ReviewKinds = []string{KindTwoSites, KindAfterCardLost, KindAfterRemoved, KindManualBurst, KindVoid, KindUnusualHours}

// The thresholds of the items to review: every rule's number is here.
const (
	// ManualBurstCount manual meals or more, recorded by one staff account
	// at one site within ManualBurstWindow, are a burst. A hall keys a
	// forgotten card by hand now and then; ten in ten minutes is a queue
	// of elders without cards, or meals made up.
	ManualBurstCount  = 10
	ManualBurstWindow = 10 * time.Minute
	// Night is from NightFrom o'clock to NightTo o'clock in the site's
	// zone (local hours [21, 6)): no hall serves a meal window then.
	NightFrom = 21
	NightTo   = 6
)

// ReviewReport is the items to review of one month.
type ReviewReport struct {
	Month      string           `json:"month"`
	TimeZone   string           `json:"time_zone"`
	From       time.Time        `json:"from"`
	To         time.Time        `json:"to"`
	Lang       string           `json:"lang"` // the language of the items' Text
	Kinds      []string         `json:"kinds"`
	Counts     map[string]int   `json:"counts"` // items per kind (every kind, 0 included)
	Items      []ReviewItem     `json:"items"`
	Thresholds ReviewThresholds `json:"thresholds"`
}

// ReviewThresholds are the thresholds the report was made with.
type ReviewThresholds struct {
	ManualBurstCount   int `json:"manual_burst_count"`
	ManualBurstMinutes int `json:"manual_burst_minutes"`
	NightFrom          int `json:"night_from"`
	NightTo            int `json:"night_to"`
}

// ReviewItem is one item to review.
type ReviewItem struct {
	ID     string            `json:"id"` // kind:first meal's event id, stable
	Kind   string            `json:"kind"`
	At     time.Time         `json:"at"` // the first meal's time
	Params map[string]string `json:"params"`
	Text   string            `json:"text"` // the facts in words, in the report's language
	Meals  []ReviewItemMeal  `json:"meals"`
}

// ReviewItemMeal is one meal behind an item. A meal at a site outside
// the caller's scope (the other site of two_sites_one_window) shows only
// what proves the double service: event id, site, time, window and
// decision; its credential, staff, reason and amounts are withheld
// (Withheld true).
type ReviewItemMeal struct {
	EventID    string    `json:"event_id"`
	Site       string    `json:"site"`
	SiteName   string    `json:"site_name"`
	At         time.Time `json:"at"`
	Local      string    `json:"local"` // time in the report's zone, "2006-01-02 15:04"
	ElderID    string    `json:"elder_id"`
	Name       string    `json:"name"` // masked
	Credential string    `json:"credential"`
	Window     string    `json:"window"`
	Day        string    `json:"day"`
	Decision   string    `json:"decision"`
	Reason     string    `json:"reason,omitempty"`
	Manual     bool      `json:"manual"`
	Staff      string    `json:"staff,omitempty"`
	PriceFen   int64     `json:"price_fen"`
	SubsidyFen int64     `json:"subsidy_fen"`
	PayFen     int64     `json:"pay_fen"`
	Voided     bool      `json:"voided"`
	VoidedBy   string    `json:"voided_by,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	Withheld   bool      `json:"withheld,omitempty"`
}

// NightSpans are the instants of [from, to) that are night (NightFrom to
// NightTo o'clock) in tz, one span per night, each [start, end), for the
// store's candidate query (domain.ReviewStore).
func NightSpans(from, to time.Time, tz *time.Location) [][2]time.Time {
	var out [][2]time.Time
	l := from.In(tz)
	for d := time.Date(l.Year(), l.Month(), l.Day()-1, 0, 0, 0, 0, tz); d.Before(to); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, tz) {
		a := time.Date(d.Year(), d.Month(), d.Day(), NightFrom, 0, 0, 0, tz)
		b := time.Date(d.Year(), d.Month(), d.Day()+1, NightTo, 0, 0, 0, tz)
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if a.Before(b) {
			out = append(out, [2]time.Time{a.UTC(), b.UTC()})
		}
	}
	return out
}

// atNight reports whether t is night in tz.
func atNight(t time.Time, tz *time.Location) bool {
	h := t.In(tz).Hour()
	return h >= NightFrom || h < NightTo
}

// counts reports whether m claims a meal (recorded, not voided).
func counts(m domain.ReviewMeal) bool {
	return m.Decision != eldergate.DecisionRefused && !m.Voided
}

// finding is an item before it is worded: its kind, parameters and meals.
type finding struct {
	kind   string
	params map[string]string
	meals  []domain.ReviewMeal
}

// inMonth reports whether m is one of the caller's meals of the month
// (the meals that can raise an item).
func inMonth(m domain.ReviewMeal, from, to time.Time) bool {
	return m.InScope && !m.At.Before(from) && m.At.Before(to)
}

// twoSites: one elder with recorded meals at two or more sites in one
// local day and window (the gateway's own day and window of each meal),
// one of them the caller's in the month. All the group's meals are named.
func twoSites(meals []domain.ReviewMeal, from, to time.Time) []finding {
	type key struct{ elder, day, window string }
	groups := map[key][]domain.ReviewMeal{}
	var order []key
	for _, m := range meals {
		if !counts(m) || m.ElderID == "" {
			continue
		}
		k := key{m.ElderID, m.Day, m.Window}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], m)
	}
	var out []finding
	for _, k := range order {
		g := groups[k]
		sites := map[string]bool{}
		mine := false
		for _, m := range g {
			sites[m.Site] = true
			mine = mine || inMonth(m, from, to)
		}
		if len(sites) < 2 || !mine {
			continue
		}
		out = append(out, finding{KindTwoSites, map[string]string{"elder": k.elder, "day": k.day, "window": k.window,
			"sites": strconv.Itoa(len(sites))}, g})
	}
	return out
}

// stateAt is the last roster change among changes (ordered by time) that
// matches and is dated at or before t; ok false when none.
func stateAt(changes []domain.RosterChangeRow, t time.Time, match func(domain.RosterChangeRow) bool) (domain.RosterChangeRow, bool) {
	var last domain.RosterChangeRow
	ok := false
	for _, c := range changes {
		if c.At.After(t) {
			break
		}
		if match(c) {
			last, ok = c, true
		}
	}
	return last, ok
}

// afterCardLost: a recorded card meal whose credential (matched on the
// elder and the masked value, the form both the meal and the history
// keep) was, at the meal's time, last reported lost or cancelled at the
// cloud, at any site's roster. One item per report, with every meal after
// it.
func afterCardLost(meals []domain.ReviewMeal, changes []domain.RosterChangeRow, from, to time.Time) []finding {
	return groupByChange(meals, KindAfterCardLost, from, to, func(m domain.ReviewMeal) (domain.RosterChangeRow, bool) {
		if m.Manual || m.Credential == "" {
			return domain.RosterChangeRow{}, false
		}
		c, ok := stateAt(changes, m.At, func(c domain.RosterChangeRow) bool {
			return c.What == domain.RosterCredential && c.ElderID == m.ElderID && strings.EqualFold(c.Credential, m.Credential)
		})
		return c, ok && (c.State == eldergate.CredLost || c.State == eldergate.CredCancelled)
	}, func(c domain.RosterChangeRow) map[string]string {
		return map[string]string{"credential": c.Credential, "state": c.State, "reported_at": c.At.UTC().Format(time.RFC3339), "reported_site": c.Site}
	})
}

// afterRemoved: a recorded meal of an elder who was, at the meal's time,
// last removed from the roster of the meal's site (and not put back).
// One item per removal, with every meal after it.
func afterRemoved(meals []domain.ReviewMeal, changes []domain.RosterChangeRow, from, to time.Time) []finding {
	return groupByChange(meals, KindAfterRemoved, from, to, func(m domain.ReviewMeal) (domain.RosterChangeRow, bool) {
		c, ok := stateAt(changes, m.At, func(c domain.RosterChangeRow) bool {
			return (c.What == domain.RosterRemoved || c.What == domain.RosterRestored) && c.Site == m.Site && c.ElderID == m.ElderID
		})
		return c, ok && c.What == domain.RosterRemoved
	}, func(c domain.RosterChangeRow) map[string]string {
		return map[string]string{"removed_at": c.At.UTC().Format(time.RFC3339), "site": c.Site}
	})
}

// groupByChange makes one finding per roster change that hit finds for
// the caller's recorded meals of the month.
func groupByChange(meals []domain.ReviewMeal, kind string, from, to time.Time, hit func(domain.ReviewMeal) (domain.RosterChangeRow, bool),
	params func(domain.RosterChangeRow) map[string]string) []finding {
	type key struct {
		site, elder, cred string
		at                time.Time
	}
	idx := map[key]int{}
	var out []finding
	for _, m := range meals {
		if !counts(m) || !inMonth(m, from, to) {
			continue
		}
		c, ok := hit(m)
		if !ok {
			continue
		}
		k := key{c.Site, c.ElderID, c.Credential, c.At}
		i, seen := idx[k]
		if !seen {
			p := params(c)
			p["elder"] = m.ElderID
			out = append(out, finding{kind: kind, params: p})
			i = len(out) - 1
			idx[k] = i
		}
		out[i].meals = append(out[i].meals, m)
	}
	for i := range out {
		out[i].params["meals"] = strconv.Itoa(len(out[i].meals))
	}
	return out
}

// manualBurst: n or more recorded manual meals by one staff account at
// one site within window. Overlapping bursts of one account are one item
// (the meals of every window of n within window, merged).
func manualBurst(meals []domain.ReviewMeal, from, to time.Time, n int, window time.Duration) []finding {
	type key struct{ site, staff string }
	by := map[key][]domain.ReviewMeal{}
	var order []key
	for _, m := range meals {
		if !m.Manual || !counts(m) || !inMonth(m, from, to) {
			continue
		}
		k := key{m.Site, m.Staff}
		if by[k] == nil {
			order = append(order, k)
		}
		by[k] = append(by[k], m)
	}
	var out []finding
	for _, k := range order {
		ms := by[k]
		slices.SortStableFunc(ms, func(a, b domain.ReviewMeal) int { return a.At.Compare(b.At) })
		start, end := -1, -1 // the burst being merged: ms[start..end]
		flush := func() {
			if start < 0 {
				return
			}
			g := slices.Clone(ms[start : end+1])
			out = append(out, finding{KindManualBurst, map[string]string{"site": k.site, "staff": k.staff,
				"meals": strconv.Itoa(len(g)), "minutes": strconv.Itoa(spanMinutes(g[0].At, g[len(g)-1].At))}, g})
			start, end = -1, -1
		}
		j := 0
		for i := range ms {
			for j+1 < len(ms) && ms[j+1].At.Sub(ms[i].At) <= window {
				j++
			}
			if j < i {
				j = i
			}
			if j-i+1 < n {
				continue
			}
			if start >= 0 && i > end {
				flush()
			}
			if start < 0 {
				start = i
			}
			end = max(end, j)
		}
		flush()
	}
	return out
}

// spanMinutes is the whole minutes from a to b, rounded up, at least 1
// ("within 1 minute" for meals keyed seconds apart).
func spanMinutes(a, b time.Time) int {
	m := int((b.Sub(a) + time.Minute - 1) / time.Minute)
	return max(m, 1)
}

// voids: each of the caller's voided meals of the month, with who voided
// it and when.
func voids(meals []domain.ReviewMeal, from, to time.Time) []finding {
	var out []finding
	for _, m := range meals {
		if !m.Voided || !inMonth(m, from, to) {
			continue
		}
		out = append(out, finding{KindVoid, map[string]string{"site": m.Site, "elder": m.ElderID, "voided_by": m.VoidedBy,
			"voided_at": m.VoidedAt.UTC().Format(time.RFC3339)}, []domain.ReviewMeal{m}})
	}
	return out
}

// unusualHours: taps of a card (not a manual meal; recorded or refused)
// at night in tz. One item per site, credential and night (the night of
// a tap is the local date of the tap NightTo hours earlier).
func unusualHours(meals []domain.ReviewMeal, from, to time.Time, tz *time.Location) []finding {
	type key struct{ site, elder, cred, night string }
	idx := map[key]int{}
	var out []finding
	for _, m := range meals {
		if m.Manual || m.Credential == "" || m.Voided || !inMonth(m, from, to) || !atNight(m.At, tz) {
			continue
		}
		night := m.At.In(tz).Add(-NightTo * time.Hour).Format(time.DateOnly)
		k := key{m.Site, m.ElderID, m.Credential, night}
		i, ok := idx[k]
		if !ok {
			out = append(out, finding{KindUnusualHours, map[string]string{"site": m.Site, "elder": m.ElderID,
				"credential": m.Credential, "night": night}, nil})
			i = len(out) - 1
			idx[k] = i
		}
		out[i].meals = append(out[i].meals, m)
	}
	for i := range out {
		out[i].params["meals"] = strconv.Itoa(len(out[i].meals))
	}
	return out
}

// Review computes the items to review of month in tz, worded in lang,
// from the org units in scope (for site names) and the store's rows
// (domain.ReviewStore). The rules are the functions above.
func Review(month string, tz *time.Location, lang string, units []domain.OrgUnit, meals []domain.ReviewMeal, changes []domain.RosterChangeRow) (ReviewReport, error) {
	from, to, err := ParseMonth(month, tz)
	if err != nil {
		return ReviewReport{}, err
	}
	words, ok := reviewLang[lang]
	if !ok {
		return ReviewReport{}, fmt.Errorf("reports: unknown language %q", lang)
	}
	rep := ReviewReport{Month: month, TimeZone: tz.String(), From: from.UTC(), To: to.UTC(), Lang: lang,
		Kinds: ReviewKinds, Counts: map[string]int{}, Items: []ReviewItem{},
		Thresholds: ReviewThresholds{ManualBurstCount, int(ManualBurstWindow / time.Minute), NightFrom, NightTo}}
	changes = slices.Clone(changes)
	slices.SortStableFunc(changes, func(a, b domain.RosterChangeRow) int { return a.At.Compare(b.At) })
	meals = slices.Clone(meals)
	slices.SortStableFunc(meals, func(a, b domain.ReviewMeal) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.EventID, b.EventID))
	})
	names := map[string]string{}
	for _, u := range units {
		names[u.ID] = u.Name
	}
	siteName := func(id string) string { return cmp.Or(names[id], id) }

	var found []finding
	found = append(found, twoSites(meals, from, to)...)
	found = append(found, afterCardLost(meals, changes, from, to)...)
	found = append(found, afterRemoved(meals, changes, from, to)...)
	found = append(found, manualBurst(meals, from, to, ManualBurstCount, ManualBurstWindow)...)
	found = append(found, voids(meals, from, to)...)
	found = append(found, unusualHours(meals, from, to, tz)...)
	for _, k := range ReviewKinds {
		rep.Counts[k] = 0
	}
	for _, f := range found {
		it := ReviewItem{Kind: f.kind, Params: f.params, Meals: make([]ReviewItemMeal, 0, len(f.meals))}
		for _, m := range f.meals {
			im := ReviewItemMeal{EventID: m.EventID, Site: m.Site, SiteName: siteName(m.Site), At: m.At,
				Local: m.At.In(tz).Format("2006-01-02 15:04"), ElderID: m.ElderID, Name: m.Name, Window: m.Window, Day: m.Day,
				Decision: m.Decision, ReceivedAt: m.ReceivedAt}
			if m.InScope {
				im.Credential, im.Reason, im.Manual, im.Staff = m.Credential, m.Reason, m.Manual, m.Staff
				im.PriceFen, im.SubsidyFen, im.PayFen = m.PriceFen, m.SubsidyFen, m.PayFen
				im.Voided, im.VoidedBy = m.Voided, m.VoidedBy
			} else {
				im.Withheld = true
			}
			it.Meals = append(it.Meals, im)
		}
		it.At = f.meals[0].At
		it.ID = f.kind + ":" + f.meals[0].EventID
		it.Text = words.sentence(lang, it, tz, siteName)
		rep.Items = append(rep.Items, it)
		rep.Counts[f.kind]++
	}
	slices.SortStableFunc(rep.Items, func(a, b ReviewItem) int {
		return cmp.Or(cmp.Compare(slices.Index(ReviewKinds, a.Kind), slices.Index(ReviewKinds, b.Kind)), a.At.Compare(b.At), strings.Compare(a.ID, b.ID))
	})
	return rep, nil
}
