package cloudhttp

import (
	"bytes"
	"context"
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
	ServiceStats(ctx context.Context, scope, firstDay, lastDay string) (domain.ServiceData, error)
}

func (s *Server) reportRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/reports/response", s.require(domain.RoleViewer, s.responseReport))
	mux.Handle("GET /api/v1/reports/service", s.require(domain.RoleViewer, s.serviceReport))
}

// The content types of the report downloads.
const (
	contentTypeCSV  = "text/csv; charset=utf-8"
	contentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// responseReport serves GET /api/v1/reports/response?month=2026-12
// [&scope=ID][&format=json|csv|xlsx][&lang=zh-CN|zh-HK|en][&tz=Asia/Shanghai]:
// the alarm response report of the month in the caller's scope
// (package reports has the rules of the figures).
func (s *Server) responseReport(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.listScope(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if !slices.Contains([]string{"json", "csv", "xlsx"}, format) {
		writeError(w, http.StatusBadRequest, "format "+quote(format)+" is not one of json, csv, xlsx")
		return
	}
	lang := q.Get("lang")
	if lang == "" {
		lang = "zh-CN"
	}
	if !slices.Contains(reports.Langs, lang) {
		writeError(w, http.StatusBadRequest, "lang "+quote(lang)+" is not one of zh-CN, zh-HK, en")
		return
	}
	zone := q.Get("tz")
	if zone == "" {
		zone = reports.DefaultTimeZone
	}
	tz, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		writeError(w, http.StatusBadRequest, "tz "+quote(zone)+" is not an IANA time zone such as Asia/Shanghai")
		return
	}
	month := q.Get("month")
	from, to, err := reports.ParseMonth(month, tz)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	units, err := s.cfg.Store.ListOrgUnits(r.Context(), scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	alerts, log, err := s.cfg.Store.AlertLogBetween(r.Context(), scope, from, to)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rep, err := reports.Response(month, tz, units, alerts, log)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if format == "json" {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	tab, err := reports.ResponseTable(rep, lang)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var buf bytes.Buffer
	ctype := contentTypeCSV
	if format == "csv" {
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
	w.Header().Set("Content-Disposition", `attachment; filename="alarm-response-`+month+`.`+format+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// quote quotes a query value for an error message, bounded in length.
func quote(v string) string {
	if len(v) > 64 {
		v = v[:64] + "…"
	}
	return strconv.Quote(v)
}

// reportParams are the query parameters every report takes.
type reportParams struct {
	scope, format, lang, month string
	tz                         *time.Location
}

// reportQuery reads the scope (unit=ID or scope=ID, within the caller's
// scope), format, lang, tz and month of a report request; on false it
// has answered.
func (s *Server) reportQuery(w http.ResponseWriter, r *http.Request) (p reportParams, ok bool) {
	q := r.URL.Query()
	if u := q.Get("unit"); u != "" && q.Get("scope") == "" {
		r2 := r.Clone(r.Context())
		q2 := r2.URL.Query()
		q2.Set("scope", u)
		r2.URL.RawQuery = q2.Encode()
		r = r2
	}
	if p.scope, ok = s.listScope(w, r); !ok {
		return p, false
	}
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
	zone := q.Get("tz")
	if zone == "" {
		zone = reports.DefaultTimeZone
	}
	tz, err := time.LoadLocation(zone)
	if err != nil || zone == "Local" {
		writeError(w, http.StatusBadRequest, "tz "+quote(zone)+" is not an IANA time zone such as Asia/Shanghai")
		return p, false
	}
	p.tz = tz
	p.month = q.Get("month")
	if _, _, err := reports.ParseMonth(p.month, tz); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return p, false
	}
	return p, true
}

// serviceReport serves GET /api/v1/reports/service?month=2026-12
// [&unit=ID][&format=json|csv|xlsx][&lang=zh-CN|zh-HK|en][&tz=...]: the
// service statistics (服务人次) of the month in the unit's subtree
// (package reports, stats.go, has the rules of the figures).
func (s *Server) serviceReport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.reportQuery(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	units, err := s.cfg.Store.ListOrgUnits(ctx, p.scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	first, last, err := reports.MonthDays(p.month)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	data, err := s.cfg.Store.ServiceStats(ctx, p.scope, first, last)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	rep, err := reports.Service(p.month, p.tz, units, data)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if p.format == "json" {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	unitName := map[string]string{"zh-CN": "全部", "zh-HK": "全部", "en": "All"}[p.lang]
	for _, u := range units {
		if u.ID == p.scope {
			unitName = u.Name
		}
	}
	tab, err := reports.ServiceTable(rep, p.lang, unitName)
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
	w.Header().Set("Content-Disposition", `attachment; filename="service-statistics-`+p.month+`.`+p.format+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}
