package cloudhttp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/eldergate/eldergate/kiosk"
	"github.com/eldergate/eldergate/policy"
)

// The meals list (docs/meals.md): GET /api/v1/meals with any parameter
// but scope= answers pages (MealPage); bare (or with scope= only) it
// answers the latest ListLimit meals as a JSON array, as it always did.

// MealPageDefault is the page size when limit= is not given.
const MealPageDefault = 50

// MealExportMax bounds the rows of one CSV/XLSX download of the list.
const MealExportMax = 100_000

// mealDecisions are the values of decision=.
var mealDecisions = []string{eldergate.DecisionApproved, eldergate.DecisionFullPay, eldergate.DecisionDiscounted,
	eldergate.DecisionRefused, domain.DecisionVoided}

// mealParams are the parameters of the paged form.
var mealParams = []string{"limit", "before", "from", "to", "tz", "site", "unit", "scope", "window", "decision", "reason",
	"elder", "q", "kind", "format", "lang"}

// MealQuery is the parsed query of the paged meals list.
type MealQuery struct {
	Paged          bool
	Filter         domain.MealFilter // without Scope, From and To
	Unit           string            // site=, unit= or scope= ("" for the caller's scope)
	FromDay, ToDay string            // YYYY-MM-DD, "" when not given; to is inclusive
	TZ             string            // tz=, "" when not given
	Format, Lang   string
	LimitGiven     bool
}

// ParseMealQuery reads the query of GET /api/v1/meals; its error says in
// words which parameter is wrong. Paged is false for a bare query (or
// scope= alone).
func ParseMealQuery(q url.Values) (MealQuery, error) {
	p := MealQuery{Format: "json", Lang: "zh-CN"}
	for k := range q {
		if !slices.Contains(mealParams, k) {
			return p, fmt.Errorf("unknown parameter %s (the list takes %s)", quote(k), strings.Join(mealParams, ", "))
		}
		if len(q[k]) > 1 {
			return p, fmt.Errorf("%s is given %d times; give it once", k, len(q[k]))
		}
		if k != "scope" {
			p.Paged = true
		}
	}
	f := &p.Filter
	for _, k := range []string{"site", "unit", "scope"} {
		v := q.Get(k)
		if v == "" {
			continue
		}
		if err := domain.ValidateSlug(v); err != nil {
			return p, fmt.Errorf("%s: %v", k, err)
		}
		if p.Unit != "" && p.Unit != v {
			return p, errors.New("site, unit and scope name different org units; give one")
		}
		p.Unit = v
	}
	f.Limit = MealPageDefault
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > domain.MealPageMax {
			return p, fmt.Errorf("limit %s is not a number from 1 to %d", quote(v), domain.MealPageMax)
		}
		f.Limit, p.LimitGiven = n, true
	}
	if v := q.Get("before"); v != "" {
		c, err := ParseMealCursor(v)
		if err != nil {
			return p, err
		}
		f.Before = c
	}
	for _, d := range []struct {
		name string
		v    *string
	}{{"from", &p.FromDay}, {"to", &p.ToDay}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			return p, fmt.Errorf("%s %s is not a date such as 2026-12-06", d.name, quote(v))
		}
		*d.v = v
	}
	if p.FromDay != "" && p.ToDay != "" && p.ToDay < p.FromDay {
		return p, fmt.Errorf("to %s is before from %s", p.ToDay, p.FromDay)
	}
	p.TZ = q.Get("tz")
	if v := q.Get("window"); v != "" {
		if err := domain.ValidateSlug(strings.ReplaceAll(v, "_", "-")); err != nil {
			return p, fmt.Errorf("window %s is not a meal window's id", quote(v))
		}
		f.Window = v
	}
	if v := q.Get("decision"); v != "" {
		if !slices.Contains(mealDecisions, v) {
			return p, fmt.Errorf("decision %s is not one of %s", quote(v), strings.Join(mealDecisions, ", "))
		}
		f.Decision = v
	}
	if v := q.Get("reason"); v != "" {
		if len(v) > 40 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz_") != "" {
			return p, fmt.Errorf("reason %s is not a reason code such as unknown_card", quote(v))
		}
		f.Reason = v
	}
	for _, t := range []struct {
		name string
		v    *string
	}{{"elder", &f.Elder}, {"q", &f.Q}} {
		v := strings.TrimSpace(q.Get(t.name))
		if len([]rune(v)) > 64 || strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			return p, fmt.Errorf("%s must be at most 64 printable characters", t.name)
		}
		*t.v = v
	}
	if v := q.Get("kind"); v != "" {
		if v != domain.RowMeal && v != domain.RowCard {
			return p, fmt.Errorf("kind %s is not meal or card", quote(v))
		}
		f.Kind = v
	}
	if v := q.Get("format"); v != "" {
		if !slices.Contains([]string{"json", "csv", "xlsx"}, v) {
			return p, fmt.Errorf("format %s is not one of json, csv, xlsx", quote(v))
		}
		p.Format = v
	}
	if v := q.Get("lang"); v != "" {
		if !slices.Contains(reports.Langs, v) {
			return p, fmt.Errorf("lang %s is not one of zh-CN, zh-HK, en", quote(v))
		}
		p.Lang = v
	}
	return p, nil
}

// MealCursor is the opaque next= of a page: the last row's time and id.
func MealCursor(c domain.MealCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixNano(), 10) + "." + c.ID))
}

