package reports

// # Charity transparency (issue 12, docs/charity.md)
//
// Charity computes, for one registered fund (domain.CharityFund: its id
// is a funding layer of the policies) and one month in a time zone, what
// the fund's money paid for at the sites of a scope, from the store's
// grouped rows (domain.CharityStore.CharityRows):
//
//   - Meals: meals with a share of the fund's layer whose event time lies
//     in the month and that are not voided (a refused tap has no share).
//     Fen: the sum of those shares. Elders: the distinct elders of them.
//   - Per site (in the order of the tree, then sites outside it): meals,
//     distinct elders, fen, with the site's district.
//   - Per day (the meal's day as the gateway decided it): meals, distinct
//     elders, fen.
//   - Per elder (the district's detail; names and ids masked): meals, fen
//     and the sites where they ate.
//   - Voids: the voided meals with a share of the fund and those shares,
//     counted in no other figure.
//
// CharityPublicOf turns a report into the public summary: no elder, only
// counts and amounts per site and in total.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// CharityReport is what one fund paid for in one month.
type CharityReport struct {
	Fund     string              `json:"fund"`
	Names    domain.CharityNames `json:"names"`
	Month    string              `json:"month"`
	TimeZone string              `json:"time_zone"`
	From     time.Time           `json:"from"`
	To       time.Time           `json:"to"`

	Meals   int64 `json:"meals"`
	Elders  int64 `json:"elders"`
	Fen     int64 `json:"fen"`
	Voids   int64 `json:"voids"`
	VoidFen int64 `json:"void_fen"`

	Sites      []CharitySite  `json:"sites"`
	Days       []CharityDay   `json:"days"`
	ElderLines []CharityElder `json:"elder_lines"`
}

// CharitySite is what the fund paid for at one site.
type CharitySite struct {
	Site     string `json:"site"`
	Name     string `json:"name"`
	District string `json:"district"` // the name of the site's district; "" outside the tree
	InTree   bool   `json:"in_tree"`
	Meals    int64  `json:"meals"`
	Elders   int64  `json:"elders"`
	Fen      int64  `json:"fen"`
}

// CharityDay is what the fund paid for on one day.
type CharityDay struct {
	Day    string `json:"day"`
	Meals  int64  `json:"meals"`
	Elders int64  `json:"elders"`
	Fen    int64  `json:"fen"`
}

// CharityElder is what the fund paid for one elder, masked.
type CharityElder struct {
	ID    string   `json:"id"`   // eldergate.MaskID of the elder's id
	Name  string   `json:"name"` // eldergate.MaskName of the roster's name; "" when on no roster
	Meals int64    `json:"meals"`
	Fen   int64    `json:"fen"`
	Sites []string `json:"sites"` // names of the sites where they ate
}

