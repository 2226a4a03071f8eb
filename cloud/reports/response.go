// Package reports computes the cloud's reports from stored events and
// writes them as CSV and XLSX. It is pure computation: the caller reads
// the store and passes the rows in; no I/O but the writers' io.Writer.
//
// # The alarm response report (issue #10)
//
// Response computes, for one month, per site and per level of the
// organisation tree (site, community, street, district) and in total, how
// fast alarms were answered. Every time figure comes ONLY from the
// alerts' timelines (domain.AlertLogEntry rows), never from the alert's
// own columns (opened_at, acked_at, closed_at), so that the report can be
// checked against the stored events. From the alert itself only its id,
// its site and its type are read.
//
//   - Month: the calendar month in the report's time zone (the sites'
//     zone, Asia/Shanghai by default): [first day 00:00, first day of the
//     next month 00:00) in that zone. The report states the zone.
//   - Opened: the At of the alert's first "opened" entry. An alert is in
//     the month when that instant lies in the month; an alert without an
//     "opened" entry cannot be measured and is only counted in
//     ResponseReport.NoTimeline.
//   - Alarms: alerts of type emergency opened in the month. Supervision
//     alerts (type supervision: a silent gateway, a low battery, ...) are
//     counted separately (Supervision) and are in no other figure.
//   - Time to acknowledge: the At of the first "acknowledged" entry minus
//     Opened. An alert resolved without an explicit acknowledgement has an
//     implied "acknowledged" entry at its close, which the log holds
//     already. An alarm cancelled by the elder (closed as a false alarm at
//     the gateway) has no acknowledgement and so no time to acknowledge.
//   - Time to resolve: the At of the first closing entry ("resolved",
//     "false_alarm" or "cleared") minus Opened.
//   - Open: alarms with no closing entry yet (when the report was made);
//     they are in no resolve percentile. Acknowledged is how many alarms
//     have an acknowledgement (the sample of the acknowledge percentiles);
//     Alarms-Open is the sample of the resolve percentiles.
//   - A duration below zero (a gateway clock behind the cloud's) counts
//     as zero. Durations are given in whole seconds, truncated.
//   - Percentiles are nearest-rank: with the n durations sorted
//     ascending, the p-th percentile is the one of rank ceil(p/100 × n)
//     (1-based); p50 and p90 are given with the maximum. With no duration
//     the figures are absent (null in JSON, empty cells in CSV/XLSX).
//   - Acknowledged within 60 s (the telecare industry's standard): alarms
//     whose time to acknowledge is at most 60 s, out of ALL alarms of the
//     row (open, unacknowledged and cancelled alarms count as not within
//     60 s), given as the two counts and a percentage rounded to one
//     decimal (absent when the row has no alarm).
//   - False alarms: alarms whose first closing entry is "false_alarm" (an
//     elder's cancel or the outcome false_alarm chosen by staff).
//   - Escalations: the number of "escalated" entries of the row's alarms.
//
// Rows: one per site unit of the tree given (sites with no alarm too),
// then one per site outside the tree that has alerts (its name is its
// id), then the aggregates of each community, street and district of the
// tree, built from the sites under it (percentiles over the union of
// their durations, never an average of percentiles), and a total over
// every alert given (sites outside the tree included).
package reports

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Shanghai wherever the cloud runs

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// DefaultTimeZone is the zone of the months of a report that names none.
const DefaultTimeZone = domain.DefaultTimeZone

// AckTarget is the industry's target time to acknowledge an alarm.
const AckTarget = 60 * time.Second

// LevelTotal is the Level of the total row.
const LevelTotal = "total"

// ResponseReport is the alarm response report of one month.
type ResponseReport struct {
	Month    string    `json:"month"`     // "2026-12"
	TimeZone string    `json:"time_zone"` // the zone of the month's boundaries
	From     time.Time `json:"from"`      // first instant of the month, UTC
	To       time.Time `json:"to"`        // first instant of the next month, UTC
	// Rows: sites (in the tree, then outside it), communities, streets,
	// districts, each group in the order of the tree's paths.
	Rows  []ResponseRow `json:"rows"`
	Total ResponseRow   `json:"total"`
	// NoTimeline counts alerts given without an "opened" entry (not
	// measurable, in no row).
	NoTimeline int `json:"no_timeline"`
}

