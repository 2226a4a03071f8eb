package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// # Service statistics (服务人次, issue #12)
//
// Service computes, for one period (a month, an ISO week or a day, see
// Period), per site and rolled up per community, street and district,
// and in total:
//
//   - Meals (服务人次): served meals, i.e. meal rows neither refused nor
//     voided (domain.ServedMealSQL).
//   - Elders: distinct elders served. A roll-up counts an elder who ate at
//     two of its sites once; so does the total.
//   - Roster: distinct active elders on the current roster (not removed) of the
//     unit's sites, counted once per unit like Elders. It is the roster
//     as it is now, not as it was in the period.
//   - Coverage: Elders / Roster as a percentage with one decimal, absent
//     when the roster is empty. Elders who ate at a site whose roster does
//     not list them count in Elders, so coverage can exceed 100 %.
//   - ByWindow: served meals per meal window (lunch, ...).
//   - Daily and Weekly (for the report's whole scope): per service day,
//     and per ISO week cut to the period, served meals and distinct
//     elders.
//
// The period is selected on the meal's service day: the local date
// (YYYY-MM-DD) the gateway recorded for the meal window, i.e. the day in
// the site's own zone. The time zone of the report only names the zone
// of From and To.

// ServiceReport is the service statistics of one period.
type ServiceReport struct {
	Period   Period    `json:"period"`
	Month    string    `json:"month,omitempty"` // the period's key when it is a month
	TimeZone string    `json:"time_zone"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	FirstDay string    `json:"first_day"` // YYYY-MM-DD, the first service day
	LastDay  string    `json:"last_day"`  // the last service day
	// Windows are the meal windows of the figures, breakfast, lunch,
	// dinner first, then any other in name order.
	Windows []string        `json:"windows"`
	Rows    []ServiceRow    `json:"rows"`
	Total   ServiceRow      `json:"total"`
	Daily   []ServiceDaily  `json:"daily"`  // every day of the period, for the whole scope
	Weekly  []ServiceWeekly `json:"weekly"` // every ISO week the period touches, cut to it
}

// ServiceRow is the figures of one site, one org unit or the total.
type ServiceRow struct {
	Level       string           `json:"level"`
	Unit        string           `json:"unit"`
	Name        string           `json:"name"`
	Path        string           `json:"path"`
	InTree      bool             `json:"in_tree"`
	Meals       int64            `json:"meals"`
	Elders      int64            `json:"elders"`
	Roster      int64            `json:"roster"`
	CoveragePct *float64         `json:"coverage_pct"`
	ByWindow    map[string]int64 `json:"by_window"`
}

// ServiceDaily is one day of the daily series.
type ServiceDaily struct {
	Day    string `json:"day"`
	Meals  int64  `json:"meals"`
	Elders int64  `json:"elders"`
}

// ServiceWeekly is one ISO week of the weekly series, cut to the period.
type ServiceWeekly struct {
	Week     string `json:"week"` // 2026-W48
	FirstDay string `json:"first_day"`
	LastDay  string `json:"last_day"`
	Meals    int64  `json:"meals"`
	Elders   int64  `json:"elders"` // distinct in the week (not the sum of the days)
}

// ServiceWeeks are the spans of days of the period's weekly series, for
// StatsStore.ServiceStats.
func ServiceWeeks(p Period) []domain.DayRange {
	var out []domain.DayRange
	for _, w := range p.Weeks() {
		out = append(out, domain.DayRange{Key: w.Key, First: w.FirstDay, Last: w.LastDay})
	}
	return out
}

var windowOrder = map[string]int{"breakfast": 1, "lunch": 2, "dinner": 3}

func cmpWindow(a, b string) int {
	oa, ob := windowOrder[a], windowOrder[b]
	if oa == 0 {
		oa = 99
	}
	if ob == 0 {
		ob = 99
	}
	return cmp.Or(cmp.Compare(oa, ob), strings.Compare(a, b))
}

// sacc accumulates the figures of a set of sites.
type sacc struct {
	meals    int64
	elders   map[string]bool
	roster   map[string]bool
	byWindow map[string]int64
}

func newSacc() *sacc {
	return &sacc{elders: map[string]bool{}, roster: map[string]bool{}, byWindow: map[string]int64{}}
}

func (a *sacc) merge(o *sacc) {
	a.meals += o.meals
	for e := range o.elders {
		a.elders[e] = true
	}
	for e := range o.roster {
		a.roster[e] = true
	}
	for w, n := range o.byWindow {
		a.byWindow[w] += n
	}
}

func (a *sacc) row(level, unit, name, path string, inTree bool, windows []string) ServiceRow {
	r := ServiceRow{Level: level, Unit: unit, Name: name, Path: path, InTree: inTree,
		Meals: a.meals, Elders: int64(len(a.elders)), Roster: int64(len(a.roster)), ByWindow: map[string]int64{}}
	for _, w := range windows {
		r.ByWindow[w] = a.byWindow[w]
	}
	if r.Roster > 0 {
		pct := math.Round(float64(r.Elders)*1000/float64(r.Roster)) / 10
		r.CoveragePct = &pct
	}
	return r
}

// Service computes the service statistics of period p from the org
// units in scope (as OrgStore.ListOrgUnits gives them) and the aggregates
// of the store (StatsStore.ServiceStats over the period's days and
// ServiceWeeks(p)). Rows: the site
// units of the tree (sites without meals too), then sites outside the
// tree that have meals or a roster (named by their id), then the
// communities, streets and districts; Total over everything given.
func Service(p Period, tz *time.Location, units []domain.OrgUnit, d domain.ServiceData) (ServiceReport, error) {
	if tz == nil || p.FirstDay == "" {
		return ServiceReport{}, fmt.Errorf("%w: no period or time zone", ErrPeriod)
	}
	from, to := p.Bounds(tz)
	first, last := p.FirstDay, p.LastDay
	rep := ServiceReport{Period: p, TimeZone: tz.String(), From: from.UTC(), To: to.UTC(), FirstDay: first, LastDay: last}
	if p.Kind == PeriodMonth {
		rep.Month = p.Key
	}

	sites := map[string]*sacc{}
	site := func(id string) *sacc {
		if sites[id] == nil {
			sites[id] = newSacc()
		}
		return sites[id]
	}
	windows := map[string]bool{}
	daily := map[string]*ServiceDaily{}
	for _, k := range p.Days() {
		daily[k] = &ServiceDaily{Day: k}
		rep.Daily = append(rep.Daily, ServiceDaily{Day: k})
	}
	for _, c := range d.Counts {
		if c.Day < first || c.Day > last {
			continue
		}
		a := site(c.Site)
		a.meals += c.Meals
		a.byWindow[c.Window] += c.Meals
		windows[c.Window] = true
		daily[c.Day].Meals += c.Meals
	}
	for _, e := range d.Elders {
		site(e.Site).elders[e.ElderID] = true
	}
	for _, e := range d.Roster {
		site(e.Site).roster[e.ElderID] = true
	}
	for _, x := range d.Daily {
		if dd := daily[x.Day]; dd != nil {
			dd.Elders = x.Elders
		}
	}
	for i := range rep.Daily {
		rep.Daily[i] = *daily[rep.Daily[i].Day]
	}
	weekElders := map[string]int64{}
	for _, x := range d.Weekly {
		weekElders[x.Day] = x.Elders
	}
	rep.Weekly = []ServiceWeekly{}
	for _, w := range p.Weeks() {
		sw := ServiceWeekly{Week: w.Key, FirstDay: w.FirstDay, LastDay: w.LastDay, Elders: weekElders[w.Key]}
		for _, dd := range rep.Daily {
			if dd.Day >= w.FirstDay && dd.Day <= w.LastDay {
				sw.Meals += dd.Meals
			}
		}
		rep.Weekly = append(rep.Weekly, sw)
	}
	for w := range windows {
		rep.Windows = append(rep.Windows, w)
	}
	slices.SortFunc(rep.Windows, cmpWindow)
	if rep.Windows == nil {
		rep.Windows = []string{}
	}

	ordered := slices.Clone(units)
	slices.SortStableFunc(ordered, func(x, y domain.OrgUnit) int { return strings.Compare(x.Path, y.Path) })
	inTree := map[string]bool{}
	for _, u := range ordered {
		if u.Level == domain.LevelSite {
			inTree[u.ID] = true
			a := sites[u.ID]
			if a == nil {
				a = newSacc()
			}
			rep.Rows = append(rep.Rows, a.row(u.Level, u.ID, u.Name, u.Path, true, rep.Windows))
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
		rep.Rows = append(rep.Rows, sites[s].row(domain.LevelSite, s, s, "", false, rep.Windows))
	}
	for _, level := range []string{domain.LevelCommunity, domain.LevelStreet, domain.LevelDistrict} {
		for _, u := range ordered {
			if u.Level != level {
				continue
			}
			agg := newSacc()
			for _, s := range ordered {
				if s.Level == domain.LevelSite && strings.HasPrefix(s.Path, u.Path) && sites[s.ID] != nil {
					agg.merge(sites[s.ID])
				}
			}
			rep.Rows = append(rep.Rows, agg.row(u.Level, u.ID, u.Name, u.Path, true, rep.Windows))
		}
	}
	total := newSacc()
	for _, a := range sites {
		total.merge(a)
	}
	rep.Total = total.row(LevelTotal, "", "", "", false, rep.Windows)
	return rep, nil
}

// serviceTexts are the words of the service table in one language.
type serviceTexts struct {
	title, period, sheet, note string   // title: the report's name, after the period's (Period.Title)
	header                     []string // level, id, name, meals, elders, roster, coverage
}

var serviceLang = map[string]serviceTexts{
	"zh-CN": {
		title: "长者助餐服务统计表", period: "统计期间：%s 至 %s（按服务日）",
		sheet: "服务统计", note: "服务人次为已供餐人次（不含拒绝）；覆盖率＝服务长者数÷花名册人数。",
		header: []string{"层级", "编号", "名称", "服务人次", "服务长者数（去重）", "花名册人数", "覆盖率（%）"},
	},
	"zh-HK": {
		title: "長者助餐服務統計表", period: "統計期間：%s 至 %s（按服務日）",
		sheet: "服務統計", note: "服務人次為已供餐人次（不含拒絕）；覆蓋率＝服務長者數÷名冊人數。",
		header: []string{"層級", "編號", "名稱", "服務人次", "服務長者數（去重）", "名冊人數", "覆蓋率（%）"},
	},
	"en": {
		title: "Elder meal service statistics", period: "Period: %s to %s (by service day)",
		sheet: "Service statistics", note: "Meals served exclude refusals; coverage = elders served ÷ elders on the roster.",
		header: []string{"Level", "ID", "Name", "Meals served", "Elders served (distinct)", "Elders on roster", "Coverage (%)"},
	},
}

// ServiceTable lays rep out as the table of the CSV and XLSX downloads in
// lang; unitName names the reporting unit (the scope). The figures are
// those of rep, cell for cell.
func ServiceTable(rep ServiceReport, lang, unitName string) (Table, error) {
	t, ok := serviceLang[lang]
	if !ok {
		return Table{}, fmt.Errorf("reports: language %q is not one of zh-CN, zh-HK, en", lang)
	}
	lv := langTexts[lang].levels
	tab := Table{
		Title:      periodTitle(lang, rep.Period, t.title),
		Unit:       UnitLine(lang, unitName),
		Period:     fmt.Sprintf(t.period, rep.FirstDay, rep.LastDay),
		Header:     slices.Clone(t.header),
		Signatures: SignatureLabels(lang),
		Note:       t.note,
		Sheet:      t.sheet,
	}
	for _, w := range rep.Windows {
		tab.Header = append(tab.Header, WindowName(lang, w))
	}
	cells := func(r ServiceRow, level, name string) []Cell {
		cov := Empty()
		if r.CoveragePct != nil {
			cov = Text(fmt.Sprintf("%.1f", *r.CoveragePct))
		}
		c := []Cell{Text(level), Text(r.Unit), Text(name), Count(r.Meals), Count(r.Elders), Count(r.Roster), cov}
		for _, w := range rep.Windows {
			c = append(c, Count(r.ByWindow[w]))
		}
		return c
	}
	for _, r := range rep.Rows {
		tab.Rows = append(tab.Rows, cells(r, lv[r.Level], r.Name))
	}
	tab.Total = cells(rep.Total, lv[LevelTotal], "")
	return tab, nil
}

// periodTitle is a report's title for period p: "2026年第48周（…） 长者助餐服务统计表",
// "Elder meal service statistics, week 48 of 2026 (…)".
func periodTitle(lang string, p Period, name string) string {
	if lang == "en" {
		return name + ", " + p.Title(lang)
	}
	return p.Title(lang) + " " + name
}