// Charity computes the fund's month in tz from the org units in scope (as
// ListOrgUnits gives them; the whole tree names the sites' districts
// best) and the store's rows and elder names. The rules are at the top of
// this file.
func Charity(fund domain.CharityFund, month string, tz *time.Location, units []domain.OrgUnit, rows []domain.CharityRow, names map[string]string) (CharityReport, error) {
	from, to, err := ParseMonth(month, tz)
	if err != nil {
		return CharityReport{}, err
	}
	rep := CharityReport{Fund: fund.ID, Names: fund.Names, Month: month, TimeZone: tz.String(), From: from.UTC(), To: to.UTC(),
		Sites: []CharitySite{}, Days: []CharityDay{}, ElderLines: []CharityElder{}}
	byID := map[string]domain.OrgUnit{}
	for _, u := range units {
		byID[u.ID] = u
	}
	type agg struct {
		meals, fen int64
		elders     map[string]bool
	}
	newAgg := func() *agg { return &agg{elders: map[string]bool{}} }
	sites, days, elders := map[string]*agg{}, map[string]*agg{}, map[string]*agg{}
	total := newAgg()
	for _, r := range rows {
		if r.Voided {
			rep.Voids += r.Meals
			rep.VoidFen += r.Fen
			continue
		}
		get := func(m map[string]*agg, key string) *agg {
			if m[key] == nil {
				m[key] = newAgg()
			}
			m[key].meals += r.Meals
			m[key].fen += r.Fen
			return m[key]
		}
		get(sites, r.Site).elders[r.ElderID] = true
		get(days, r.Day).elders[r.ElderID] = true
		get(elders, r.ElderID).elders[r.Site] = true // an elder's sites
		total.meals += r.Meals
		total.fen += r.Fen
		total.elders[r.ElderID] = true
	}
	rep.Meals, rep.Fen, rep.Elders = total.meals, total.fen, int64(len(total.elders))

	siteName := func(id string) string {
		if u, ok := byID[id]; ok && u.Level == domain.LevelSite {
			return u.Name
		}
		return id
	}
	for id, a := range sites {
		s := CharitySite{Site: id, Name: siteName(id), Meals: a.meals, Elders: int64(len(a.elders)), Fen: a.fen}
		if u, ok := byID[id]; ok && u.Level == domain.LevelSite {
			s.InTree = true
			s.District = districtName(u, byID)
		}
		rep.Sites = append(rep.Sites, s)
	}
	slices.SortFunc(rep.Sites, func(a, b CharitySite) int {
		if a.InTree != b.InTree {
			if a.InTree {
				return -1
			}
			return 1
		}
		return cmp.Or(strings.Compare(byID[a.Site].Path, byID[b.Site].Path), strings.Compare(a.Site, b.Site))
	})
	for d, a := range days {
		rep.Days = append(rep.Days, CharityDay{Day: d, Meals: a.meals, Elders: int64(len(a.elders)), Fen: a.fen})
	}
	slices.SortFunc(rep.Days, func(a, b CharityDay) int { return strings.Compare(a.Day, b.Day) })
	ids := make([]string, 0, len(elders))
	for id := range elders {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		a := elders[id]
		var where []string
		for _, s := range rep.Sites { // in the sites' order
			if a.elders[s.Site] {
				where = append(where, s.Name)
			}
		}
		rep.ElderLines = append(rep.ElderLines, CharityElder{ID: eldergate.MaskID(id), Name: eldergate.MaskName(names[id]),
			Meals: a.meals, Fen: a.fen, Sites: where})
	}
	return rep, nil
}

// districtName is the name of the district above u (its path's first
// unit), "" when that is not known.
func districtName(u domain.OrgUnit, byID map[string]domain.OrgUnit) string {
	first, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if d, ok := byID[first]; ok && d.Level == domain.LevelDistrict {
		return d.Name
	}
	return ""
}

// CharityPublic is a published summary of a fund's month: what donors
// see, with no personal data (no elder's name, id or credential; only
// counts and amounts). Its JSON (CharityPublicJSON) is stored as it is
// and its SHA-256 shown with it.
type CharityPublic struct {
	ID       string              `json:"id"`
	Fund     string              `json:"fund"`
	Names    domain.CharityNames `json:"names"`
	Month    string              `json:"month"`
	TimeZone string              `json:"time_zone"`
	From     time.Time           `json:"from"`
	To       time.Time           `json:"to"`
	// Unit is the org unit whose sites the summary covers ("" = every
	// site) and UnitName its name; Publisher the org unit in whose name it
	// is published (the unit, else the fund's owner).
	Unit          string    `json:"unit"`
	UnitName      string    `json:"unit_name"`
	Publisher     string    `json:"publisher"`
	PublisherName string    `json:"publisher_name"`
	PublishedAt   time.Time `json:"published_at"`

	Meals  int64               `json:"meals"`
	Elders int64               `json:"elders"`
	Fen    int64               `json:"fen"`
	Sites  []CharityPublicSite `json:"sites"`
}

// CharityPublicSite is one site of a public summary.
type CharityPublicSite struct {
	Name     string `json:"name"`
	District string `json:"district"`
	Meals    int64  `json:"meals"`
	Fen      int64  `json:"fen"`
}

// CharityPublicOf is the public summary of rep: the totals and, per site,
// its name, district, meals and amount. p carries the publication's own
// fields (ID, Unit, UnitName, Publisher, PublisherName, PublishedAt).
func CharityPublicOf(rep CharityReport, p CharityPublic) CharityPublic {
	p.Fund, p.Names, p.Month, p.TimeZone, p.From, p.To = rep.Fund, rep.Names, rep.Month, rep.TimeZone, rep.From, rep.To
	p.PublishedAt = p.PublishedAt.UTC().Truncate(time.Second)
	p.Meals, p.Elders, p.Fen = rep.Meals, rep.Elders, rep.Fen
	p.Sites = make([]CharityPublicSite, 0, len(rep.Sites))
	for _, s := range rep.Sites {
		p.Sites = append(p.Sites, CharityPublicSite{Name: s.Name, District: s.District, Meals: s.Meals, Fen: s.Fen})
	}
	return p
}