// ResponseRow is the figures of one site, one org unit or the total.
type ResponseRow struct {
	Level  string `json:"level"` // site, community, street, district or total
	Unit   string `json:"unit"`  // org unit id (a site outside the tree: its id); "" for the total
	Name   string `json:"name"`
	Path   string `json:"path"`    // the unit's materialised path; "" outside the tree and for the total
	InTree bool   `json:"in_tree"` // false for a site outside the org tree and for the total

	Alarms       int `json:"alarms"`       // emergency alerts opened in the month
	Supervision  int `json:"supervision"`  // supervision alerts opened in the month (in no other figure)
	Acknowledged int `json:"acknowledged"` // alarms with an acknowledgement
	Open         int `json:"open"`         // alarms not closed yet

	AckP50S     *int64 `json:"ack_p50_s"`
	AckP90S     *int64 `json:"ack_p90_s"`
	AckMaxS     *int64 `json:"ack_max_s"`
	ResolveP50S *int64 `json:"resolve_p50_s"`
	ResolveP90S *int64 `json:"resolve_p90_s"`
	ResolveMaxS *int64 `json:"resolve_max_s"`

	AckedWithin60    int      `json:"acked_within_60s"`
	AckedWithin60Pct *float64 `json:"acked_within_60s_pct"` // of Alarms, one decimal
	FalseAlarms      int      `json:"false_alarms"`
	Escalations      int      `json:"escalations"`
}

// ErrMonth is wrapped by ParseMonth's errors.
var ErrMonth = errors.New("reports: bad month")

// ParseMonth reads a month written "YYYY-MM" (e.g. "2026-12") and returns
// its boundaries in tz: from is the first instant of the month, to the
// first instant of the next, both as times in tz. Errors wrap ErrMonth and
// say what is wrong in words.
func ParseMonth(s string, tz *time.Location) (from, to time.Time, err error) {
	if tz == nil {
		return from, to, fmt.Errorf("%w: no time zone", ErrMonth)
	}
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s; write it as YYYY-MM, e.g. 2026-12", ErrMonth, s, why)
	}
	if s == "" {
		return from, to, fmt.Errorf("%w: the month is missing; write it as YYYY-MM, e.g. 2026-12", ErrMonth)
	}
	y, m, why := yearMonth(s)
	if why != "" {
		return from, to, bad(why)
	}
	from = time.Date(y, time.Month(m), 1, 0, 0, 0, 0, tz)
	return from, from.AddDate(0, 1, 0), nil
}

// yearMonth reads YYYY-MM; why says what is wrong ("" when nothing).
func yearMonth(s string) (y, m int, why string) {
	if len(s) != 7 || s[4] != '-' {
		return 0, 0, "not of the form YYYY-MM"
	}
	y, err := digits(s[:4])
	if err != nil {
		return 0, 0, "the year is not 4 digits"
	}
	m, err = digits(s[5:])
	if err != nil {
		return 0, 0, "the month is not 2 digits"
	}
	if y < 2000 || y > 2999 {
		return 0, 0, "the year is not between 2000 and 2999"
	}
	if m < 1 || m > 12 {
		return 0, 0, "the month is not between 01 and 12"
	}
	return y, m, ""
}

// measure is what the timeline says about one alert.
type measure struct {
	site        string
	emergency   bool
	ack         *time.Duration
	resolve     *time.Duration
	falseAlarm  bool
	escalations int
}

// measureAlert reads the timeline of one alert (its entries in order).
func measureAlert(a domain.Alert, log []domain.AlertLogEntry) (opened time.Time, m measure, ok bool) {
	m = measure{site: a.Site, emergency: a.Type == eldergate.AlertTypeEmergency || a.Type == ""}
	var found, acked, closed bool
	for _, e := range log {
		switch e.Kind {
		case domain.AlertLogOpened:
			if !found {
				opened, found = e.At, true
			}
		case domain.AlertLogAcknowledged:
			if !acked && found {
				d := max(e.At.Sub(opened), 0)
				m.ack, acked = &d, true
			}
		case domain.AlertLogResolved, domain.AlertLogFalseAlarm, domain.AlertLogCleared:
			if !closed && found {
				d := max(e.At.Sub(opened), 0)
				m.resolve, closed = &d, true
				m.falseAlarm = e.Kind == domain.AlertLogFalseAlarm
			}
		case domain.AlertLogEscalated:
			m.escalations++
		}
	}
	return opened, m, found
}

// acc accumulates the alerts of one row.
type acc struct {
	alarms, supervision, open, within, falseAlarms, escalations int
	acks, resolves                                              []time.Duration
}

func (c *acc) add(m measure) {
	if !m.emergency {
		c.supervision++
		return
	}
	c.alarms++
	c.escalations += m.escalations
	if m.ack != nil {
		c.acks = append(c.acks, *m.ack)
		if *m.ack <= AckTarget {
			c.within++
		}
	}
	if m.resolve == nil {
		c.open++
	} else {
		c.resolves = append(c.resolves, *m.resolve)
		if m.falseAlarm {
			c.falseAlarms++
		}
	}
}

