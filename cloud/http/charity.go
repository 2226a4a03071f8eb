package cloudhttp

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// Charity transparency (issue 12, docs/charity.md, ADR 0020): the funds,
// the detail of a fund's month for the district, and the public summaries
// a donor opens from a QR code (charity_page.go).

func (s *Server) charityRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/charity/funds", s.require(domain.RoleViewer, s.listCharityFunds))
	mux.Handle("POST /api/v1/charity/funds", s.require(domain.RoleAdmin, s.createCharityFund))
	mux.Handle("GET /api/v1/reports/charity", s.require(domain.RoleViewer, s.charityReport))
	mux.Handle("POST /api/v1/charity/publications", s.require(domain.RoleAdmin, s.publishCharity))
	mux.Handle("GET /api/v1/charity/publications", s.require(domain.RoleViewer, s.listCharityPublications))
	mux.Handle("GET /api/v1/charity/publications/{id}/qr.png", s.require(domain.RoleViewer, s.charityQR))
	// The public side: no token (charity_page.go).
	mux.HandleFunc("GET /charity/{id}", s.charityPage)
	mux.HandleFunc("GET /charity/{id}/summary.json", s.charitySummaryJSON)
}

// CreateCharityFundRequest is the body of POST /api/v1/charity/funds.
type CreateCharityFundRequest struct {
	ID    string              `json:"id"`
	Names domain.CharityNames `json:"names"`
	Unit  string              `json:"unit"`
}

// ParseCharityFund checks a fund registration (domain.ValidateCharityFund)
// and returns the fund with its names trimmed; the error says which field
// is wrong.
func ParseCharityFund(req CreateCharityFundRequest) (domain.CharityFund, error) {
	f := domain.CharityFund{ID: req.ID, Unit: req.Unit, Names: domain.CharityNames{
		ZhCN: strings.TrimSpace(req.Names.ZhCN), ZhHK: strings.TrimSpace(req.Names.ZhHK), En: strings.TrimSpace(req.Names.En)}}
	if err := domain.ValidateCharityFund(f); err != nil {
		return f, errors.New(strings.TrimSuffix(err.Error(), ": "+domain.ErrInvalid.Error()))
	}
	return f, nil
}

func (s *Server) listCharityFunds(w http.ResponseWriter, r *http.Request) {
	fs, err := s.cfg.Store.ListCharityFunds(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, fs)
}

func (s *Server) createCharityFund(w http.ResponseWriter, r *http.Request) {
	var req CreateCharityFundRequest
	if !decodeBody(w, r, &req) {
		return
	}
	f, err := ParseCharityFund(req)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	c := CallerOf(r.Context())
	in, err := s.unitWithin(r.Context(), c.Scope, f.Unit)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusBadRequest, "unit: no org unit "+f.Unit)
		return
	case err != nil:
		s.internal(w, r, err)
		return
	case !in:
		writeError(w, http.StatusForbidden, "unit: "+f.Unit+" is outside the token's scope")
		return
	}
	f.CreatedAt, f.CreatedBy = s.cfg.Now().UTC().Truncate(time.Second), c.Name
	err = s.cfg.Store.CreateCharityFund(r.Context(), f)
	switch {
	case errors.Is(err, domain.ErrConflict):
		writeError(w, http.StatusConflict, "charity fund "+f.ID+" already exists")
		return
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusBadRequest, "unit: no org unit "+f.Unit)
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: charity fund registered", "fund", f.ID, "unit", f.Unit, "by", c.TokenID)
	auditChange(r, "charity_fund", f.ID, f.Unit, nil, f)
	writeJSON(w, http.StatusCreated, f)
}

// charityFund reads a fund id (a query value or a body field) and the
// fund; it answers 400 or 404 itself when ok is false.
func (s *Server) charityFund(w http.ResponseWriter, r *http.Request, id string) (domain.CharityFund, bool) {
	if id == "" {
		writeError(w, http.StatusBadRequest, "fund: missing (the id of a registered charity fund)")
		return domain.CharityFund{}, false
	}
	if err := domain.ValidateSlug(id); err != nil {
		writeError(w, http.StatusBadRequest, "fund: "+err.Error())
		return domain.CharityFund{}, false
	}
	f, err := s.cfg.Store.CharityFund(r.Context(), id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no charity fund "+id)
		return f, false
	case err != nil:
		s.internal(w, r, err)
		return f, false
	}
	return f, true
}

