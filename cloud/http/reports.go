package cloudhttp

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// ReportStore is what the reports read besides the org tree.
type ReportStore interface {
	// AlertLogBetween: see domain.AlarmStore.
	AlertLogBetween(ctx context.Context, scope string, from, to time.Time) ([]domain.Alert, []domain.AlertLogEntry, error)
	// ServiceStats: see domain.StatsStore.
	ServiceStats(ctx context.Context, scope, firstDay, lastDay string, weeks []domain.DayRange) (domain.ServiceData, error)
	domain.SettlementStore
	domain.ReconcileStore
	domain.ReviewStore
	domain.StatementStore
}

func (s *Server) reportRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/reports/response", s.require(domain.RoleViewer, s.responseReport))
	mux.Handle("GET /api/v1/reports/service", s.require(domain.RoleViewer, s.serviceReport))
	mux.Handle("GET /api/v1/reports/settlement", s.require(domain.RoleViewer, s.settlementReport))
	mux.Handle("GET /api/v1/reports/reconciliation", s.require(domain.RoleViewer, s.reconciliationReport))
	mux.Handle("GET /api/v1/reports/review", s.require(domain.RoleViewer, s.reviewReport))
	mux.Handle("POST /api/v1/reports/settlement/close", s.require(domain.RoleAdmin, s.closeSettlement))
	mux.Handle("GET /api/v1/reports/statements", s.require(domain.RoleViewer, s.listStatements))
	mux.Handle("GET /api/v1/reports/statements/{number}", s.require(domain.RoleViewer, s.statementContent))
}

// The content types of the report downloads.
const (
	contentTypeCSV  = "text/csv; charset=utf-8"
	contentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// reportQuery is the parameters every report takes.
type reportQuery struct {
	scope, format, lang string
	month               string // the period's key when it is a month
	period              reports.Period
	tz                  *time.Location
	from, to            time.Time // the period's bounds in tz
}

// reportParams reads the parameters every monthly report takes (unit= or
// scope= within the caller's scope, format, lang, tz, month) and answers
// 400/403/404 itself when one is wrong.
func (s *Server) reportParams(w http.ResponseWriter, r *http.Request) (reportQuery, bool) {
	return s.reportParamsOf(w, r, false)
}

// reportParamsOf is reportParams; with anyPeriod the period may also be an
// ISO week or a day (reports.ParsePeriod), given as period= (or month=).
func (s *Server) reportParamsOf(w http.ResponseWriter, r *http.Request, anyPeriod bool) (reportQuery, bool) {
	var p reportQuery
	// unit=ID names the unit as the other lists do; scope=ID is its synonym.
	if q := r.URL.Query(); q.Get("unit") != "" {
		if q.Get("scope") != "" && q.Get("scope") != q.Get("unit") {
			writeError(w, http.StatusBadRequest, "unit and scope name different org units; give one")
			return p, false
		}
		q.Set("scope", q.Get("unit"))
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
	}
	scope, ok := s.listScope(w, r)
	if !ok {
		return p, false
	}
	p.scope = scope
	q := r.URL.Query()
	p.format = q.Get("format")
	if p.format == "" {
		p.format = "json"
	}
	if !slices.Contains([]string{"json", "csv", "xlsx"}, p.format) {
		writeError(w, http.StatusBadRequest, "format "+quote(p.format)+" is not one of json, csv, xlsx")
		return p, false
	}
	p.lang = q.Get("lang")
	if p.lang == "" {
		p.lang = "zh-CN"
	}
	if !slices.Contains(reports.Langs, p.lang) {
		writeError(w, http.StatusBadRequest, "lang "+quote(p.lang)+" is not one of zh-CN, zh-HK, en")
		return p, false
	}
	tz, err := reportZone(q.Get("tz"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return p, false
	}
	p.tz = tz
	key := q.Get("month")
	if pk := q.Get("period"); pk != "" {
		if !anyPeriod {
			writeError(w, http.StatusBadRequest, "this report is made per month: give month=YYYY-MM, not period=")
			return p, false
		}
		if key != "" && key != pk {
			writeError(w, http.StatusBadRequest, "month and period differ; give one")
			return p, false
		}
		key = pk
	}
	if !anyPeriod {
		if _, _, err := reports.ParseMonth(key, tz); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return p, false
		}
	}
	p.period, err = reports.ParsePeriod(key)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return p, false
	}
	if p.period.Kind == reports.PeriodMonth {
		p.month = key
	}
	p.from, p.to = p.period.Bounds(tz)
	return p, true
}