// CharityPublicJSON is the stored form of p: its JSON, fields in the
// order of the struct, so that the same summary always has the same bytes
// and SHA-256.
func CharityPublicJSON(p CharityPublic) ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("reports: charity summary: %w", err)
	}
	return b, nil
}

// charityTexts are the words of the charity table in one language.
type charityTexts struct {
	title, sheet string
	header       []string
	levels       map[string]string // site, day, elder, total
	voids        string            // the note on voided meals: count, yuan
}

var charityLang = map[string]charityTexts{
	"zh-CN": {title: "慈善资金助餐明细表", sheet: "慈善资金",
		header: []string{"类别", "编号", "名称", "所属区／就餐站点", "就餐人次", "长者人数", "资助金额"},
		levels: map[string]string{"site": "站点", "day": "日期", "elder": "长者", LevelTotal: "合计"},
		voids:  "另有作废餐 %d 人次（资助 %s 元）未计入。"},
	"zh-HK": {title: "慈善資金助餐明細表", sheet: "慈善資金",
		header: []string{"類別", "編號", "名稱", "所屬區／用餐站點", "用餐人次", "長者人數", "資助金額"},
		levels: map[string]string{"site": "站點", "day": "日期", "elder": "長者", LevelTotal: "合計"},
		voids:  "另有作廢餐 %d 人次（資助 %s 元）未計入。"},
	"en": {title: "Charity fund meals", sheet: "Charity fund",
		header: []string{"Kind", "ID", "Name", "District / sites", "Meals", "Elders", "Amount"},
		levels: map[string]string{"site": "Site", "day": "Day", "elder": "Elder", LevelTotal: "Total"},
		voids:  "Voided meals not counted: %d (fund share %s yuan)."},
}

// CharityTable lays the fund's month out as the table of its CSV and XLSX
// downloads in lang: a row per site (with its district), per day and per
// elder (masked), then the totals row; the voided meals in a note.
// unitName names the reporting unit.
func CharityTable(rep CharityReport, lang, unitName string) (Table, error) {
	tx, ok := charityLang[lang]
	if !ok {
		return Table{}, fmt.Errorf("reports: unknown language %q", lang)
	}
	title := map[string]string{lang: rep.Names.In(lang) + " " + tx.title}
	t := Table{
		Title:      MonthTitle(lang, rep.Month, title),
		Unit:       UnitLine(lang, unitName),
		Period:     PeriodLine(lang, rep.From, rep.To, rep.TimeZone),
		Header:     tx.header,
		Signatures: SignatureLabels(lang),
		Sheet:      tx.sheet,
		Rows:       [][]Cell{},
	}
	for _, s := range rep.Sites {
		t.Rows = append(t.Rows, []Cell{Text(tx.levels["site"]), Text(s.Site), Text(s.Name), Text(s.District), Count(s.Meals), Count(s.Elders), Money(s.Fen)})
	}
	for _, d := range rep.Days {
		t.Rows = append(t.Rows, []Cell{Text(tx.levels["day"]), Text(d.Day), Empty(), Empty(), Count(d.Meals), Count(d.Elders), Money(d.Fen)})
	}
	for _, e := range rep.ElderLines {
		t.Rows = append(t.Rows, []Cell{Text(tx.levels["elder"]), Text(e.ID), Text(e.Name), Text(strings.Join(e.Sites, "、")), Count(e.Meals), Empty(), Money(e.Fen)})
	}
	t.Total = []Cell{Text(tx.levels[LevelTotal]), Text(rep.Fund), Text(rep.Names.In(lang)), Empty(), Count(rep.Meals), Count(rep.Elders), Money(rep.Fen)}
	if rep.Voids > 0 {
		t.Note = fmt.Sprintf(tx.voids, rep.Voids, eldergate.Fen(rep.VoidFen).String())
	}
	return t, nil
}
