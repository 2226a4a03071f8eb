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
}

func (s *Server) reportRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/reports/response", s.require(domain.RoleViewer, s.responseReport))
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