// ParseMealCursor reads a before= cursor (MealCursor).
func ParseMealCursor(v string) (domain.MealCursor, error) {
	bad := fmt.Errorf("before %s is not a cursor this list gave as next", quote(v))
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) > 200 {
		return domain.MealCursor{}, bad
	}
	ns, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || n <= 0 || id == "" || strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return domain.MealCursor{}, bad
	}
	return domain.MealCursor{At: time.Unix(0, n).UTC(), ID: id}, nil
}

// MealPageBody is the answer of the paged list.
type MealPageBody struct {
	Meals []domain.MealRow `json:"meals"`
	// Next is the cursor of the following (older) page, "" after the last.
	Next string `json:"next"`
	// TimeZone is the zone from= and to= were read in.
	TimeZone string `json:"time_zone"`
}

// MealWords is the answer of GET /api/v1/meals/words.
type MealWords struct {
	Reasons   map[string]map[string]string `json:"reasons"`   // by language, then reason code (the kiosk's words)
	Decisions map[string]map[string]string `json:"decisions"` // by language, then decision ("voided" too)
}

func (s *Server) mealRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/meals/words", s.require(domain.RoleViewer, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, MealWords{Reasons: kiosk.Reasons(), Decisions: reports.DecisionNames()})
	}))
}

// mealPage serves the paged form of GET /api/v1/meals.
func (s *Server) mealPage(w http.ResponseWriter, r *http.Request, p MealQuery) {
	if p.Unit != "" { // site= and unit= name the scope as scope= does
		q := r.URL.Query()
		q.Del("site")
		q.Del("unit")
		q.Set("scope", p.Unit)
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
	}
	scope, ok := s.listScope(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	zones := s.newSiteZones()
	// The dates are read in the site's zone when the list is of one
	// site, else in tz= (default Asia/Shanghai).
	tz, err := reportZone(p.TZ)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if scope != "" && p.TZ == "" {
		u, err := s.cfg.Store.OrgUnit(ctx, scope)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if u.Level == domain.LevelSite {
			tz = zones.of(ctx, scope)
		}
	}
	f := p.Filter
	f.Scope = scope
	if p.FromDay != "" {
		d, _ := time.ParseInLocation(time.DateOnly, p.FromDay, tz)
		f.From = d
	}
	if p.ToDay != "" {
		d, _ := time.ParseInLocation(time.DateOnly, p.ToDay, tz)
		f.To = d.AddDate(0, 0, 1)
	}
	if p.Format == "json" {
		rows, more, err := s.cfg.Store.MealPage(ctx, f)
		if err != nil {
			s.mealError(w, r, err)
			return
		}
		body := MealPageBody{Meals: rows, TimeZone: tz.String()}
		for i := range rows {
			rows[i].TimeZone = zones.of(ctx, rows[i].Site).String()
		}
		if more {
			last := rows[len(rows)-1]
			body.Next = MealCursor(domain.MealCursor{At: last.At, ID: last.EventID})
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	// A download: the whole filtered list from the cursor (limit= rows
	// when given), at most MealExportMax rows.
	want, capped := MealExportMax, 0
	if p.LimitGiven {
		want = f.Limit
	}
	var rows []domain.MealRow
	for len(rows) < want {
		f.Limit = min(domain.MealPageMax, want-len(rows))
		page, more, err := s.cfg.Store.MealPage(ctx, f)
		if err != nil {
			s.mealError(w, r, err)
			return
		}
		rows = append(rows, page...)
		if !more {
			break
		}
		if len(rows) >= want && !p.LimitGiven {
			capped = want
		}
		last := page[len(page)-1]
		f.Before = domain.MealCursor{At: last.At, ID: last.EventID}
	}
	unit := ""
	if scope != "" {
		if u, err := s.cfg.Store.OrgUnit(ctx, scope); err == nil {
			unit = u.Name
		}
	}
	if unit == "" {
		unit = allUnits[p.Lang]
	}
	rq := reportQuery{format: p.Format, lang: p.Lang}
	s.writeReport(w, r, rq, nil, func() (reports.Table, error) {
		return reports.MealsTable(p.Lang, rows, func(site string) *time.Location { return zones.of(ctx, site) }, unit,
			f.From, f.To, tz.String(), capped)
	}, "meals")
}

func (s *Server) mealError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, domain.ErrInvalid) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.internal(w, r, err)
}

// siteZones finds the time zone of sites for one request: the zone of the
// policy assigned to the site (the zone its gateway decides meal windows
// and days in), Asia/Shanghai when it has none.
type siteZones struct {
	s    *Server
	byID map[string]*time.Location
}

func (s *Server) newSiteZones() *siteZones {
	return &siteZones{s: s, byID: map[string]*time.Location{}}
}

// policyZones caches the zone of a policy body by its SHA-256 (a stored
// policy version never changes).
var policyZones sync.Map

func (z *siteZones) of(ctx context.Context, site string) *time.Location {
	if loc, ok := z.byID[site]; ok {
		return loc
	}
	loc, _ := time.LoadLocation(domain.DefaultTimeZone)
	if v, err := z.s.cfg.Store.SitePolicy(ctx, site); err == nil && v != "" {
		if sp, err := z.s.cfg.Store.Policy(ctx, v); err == nil {
			if c, ok := policyZones.Load(sp.SHA256); ok {
				loc = c.(*time.Location)
			} else if pol, err := policy.Parse([]byte(sp.Body)); err == nil {
				if l, err := time.LoadLocation(pol.TimeZone); err == nil && pol.TimeZone != "" {
					loc = l
				}
				policyZones.Store(sp.SHA256, loc)
			}
		}
	}
	z.byID[site] = loc
	return loc
}