// charityOf computes the fund's month over the sites of scope: the report
// and the whole org tree (which names the sites and their districts).
func (s *Server) charityOf(r *http.Request, f domain.CharityFund, month, scope string, tz *time.Location) (reports.CharityReport, []domain.OrgUnit, error) {
	from, to, err := reports.ParseMonth(month, tz)
	if err != nil {
		return reports.CharityReport{}, nil, err
	}
	units, err := s.cfg.Store.ListOrgUnits(r.Context(), "")
	if err != nil {
		return reports.CharityReport{}, nil, err
	}
	rows, names, err := s.cfg.Store.CharityRows(r.Context(), f.ID, scope, from, to)
	if err != nil {
		return reports.CharityReport{}, nil, err
	}
	rep, err := reports.Charity(f, month, tz, units, rows, names)
	return rep, units, err
}

// charityReport serves GET /api/v1/reports/charity?fund=ID&month=2026-12
// [&unit=ID][&format=json|csv|xlsx][&lang=...][&tz=...]: what the fund paid
// for in the month at the unit's sites, with the elders masked (package
// reports, charity.go, has the rules).
func (s *Server) charityReport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.reportParams(w, r)
	if !ok {
		return
	}
	f, ok := s.charityFund(w, r, r.URL.Query().Get("fund"))
	if !ok {
		return
	}
	rep, units, err := s.charityOf(r, f, p.month, p.scope, p.tz)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.writeReport(w, r, p, rep, func() (reports.Table, error) { return reports.CharityTable(rep, p.lang, unitName(units, p)) },
		"charity-"+f.ID+"-"+p.month)
}

// PublishCharityRequest is the body of POST /api/v1/charity/publications.
type PublishCharityRequest struct {
	Fund  string `json:"fund"`
	Month string `json:"month"`
	// Unit: the org unit whose sites the summary covers (within the
	// token's scope); default the token's scope ("" = every site).
	Unit     string `json:"unit,omitempty"`
	TimeZone string `json:"time_zone,omitempty"` // the month's zone; default Asia/Shanghai
}

// ParsePublishCharity checks what a publication request says without the
// store: the fund and unit ids, the month and the zone.
func ParsePublishCharity(req PublishCharityRequest) (*time.Location, error) {
	if err := domain.ValidateSlug(req.Fund); err != nil {
		return nil, errors.New("fund: " + err.Error())
	}
	if req.Unit != "" {
		if err := domain.ValidateSlug(req.Unit); err != nil {
			return nil, errors.New("unit: " + err.Error())
		}
	}
	tz, err := reportZone(req.TimeZone)
	if err != nil {
		return nil, errors.New("time_zone: " + err.Error())
	}
	if _, _, err := reports.ParseMonth(req.Month, tz); err != nil {
		return nil, err
	}
	return tz, nil
}

// CharityPublicationView is a publication as the API shows it: its
// fields, its public address and that address as a QR code.
type CharityPublicationView struct {
	domain.CharityPublication
	URL   string `json:"url"`
	QRPNG string `json:"qr_png,omitempty"` // data:image/png;base64 URI (the publish answer only)
}

// charityURL is the public address of publication id.
func (s *Server) charityURL(id string) string {
	return strings.TrimSuffix(s.provisioning().PublicURL, "/") + "/charity/" + id
}