// reportZone loads a report's time zone: an IANA name, the default zone
// when empty ("Local" is refused: it is the server's, not a place's).
func reportZone(zone string) (*time.Location, error) {
	if zone == "" {
		zone = reports.DefaultTimeZone
	}
	tz, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" || len(zone) > 64 {
		return nil, errors.New("tz " + quote(zone) + " is not an IANA time zone such as Asia/Shanghai")
	}
	return tz, nil
}

// writeReport answers a report request: rep as JSON, or the table that
// table lays it out as (reports.Table) as a CSV or XLSX download named
// name.format. Every report is sent through it.
func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, p reportQuery, rep any, table func() (reports.Table, error), name string) {
	if p.format == "json" {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	tab, err := table()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var buf bytes.Buffer
	ctype := contentTypeCSV
	if p.format == "csv" {
		err = tab.WriteCSV(&buf)
	} else {
		ctype = contentTypeXLSX
		err = tab.WriteXLSX(&buf)
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.`+p.format+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// unitName is the name of the report's unit (p.scope), for the table's
// reporting-unit line; "" when the scope is the whole tree.
func unitName(units []domain.OrgUnit, p reportQuery) string {
	for _, u := range units {
		if u.ID == p.scope {
			return u.Name
		}
	}
	return allUnits[p.lang]
}

// responseReport serves GET /api/v1/reports/response?month=2026-12
// [&scope=ID][&format=json|csv|xlsx][&lang=zh-CN|zh-HK|en][&tz=Asia/Shanghai]:
// the alarm response report of the month in the caller's scope
// (package reports has the rules of the figures).
func (s *Server) responseReport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.reportParams(w, r)
	if !ok {
		return
	}
	units, err := s.cfg.Store.ListOrgUnits(r.Context(), p.scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	alerts, log, err := s.cfg.Store.AlertLogBetween(r.Context(), p.scope, p.from, p.to)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rep, err := reports.Response(p.month, p.tz, units, alerts, log)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.writeReport(w, r, p, rep, func() (reports.Table, error) { return reports.ResponseTable(rep, p.lang) }, "alarm-response-"+p.month)
}

// allUnits names the reporting unit of a report over every site.
var allUnits = map[string]string{"zh-CN": "全部站点", "zh-HK": "全部站點", "en": "All sites"}

// settlementReport serves GET /api/v1/reports/settlement?month=2026-12
// [&unit=ID (or scope=ID)][&format=json|csv|xlsx][&lang=...][&tz=...]:
// the monthly settlement of the unit's sites (package reports,
// settlement.go, has the rules; docs/settlement.md what they mean).
//
// A month closed for the unit is answered from its statement's stored
// content (statement: number, who closed it, when, SHA-256); a month
// closed by an ancestor's statement is recomputed without the events
// received after that close (covered_by names the statement).
func (s *Server) settlementReport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.reportParams(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	units, err := s.cfg.Store.ListOrgUnits(ctx, p.scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var rep reports.SettlementReport
	st, err := s.cfg.Store.StatementOf(ctx, p.scope, p.month)
	switch {
	case err == nil:
		rep, err = reports.ReadStatement(st)
		if err != nil {
			s.internal(w, r, err)
			return
		}
	case errors.Is(err, domain.ErrNotFound):
		rep, err = s.settlement(ctx, p.scope, p.month, p.tz, units)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		cov, err := s.cfg.Store.CoveringStatement(ctx, p.scope, p.month)
		if err == nil {
			rep.CoveredBy = &cov
		} else if !errors.Is(err, domain.ErrNotFound) {
			s.internal(w, r, err)
			return
		}
	default:
		s.internal(w, r, err)
		return
	}
	s.writeReport(w, r, p, rep, func() (reports.Table, error) { return reports.SettlementTable(rep, p.lang, unitName(units, p)) }, "settlement-"+p.month)
}

// settlement computes the live settlement of month in tz for scope.
func (s *Server) settlement(ctx context.Context, scope, month string, tz *time.Location, units []domain.OrgUnit) (reports.SettlementReport, error) {
	from, to, err := reports.ParseMonth(month, tz)
	if err != nil {
		return reports.SettlementReport{}, err
	}
	meals, funding, err := s.cfg.Store.SettlementRows(ctx, scope, from, to)
	if err != nil {
		return reports.SettlementReport{}, err
	}
	adj, err := s.cfg.Store.SettlementAdjustments(ctx, scope, month)
	if err != nil {
		return reports.SettlementReport{}, err
	}
	return reports.Settlement(month, tz, units, meals, funding, adj)
}

// quote quotes a query value for an error message, bounded in length.
func quote(v string) string {
	if len(v) > 64 {
		v = v[:64] + "…"
	}
	return strconv.Quote(v)
}

// serviceReport serves GET /api/v1/reports/service?period=2026-12 (or
// 2026-W48, 2026-11-23; month= is a synonym)
// [&unit=ID][&format=json|csv|xlsx][&lang=zh-CN|zh-HK|en][&tz=...]: the
// service statistics (服务人次) of the period in the unit's subtree
// (package reports, stats.go, has the rules of the figures).
func (s *Server) serviceReport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.reportParamsOf(w, r, true)
	if !ok {
		return
	}
	ctx := r.Context()
	units, err := s.cfg.Store.ListOrgUnits(ctx, p.scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	data, err := s.cfg.Store.ServiceStats(ctx, p.scope, p.period.FirstDay, p.period.LastDay, reports.ServiceWeeks(p.period))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rep, err := reports.Service(p.period, p.tz, units, data)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.writeReport(w, r, p, rep, func() (reports.Table, error) { return reports.ServiceTable(rep, p.lang, unitName(units, p)) }, "service-statistics-"+p.period.Key)
}

// reconciliationReport serves GET /api/v1/reports/reconciliation?month=2026-12
// [&unit=ID (or scope=ID)][&format=json|csv|xlsx][&lang=...][&tz=...]: the
// meals of the unit's sites in the month whose re-decision by the cloud
// differs from their gateway's, with the difference per funding layer
// (package reports, reconcile.go; docs/reconciliation.md).
func (s *Server) reconciliationReport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.reportParams(w, r)
	if !ok {
		return
	}
	units, err := s.cfg.Store.ListOrgUnits(r.Context(), p.scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rep, err := reports.ReconcileMonth(r.Context(), s.cfg.Store, p.month, p.tz, p.scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.writeReport(w, r, p, rep, func() (reports.Table, error) { return reports.ReconcileTable(rep, p.lang, unitName(units, p)) }, "reconciliation-"+p.month)
}

// reviewReport serves GET /api/v1/reports/review?month=2026-12
// [&unit=ID (or scope=ID)][&format=json|csv|xlsx][&lang=...][&tz=...]:
// the items to review (防冒领) of the month at the unit's sites, their
// facts worded in lang (package reports, review.go, has the rules;
// docs/review.md what they mean). An item whose meals span a site
// outside the caller's scope (two_sites_one_window) shows to a scope that
// holds any of its sites; the other site's meal shows only its event id,
// site, time, window and decision.
func (s *Server) reviewReport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.reportParams(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	units, err := s.cfg.Store.ListOrgUnits(ctx, p.scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	meals, changes, err := s.cfg.Store.ReviewRows(ctx, p.scope, p.from, p.to, reports.NightSpans(p.from, p.to, p.tz))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rep, err := reports.Review(p.month, p.tz, p.lang, units, meals, changes)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.writeReport(w, r, p, rep, func() (reports.Table, error) { return reports.ReviewTable(rep, p.lang, unitName(units, p)) }, "review-"+p.month)
}
