package cloudhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/care"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
	"github.com/google/uuid"
)

// The care signal (issue 12, docs/care.md): the rule of each org unit and
// the visit list of the communities in the caller's scope.
func (s *Server) careRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/org/{id}/care-rule", s.require(domain.RoleViewer, s.getCareRule))
	mux.Handle("PUT /api/v1/org/{id}/care-rule", s.require(domain.RoleOperator, s.putCareRule))
	mux.Handle("GET /api/v1/care/visits", s.require(domain.RoleViewer, s.careVisitList))
	mux.Handle("POST /api/v1/care/visits", s.require(domain.RoleStaff, s.markCareVisit))
}

// CareRuleResponse is the answer of GET/PUT /api/v1/org/{id}/care-rule:
// the rule that applies at the unit and where it comes from.
type CareRuleResponse struct {
	Unit   string          `json:"unit"`
	Level  string          `json:"level"`
	Stored bool            `json:"stored"` // the unit has a rule of its own
	From   string          `json:"from"`   // the unit the rule comes from; "" = the default
	Rule   domain.CareRule `json:"rule"`
}

func (s *Server) getCareRule(w http.ResponseWriter, r *http.Request) {
	unit, ok := s.visibleUnit(w, r)
	if !ok {
		return
	}
	rule, from, err := care.RuleOf(r.Context(), s.cfg.Store, unit.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, CareRuleResponse{Unit: unit.ID, Level: unit.Level, Stored: from == unit.ID, From: from, Rule: rule})
}