func (c *acc) merge(o *acc) {
	c.alarms += o.alarms
	c.supervision += o.supervision
	c.open += o.open
	c.within += o.within
	c.falseAlarms += o.falseAlarms
	c.escalations += o.escalations
	c.acks = append(c.acks, o.acks...)
	c.resolves = append(c.resolves, o.resolves...)
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// ds: with ds sorted ascending, the element of rank ceil(p/100 × n),
// 1-based. ok is false when ds is empty. ds is not changed.
func Percentile(ds []time.Duration, p int) (d time.Duration, ok bool) {
	if len(ds) == 0 || p <= 0 || p > 100 {
		return 0, false
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100 // ceil(p*n/100)
	return s[rank-1], true
}

func seconds(ds []time.Duration, p int) *int64 {
	d, ok := Percentile(ds, p)
	if !ok {
		return nil
	}
	v := int64(d / time.Second)
	return &v
}

func (c *acc) row(level, unit, name, path string, inTree bool) ResponseRow {
	r := ResponseRow{Level: level, Unit: unit, Name: name, Path: path, InTree: inTree,
		Alarms: c.alarms, Supervision: c.supervision, Acknowledged: len(c.acks), Open: c.open,
		AckP50S: seconds(c.acks, 50), AckP90S: seconds(c.acks, 90), AckMaxS: seconds(c.acks, 100),
		ResolveP50S: seconds(c.resolves, 50), ResolveP90S: seconds(c.resolves, 90), ResolveMaxS: seconds(c.resolves, 100),
		AckedWithin60: c.within, FalseAlarms: c.falseAlarms, Escalations: c.escalations}
	if c.alarms > 0 {
		pct := math.Round(float64(c.within)*1000/float64(c.alarms)) / 10
		r.AckedWithin60Pct = &pct
	}
	return r
}

// Response computes the alarm response report of month ("2026-12", in
// tz) from the org units in scope (units, as OrgStore.ListOrgUnits gives
// them), the alerts and their timelines (as AlarmStore.AlertLogBetween
// gives them; log entries of alerts not given are ignored). Alerts whose
// "opened" entry lies outside the month are left out. The rules are in
// the package documentation.
func Response(month string, tz *time.Location, units []domain.OrgUnit, alerts []domain.Alert, log []domain.AlertLogEntry) (ResponseReport, error) {
	from, to, err := ParseMonth(month, tz)
	if err != nil {
		return ResponseReport{}, err
	}
	rep := ResponseReport{Month: month, TimeZone: tz.String(), From: from.UTC(), To: to.UTC()}

	byAlert := make(map[string][]domain.AlertLogEntry, len(alerts))
	for _, a := range alerts {
		byAlert[a.ID] = nil
	}
	for _, e := range log {
		if l, ok := byAlert[e.AlertID]; ok {
			byAlert[e.AlertID] = append(l, e)
		}
	}
	sites := map[string]*acc{} // site id -> its alerts
	total := &acc{}
	for _, a := range alerts {
		l := byAlert[a.ID]
		slices.SortStableFunc(l, func(x, y domain.AlertLogEntry) int { return cmpSeq(x, y) })
		opened, m, ok := measureAlert(a, l)
		if !ok {
			rep.NoTimeline++
			continue
		}
		if opened.Before(from) || !opened.Before(to) {
			continue
		}
		if sites[a.Site] == nil {
			sites[a.Site] = &acc{}
		}
		sites[a.Site].add(m)
		total.add(m)
	}

	ordered := slices.Clone(units)
	slices.SortStableFunc(ordered, func(x, y domain.OrgUnit) int { return strings.Compare(x.Path, y.Path) })
	inTree := map[string]bool{}
	for _, u := range ordered {
		if u.Level == domain.LevelSite {
			inTree[u.ID] = true
			a := sites[u.ID]
			if a == nil {
				a = &acc{}
			}
			rep.Rows = append(rep.Rows, a.row(u.Level, u.ID, u.Name, u.Path, true))
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
		rep.Rows = append(rep.Rows, sites[s].row(domain.LevelSite, s, s, "", false))
	}
	for _, level := range []string{domain.LevelCommunity, domain.LevelStreet, domain.LevelDistrict} {
		for _, u := range ordered {
			if u.Level != level {
				continue
			}
			agg := &acc{}
			for _, s := range ordered {
				if s.Level == domain.LevelSite && strings.HasPrefix(s.Path, u.Path) && sites[s.ID] != nil {
					agg.merge(sites[s.ID])
				}
			}
			rep.Rows = append(rep.Rows, agg.row(u.Level, u.ID, u.Name, u.Path, true))
		}
	}
	rep.Total = total.row(LevelTotal, "", "", "", false)
	return rep, nil
}

// cmpSeq orders timeline entries by their sequence number, then by time
// (entries built by hand may have no sequence number).
func cmpSeq(x, y domain.AlertLogEntry) int {
	if x.Seq != y.Seq && x.Seq != 0 && y.Seq != 0 {
		if x.Seq < y.Seq {
			return -1
		}
		return 1
	}
	return x.At.Compare(y.At)
}
