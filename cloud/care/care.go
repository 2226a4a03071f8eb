// Package care is the care signal of issue 12 (docs/care.md): from the
// served meals and the roster it finds the regular elders who stopped
// coming, for the visit list of their community. It is pure: the store
// gives the rows, the caller gives the clock.
package care

import (
	"sort"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// Home is where an elder belongs on the visit lists.
type Home struct {
	Community string         // the community of the home site ("" outside the tree)
	Zone      *time.Location // the zone of the home site's days
	Rule      domain.CareRule
}

// Input is what the signal reads.
type Input struct {
	Now    time.Time
	Elders []domain.CareElder   // the roster; removed elders are not in it
	Meals  []domain.CareMealDay // served meals per elder, site and day
	Visits []domain.CareVisit   // every visit of these elders
	// HomeOf says where the elders of a home site belong; ok false leaves
	// the site's elders out (a site outside the tree or the scope).
	HomeOf func(site string) (Home, bool)
}

// Entry is one elder the signal flagged.
type Entry struct {
	ElderID    string    `json:"elder_id"`
	Name       string    `json:"name"` // masked (eldergate.MaskName)
	Site       string    `json:"site"` // home site
	Community  string    `json:"community"`
	LastSeen   time.Time `json:"last_seen"`   // the last served meal, UTC
	LastSite   string    `json:"last_site"`   // where it was served
	LastDay    string    `json:"last_day"`    // its day, in the site's zone
	DaysAbsent int       `json:"days_absent"` // whole days from LastDay to today
	// Weekly are the meals of each of the rule's weeks before the last
	// meal, oldest first: the regular pattern that made them a regular.
	Weekly []int           `json:"weekly"`
	Rule   domain.CareRule `json:"rule"`
	// LastVisit is the latest visit of the elder, if any (also one from
	// an earlier absence); Visited is true when it was marked after the
	// last meal: the absence has been looked into and the elder is off
	// the list until they are seen again and stay away again.
	LastVisit *domain.CareVisit `json:"last_visit"`
	Visited   bool              `json:"visited"`
}

// today is the day number of now in zone (UTC when nil).
func today(now time.Time, zone *time.Location) int {
	if zone == nil {
		zone = time.UTC
	}
	y, mo, d := now.In(zone).Date()
	return int(time.Date(y, mo, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dayString is the YYYY-MM-DD of day number n.
func dayString(n int) string { return time.Unix(int64(n)*86400, 0).UTC().Format(time.DateOnly) }

// dayNum is the number of day "YYYY-MM-DD" (days since 1970-01-01), or
// false when it is not a date.
func dayNum(s string) (int, bool) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	return int(t.Unix() / 86400), true
}

// Flag returns the flagged elders, ordered by community, then the longest
// absence first, then elder id. An elder is flagged when:
//   - they are on the roster and active;
//   - their last served meal (any site) was on day L, and in each of the
//     rule's Weeks spans of seven days ending with day L (L−6..L,
//     L−13..L−7, ...) they ate at least MinMealsPerWeek meals;
//   - today (now in the home site's zone) is at least AbsentDays after L.
//
// Entries whose last visit came after the last meal are returned with
// Visited set; the visit list leaves them off.
func Flag(in Input) []Entry {
	type elderMeals struct {
		days     map[int]int
		last     time.Time
		lastSite string
		lastDay  int
	}
	meals := map[string]*elderMeals{}
	for _, m := range in.Meals {
		n, ok := dayNum(m.Day)
		if !ok || m.Meals <= 0 {
			continue
		}
		em := meals[m.ElderID]
		if em == nil {
			em = &elderMeals{days: map[int]int{}, lastDay: -1 << 31}
			meals[m.ElderID] = em
		}
		em.days[n] += m.Meals
		if n > em.lastDay || n == em.lastDay && m.Last.After(em.last) {
			em.lastDay, em.last, em.lastSite = n, m.Last, m.Site
		}
	}
	lastVisit := map[string]domain.CareVisit{}
	for _, v := range in.Visits {
		if old, ok := lastVisit[v.ElderID]; !ok || !v.At.Before(old.At) {
			lastVisit[v.ElderID] = v
		}
	}
	var out []Entry
	seen := map[string]bool{}
	for _, e := range in.Elders {
		if !e.Active || seen[e.ID] {
			continue // an elder on two rosters is listed once, under the first
		}
		em := meals[e.ID]
		if em == nil {
			continue
		}
		home, ok := in.HomeOf(e.Site)
		if !ok {
			continue
		}
		seen[e.ID] = true
		absent := today(in.Now, home.Zone) - em.lastDay
		if absent < home.Rule.AbsentDays {
			continue
		}
		weekly := make([]int, home.Rule.Weeks)
		regular := true
		for w := 0; w < home.Rule.Weeks; w++ {
			end := em.lastDay - 7*(home.Rule.Weeks-1-w)
			for dd := end - 6; dd <= end; dd++ {
				weekly[w] += em.days[dd]
			}
			regular = regular && weekly[w] >= home.Rule.MinMealsPerWeek
		}
		if !regular {
			continue
		}
		ent := Entry{
			ElderID: e.ID, Name: eldergate.MaskName(e.Name), Site: e.Site, Community: home.Community,
			LastSeen: em.last.UTC(), LastSite: em.lastSite,
			LastDay:    dayString(em.lastDay),
			DaysAbsent: absent, Weekly: weekly, Rule: home.Rule,
		}
		if v, ok := lastVisit[e.ID]; ok {
			ent.LastVisit = &v
			ent.Visited = v.At.After(em.last)
		}
		out = append(out, ent)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Community != b.Community {
			return a.Community < b.Community
		}
		if a.DaysAbsent != b.DaysAbsent {
			return a.DaysAbsent > b.DaysAbsent
		}
		return a.ElderID < b.ElderID
	})
	return out
}