func (s *Server) putCareRule(w http.ResponseWriter, r *http.Request) {
	unit, ok := s.visibleUnit(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, domain.MaxCareRuleBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "cannot read the body")
		return
	}
	if _, err := domain.ParseCareRule(body); err != nil {
		writeError(w, http.StatusBadRequest, strings.TrimSuffix(err.Error(), ": "+domain.ErrInvalid.Error()))
		return
	}
	old, err := s.cfg.Store.CareRuleOf(r.Context(), unit.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	by := actor(CallerOf(r.Context()))
	if err := s.cfg.Store.PutCareRule(r.Context(), unit.ID, body, by, s.cfg.Now().UTC()); err != nil {
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: care rule stored", "unit", unit.ID, "by", by)
	auditChange(r, "care_rule", unit.ID, unit.ID, json.RawMessage(old), json.RawMessage(body))
	s.getCareRule(w, r)
}

// CareListResponse is the answer of GET /api/v1/care/visits: the elders
// to visit (flagged, not visited since their last meal) and those whose
// absence has been visited, of the communities under unit.
type CareListResponse struct {
	Unit    string       `json:"unit"` // "" = the whole tree
	Now     string       `json:"now"`  // the time the list was made, UTC
	ToVisit []care.Entry `json:"to_visit"`
	Visited []care.Entry `json:"visited"`
}

// careVisitList serves GET /api/v1/care/visits[?unit=ID][&format=json|csv|xlsx]
// [&lang=zh-CN|zh-HK|en]: unit defaults to the caller's scope and must lie
// in it.
func (s *Server) careVisitList(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.unitParam(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	format, lang := q.Get("format"), q.Get("lang")
	if format == "" {
		format = "json"
	}
	if lang == "" {
		lang = "zh-CN"
	}
	if !slices.Contains([]string{"json", "csv", "xlsx"}, format) {
		writeError(w, http.StatusBadRequest, "format "+quote(format)+" is not one of json, csv, xlsx")
		return
	}
	if !slices.Contains(reports.Langs, lang) {
		writeError(w, http.StatusBadRequest, "lang "+quote(lang)+" is not one of zh-CN, zh-HK, en")
		return
	}
	now := s.cfg.Now().UTC()
	es, err := care.List(r.Context(), s.cfg.Store, scope, now)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if format != "json" {
		s.careDownload(w, r, scope, es, format, lang, now)
		return
	}
	out := CareListResponse{Unit: scope, Now: now.Format("2006-01-02T15:04:05Z"), ToVisit: []care.Entry{}, Visited: []care.Entry{}}
	for _, e := range es {
		if e.Visited {
			out.Visited = append(out.Visited, e)
		} else {
			out.ToVisit = append(out.ToVisit, e)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// careDownload writes the visit list as CSV or XLSX (care.Table).
func (s *Server) careDownload(w http.ResponseWriter, r *http.Request, scope string, es []care.Entry, format, lang string, now time.Time) {
	names, err := s.unitNames(r.Context(), scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	unitName := map[string]string{"zh-CN": "全部", "zh-HK": "全部", "en": "All"}[lang]
	if scope != "" {
		unitName = name(scope)
	}
	zone, err := time.LoadLocation(domain.DefaultTimeZone)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	tab, err := care.Table(es, lang, now, zone, unitName, name)
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
	w.Header().Set("Content-Disposition", `attachment; filename="care-visits-`+now.In(zone).Format(time.DateOnly)+`.`+format+`"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// unitParam is listScope for the query parameter "unit".
func (s *Server) unitParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	c := CallerOf(r.Context())
	q := r.URL.Query().Get("unit")
	if q == "" {
		return c.Scope, true
	}
	if err := domain.ValidateSlug(q); err != nil {
		writeError(w, http.StatusBadRequest, "unit: "+err.Error())
		return "", false
	}
	in, err := s.unitWithin(r.Context(), c.Scope, q)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "unit: no org unit "+q)
		return "", false
	case err != nil:
		s.internal(w, r, err)
		return "", false
	case !in:
		writeError(w, http.StatusForbidden, "unit: "+q+" is outside the token's scope")
		return "", false
	}
	return q, true
}

// CareVisitRequest is the body of POST /api/v1/care/visits. Who marked
// the visit is the caller's token, never a field.
type CareVisitRequest struct {
	ElderID string              `json:"elder_id"`
	Site    string              `json:"site"` // the elder's home site (as the list gives it)
	Outcome domain.VisitOutcome `json:"outcome"`
	Note    string              `json:"note"`
}

func (s *Server) markCareVisit(w http.ResponseWriter, r *http.Request) {
	var req CareVisitRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.ElderID == "" || req.Site == "" {
		writeError(w, http.StatusBadRequest, "elder_id and site are required")
		return
	}
	if !s.siteVisible(r, req.Site) {
		writeError(w, http.StatusNotFound, "no site "+req.Site)
		return
	}
	v := domain.CareVisit{ElderID: req.ElderID, Site: req.Site, Outcome: req.Outcome, Note: strings.TrimSpace(req.Note),
		MarkedBy: actor(CallerOf(r.Context())), At: s.cfg.Now().UTC()}
	if err := domain.CheckVisit(v); err != nil {
		writeError(w, http.StatusBadRequest, strings.TrimSuffix(err.Error(), ": "+domain.ErrInvalid.Error()))
		return
	}
	site, err := s.cfg.Store.OrgUnit(r.Context(), req.Site)
	if errors.Is(err, domain.ErrNotFound) || err == nil && site.Level != domain.LevelSite {
		writeError(w, http.StatusNotFound, "no site "+req.Site+" in the org tree")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	elders, err := s.cfg.Store.CareElders(r.Context(), site.ID)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	found := false
	for _, e := range elders {
		found = found || e.ID == req.ElderID
	}
	if !found {
		writeError(w, http.StatusNotFound, "elder "+quote(req.ElderID)+" is not on the roster of "+site.ID)
		return
	}
	id, err := uuid.NewV7()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v.ID, v.Community = id.String(), site.ParentID
	if err := s.cfg.Store.AddCareVisit(r.Context(), v); err != nil {
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: care visit marked", "site", v.Site, "community", v.Community, "outcome", v.Outcome, "by", v.MarkedBy)
	auditChange(r, "care_visit", v.ID, v.Site, nil, v)
	writeJSON(w, http.StatusCreated, v)
}