func (s *Server) publishCharity(w http.ResponseWriter, r *http.Request) {
	var req PublishCharityRequest
	if !decodeBody(w, r, &req) {
		return
	}
	tz, err := ParsePublishCharity(req)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f, ok := s.charityFund(w, r, req.Fund)
	if !ok {
		return
	}
	c := CallerOf(r.Context())
	unit := c.Scope
	if req.Unit != "" {
		in, err := s.unitWithin(r.Context(), c.Scope, req.Unit)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			writeError(w, http.StatusBadRequest, "unit: no org unit "+req.Unit)
			return
		case err != nil:
			s.internal(w, r, err)
			return
		case !in:
			writeError(w, http.StatusForbidden, "unit: "+req.Unit+" is outside the token's scope")
			return
		}
		unit = req.Unit
	}
	rep, units, err := s.charityOf(r, f, req.Month, unit, tz)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	id, err := domain.RandomToken(16) // 128 bits: the page's address cannot be guessed
	if err != nil {
		s.internal(w, r, err)
		return
	}
	name := func(id string) string {
		for _, u := range units {
			if u.ID == id {
				return u.Name
			}
		}
		return id
	}
	meta := reports.CharityPublic{ID: id, Unit: unit, Publisher: f.Unit, PublishedAt: s.cfg.Now()}
	if unit != "" {
		meta.UnitName, meta.Publisher = name(unit), unit
	}
	meta.PublisherName = name(meta.Publisher)
	pub := reports.CharityPublicOf(rep, meta)
	body, err := reports.CharityPublicJSON(pub)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	sum := sha256.Sum256(body)
	p := domain.CharityPublication{ID: id, Fund: f.ID, Month: req.Month, Unit: unit, Body: body, SHA256: hex.EncodeToString(sum[:]),
		PublishedAt: pub.PublishedAt, PublishedBy: c.Name}
	if err := s.cfg.Store.AddCharityPublication(r.Context(), p); err != nil {
		s.internal(w, r, err)
		return
	}
	v := CharityPublicationView{CharityPublication: p, URL: s.charityURL(id)}
	png, err := QRPNG(v.URL)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v.QRPNG = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
	s.log.Info("http: charity summary published", "fund", f.ID, "month", req.Month, "unit", unit, "sha256", p.SHA256, "by", c.TokenID)
	auditChange(r, "charity_publication", id, meta.Publisher, nil, map[string]any{"id": id, "fund": f.ID, "month": req.Month, "unit": unit, "sha256": p.SHA256})
	writeJSON(w, http.StatusCreated, v)
}

// visiblePublication reports whether the caller may list publication p:
// an unscoped caller every one, a scoped one those covering a unit of its
// subtree.
func (s *Server) visiblePublication(r *http.Request, p domain.CharityPublication) (bool, error) {
	c := CallerOf(r.Context())
	if c.Scope == "" {
		return true, nil
	}
	if p.Unit == "" {
		return false, nil
	}
	in, err := s.unitWithin(r.Context(), c.Scope, p.Unit)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	return in, err
}

// listCharityPublications serves GET /api/v1/charity/publications[?fund=ID].
func (s *Server) listCharityPublications(w http.ResponseWriter, r *http.Request) {
	fund := r.URL.Query().Get("fund")
	if fund != "" {
		if err := domain.ValidateSlug(fund); err != nil {
			writeError(w, http.StatusBadRequest, "fund: "+err.Error())
			return
		}
	}
	ps, err := s.cfg.Store.ListCharityPublications(r.Context(), fund)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := []CharityPublicationView{}
	for _, p := range ps {
		ok, err := s.visiblePublication(r, p)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if ok {
			out = append(out, CharityPublicationView{CharityPublication: p, URL: s.charityURL(p.ID)})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// validPublicationID reports whether id can be a publication's id (22
// characters of URL-safe base64, as RandomToken(16) writes 128 bits), so
// that other paths are answered without the store.
func validPublicationID(id string) bool {
	if len(id) != 22 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(id)
	return err == nil
}

// publication reads publication {id}; it answers 404 itself when ok is
// false.
func (s *Server) publication(w http.ResponseWriter, r *http.Request) (domain.CharityPublication, bool) {
	id := r.PathValue("id")
	if !validPublicationID(id) {
		writeError(w, http.StatusNotFound, "no such publication")
		return domain.CharityPublication{}, false
	}
	p, err := s.cfg.Store.CharityPublication(r.Context(), id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such publication")
		return p, false
	case err != nil:
		s.internal(w, r, err)
		return p, false
	}
	return p, true
}

// charityQR serves the QR code of a publication's public address as a PNG.
func (s *Server) charityQR(w http.ResponseWriter, r *http.Request) {
	p, ok := s.publication(w, r)
	if !ok {
		return
	}
	if ok, err := s.visiblePublication(r, p); err != nil {
		s.internal(w, r, err)
		return
	} else if !ok {
		writeError(w, http.StatusNotFound, "no such publication")
		return
	}
	png, err := QRPNG(s.charityURL(p.ID))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Disposition", `inline; filename="charity-`+p.Fund+"-"+p.Month+`.png"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(png)
}
