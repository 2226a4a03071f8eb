package cloudhttp

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/rosterimport"
	"github.com/eldergate/eldergate/policy"
)

// The fleet (docs/fleet.md): a page per gateway (its state, presence
// history, latest heartbeat, places and zone), re-enrollment with a new
// one-time token, and the bulk creation of a street's gateways from a CSV.

// fleetRoutes registers the gateway page and fleet operation routes.
func (s *Server) fleetRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/gateways/{id}", s.require(domain.RoleViewer, s.getGateway))
	mux.Handle("GET /api/v1/gateways/{id}/presence", s.require(domain.RoleViewer, s.gatewayPresence))
	mux.Handle("POST /api/v1/gateways/{id}/reenroll", s.require(domain.RoleOperator, s.reenrollGateway))
	mux.HandleLimit("POST /api/v1/gateways/bulk", MaxBulkBytes, s.require(domain.RoleOperator, s.bulkCreateGateways))
}

// PlaceView is an org unit a gateway's site lies in, by name.
type PlaceView struct {
	ID    string `json:"id"`
	Level string `json:"level"`
	Name  string `json:"name"`
}

// GatewayDetail is the answer of GET /api/v1/gateways/{id}.
type GatewayDetail struct {
	domain.Gateway
	RevokedAt *time.Time        `json:"revoked_at"`
	Heartbeat *domain.Heartbeat `json:"heartbeat"` // the latest; null before the first
	// Places are the site and the units above it, the district first
	// (empty when the site is not in the org tree).
	Places []PlaceView `json:"places"`
	// TimeZone is the site's zone: that of the policy assigned to it, else
	// of the policy the gateway reports, else domain.DefaultTimeZone.
	TimeZone string `json:"time_zone"`
}

func (s *Server) getGateway(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	cred, ok := s.visibleGateway(w, r, id)
	if !ok {
		return
	}
	g, err := s.cfg.Store.Gateway(r.Context(), id)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	gs := []domain.Gateway{g}
	if err := s.setConfigStatus(r.Context(), gs); err != nil {
		s.internal(w, r, err)
		return
	}
	d := GatewayDetail{Gateway: gs[0], RevokedAt: cred.RevokedAt, Places: []PlaceView{}}
	if d.Heartbeat, err = s.cfg.Store.LastHeartbeat(r.Context(), id); err != nil {
		s.internal(w, r, err)
		return
	}
	if d.Places, err = s.places(r.Context(), g.Site); err != nil {
		s.internal(w, r, err)
		return
	}
	if d.TimeZone, err = s.siteZone(r.Context(), id, g.Site); err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// places returns site and its ancestors, the district first.
func (s *Server) places(ctx context.Context, site string) ([]PlaceView, error) {
	out := []PlaceView{}
	u, err := s.cfg.Store.OrgUnit(ctx, site)
	if errors.Is(err, domain.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, id := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		a, err := s.cfg.Store.OrgUnit(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, PlaceView{ID: a.ID, Level: a.Level, Name: a.Name})
	}
	return out, nil
}

// siteZone is the zone of site (GatewayDetail.TimeZone).
func (s *Server) siteZone(ctx context.Context, gw, site string) (string, error) {
	versions := []string{}
	if v, err := s.cfg.Store.SitePolicy(ctx, site); err == nil && v != "" {
		versions = append(versions, v)
	} else if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return "", err
	}
	if rep, err := s.cfg.Store.ReportedConfig(ctx, gw); err == nil && rep.PolicyVersion != "" {
		versions = append(versions, rep.PolicyVersion)
	} else if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return "", err
	}
	for _, v := range versions {
		sp, err := s.cfg.Store.Policy(ctx, v)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if p, err := policy.Parse([]byte(sp.Body)); err == nil && p.TimeZone != "" {
			if _, err := time.LoadLocation(p.TimeZone); err == nil {
				return p.TimeZone, nil
			}
		}
	}
	return domain.DefaultTimeZone, nil
}

// Presence ranges: the default span and the longest one.
const (
	DefaultPresenceSpan = 7 * 24 * time.Hour
	MaxPresenceSpan     = 400 * 24 * time.Hour
)

// ParsePresenceRange reads ?from and ?to (RFC 3339; to defaults to now,
// from to DefaultPresenceSpan before to): from before to, at most
// MaxPresenceSpan apart.
func ParsePresenceRange(q url.Values, now time.Time) (from, to time.Time, err error) {
	to = now.UTC()
	if v := q.Get("to"); v != "" {
		if to, err = time.Parse(time.RFC3339, v); err != nil {
			return from, to, errors.New("to: not an RFC 3339 time")
		}
	}
	from = to.Add(-DefaultPresenceSpan)
	if v := q.Get("from"); v != "" {
		if from, err = time.Parse(time.RFC3339, v); err != nil {
			return from, to, errors.New("from: not an RFC 3339 time")
		}
	}
	switch {
	case !from.Before(to):
		return from, to, errors.New("from: must be before to")
	case to.Sub(from) > MaxPresenceSpan:
		return from, to, fmt.Errorf("from, to: at most %d days apart", int(MaxPresenceSpan.Hours()/24))
	}
	return from.UTC(), to.UTC(), nil
}

// PresenceView is the answer of GET /api/v1/gateways/{id}/presence.
type PresenceView struct {
	GW      string                  `json:"gw"`
	From    time.Time               `json:"from"`
	To      time.Time               `json:"to"`
	Changes []domain.PresenceChange `json:"changes"` // oldest first; the first may be before from (the state at from)
	// OnlineS is how long the gateway was online in [from, to) as far as
	// the changes tell; KnownS is the time they tell of: from from, or from
	// the first change when it came later (time before it is unknown).
	OnlineS int64 `json:"online_s"`
	KnownS  int64 `json:"known_s"`
}

func (s *Server) gatewayPresence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	from, to, err := ParsePresenceRange(r.URL.Query(), s.cfg.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if _, ok := s.visibleGateway(w, r, id); !ok {
		return
	}
	cs, err := s.cfg.Store.GatewayPresence(r.Context(), id, from, to)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v := PresenceView{GW: id, From: from, To: to, Changes: cs}
	if len(cs) > 0 {
		v.KnownS = int64(to.Sub(later(cs[0].At, from)) / time.Second)
	}
	for i, c := range cs {
		if !c.Online {
			continue
		}
		start, end := c.At, to
		if i+1 < len(cs) {
			end = cs[i+1].At
		}
		start = later(start, from)
		if end.After(start) {
			v.OnlineS += int64(end.Sub(start) / time.Second)
		}
	}
	writeJSON(w, http.StatusOK, v)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// newEnrollment makes a one-time enrollment token for gateway id at site
// and its answer (link and, with withQR, its QR code) expiring at exp; the
// token's hash is what the store keeps.
func (s *Server) newEnrollment(id, site string, exp time.Time, withQR bool) (CreateGatewayResponse, string, error) {
	token, err := domain.RandomToken(32)
	if err != nil {
		return CreateGatewayResponse{}, "", err
	}
	link := EnrollURL(s.provisioning().PublicURL, token)
	var qr string
	if withQR {
		if qr, err = EnrollQRPNG(link); err != nil {
			// The token is valid: answer it without the picture rather
			// than lose the only copy of the token.
			s.log.Error("http: enrollment token without a QR code", "gw", id, "err", err)
		}
	}
	return CreateGatewayResponse{ID: id, Site: site, Token: token, ExpiresAt: exp, EnrollURL: link, QRPNG: qr}, domain.HashToken(token), nil
}

// reenrollGateway revokes a gateway's credentials and issues a new
// one-time enrollment token (shown once): a replaced or re-imaged device
// enrolls again under the same id, its history kept.
func (s *Server) reenrollGateway(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	cred, ok := s.visibleGateway(w, r, id)
	if !ok {
		return
	}
	now := s.cfg.Now().UTC()
	res, hash, err := s.newEnrollment(id, cred.Site, now.Add(s.provisioning().TokenTTL), true)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	switch err := s.cfg.Store.ReenrollGateway(r.Context(), id, hash, now, res.ExpiresAt); {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no gateway "+id)
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	if f := s.cfg.Provisioning.OnRevoke; f != nil {
		f(id) // the old credentials: disconnected, their cached login dropped
	}
	s.log.Info("http: gateway re-enrollment", "gw", id, "site", cred.Site, "token_expires", res.ExpiresAt, "by", actor(CallerOf(r.Context())))
	auditChange(r, "gateway", id, cred.Site, map[string]any{"id": id, "site": cred.Site, "revoked_at": cred.RevokedAt},
		map[string]any{"id": id, "site": cred.Site, "credentials": "revoked, re-enrollment token issued", "token_expires_at": res.ExpiresAt})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, res)
}

// Limits of a bulk creation: a district's gateways in one file
// (docs/adr/0039-fleet-on-one-broker.md).
const (
	MaxBulkBytes   = 1 << 20
	MaxBulkRows    = 10000
	maxGatewayName = 64
)

// BulkRow is one gateway of a bulk creation CSV.
type BulkRow struct {
	Line int // the file's line
	ID   string
	Site string
	Name string
}

// BulkProblem is one bad row of a bulk creation: Code names the rule (the
// console words it), Message says it in English.
type BulkProblem struct {
	Row     int    `json:"row"` // the file's line; 1 is the header
	Column  string `json:"column,omitempty"`
	Code    string `json:"code"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
}

// bulkColumns are the header names accepted per column.
var bulkColumns = map[string][]string{
	"id":   {"id", "gateway", "gateway_id", "网关", "网关编号", "網關", "網關編號"},
	"site": {"site", "站点", "站點"},
	"name": {"name", "名称", "名稱"},
}

// ParseBulkCSV reads a bulk creation CSV (rosterimport.NewCSVReader: UTF-8
// or GB18030, comma, semicolon or tab): a header naming the columns id and
// site, and optionally name, then one gateway per row. It checks each row
// alone and the ids against each other; the sites and existing gateways
// are the caller's to check. rows holds every row read, bad ones too (so
// that the caller checks each for what the file cannot tell); nothing may
// be created unless probs is empty. err is for a file that is not CSV at
// all.
func ParseBulkCSV(data []byte) ([]BulkRow, []BulkProblem, error) {
	cr, err := rosterimport.NewCSVReader(data)
	if err != nil {
		return nil, nil, err
	}
	var rows []BulkRow
	var probs []BulkProblem
	add := func(line int, col, code, value, format string, args ...any) {
		probs = append(probs, BulkProblem{Row: line, Column: col, Code: code, Value: value, Message: fmt.Sprintf(format, args...)})
	}
	col := map[string]int{}
	seen := map[string]int{}
	header := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 1
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Line > 0 {
				line, err = pe.Line, pe.Err
			}
			add(line, "", "csv", "", "not valid CSV: %v", err)
			return nil, probs, nil
		}
		line, _ := cr.FieldPos(0)
		if blank(rec) {
			continue
		}
		if header {
			header = false
			for i, c := range rec {
				c = strings.ToLower(strings.TrimSpace(c))
				for key, names := range bulkColumns {
					for _, n := range names {
						if c == n {
							col[key] = i
						}
					}
				}
			}
			for _, key := range []string{"id", "site"} {
				if _, ok := col[key]; !ok {
					add(line, key, "missing_column", key, "the header has no %s column", key)
				}
			}
			if len(probs) > 0 {
				return nil, probs, nil
			}
			continue
		}
		if len(rows) == MaxBulkRows {
			add(line, "", "too_many_rows", fmt.Sprint(MaxBulkRows), "more than %d gateways", MaxBulkRows)
			return nil, probs, nil
		}
		get := func(key string) string {
			if i, ok := col[key]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row := BulkRow{Line: line, ID: get("id"), Site: get("site"), Name: get("name")}
		if err := eldergate.ValidateGatewayID(row.ID); err != nil {
			add(line, "id", "bad_id", row.ID, "id: %v", strings.TrimPrefix(err.Error(), "eldergate: "))
		} else if first, dup := seen[row.ID]; dup {
			add(line, "id", "duplicate_id", row.ID, "id: %s is also on row %d", row.ID, first)
		} else {
			seen[row.ID] = line
		}
		if err := domain.ValidateSlug(row.Site); err != nil {
			add(line, "site", "bad_site", row.Site, "site: %v", err)
		}
		if n := utf8.RuneCountInString(row.Name); n > maxGatewayName || strings.ContainsFunc(row.Name, isControl) {
			add(line, "name", "bad_name", "", "name: at most %d characters, no control characters", maxGatewayName)
		}
		rows = append(rows, row)
	}
	if header {
		add(1, "", "no_rows", "", "the file is empty")
	} else if len(rows) == 0 && len(probs) == 0 {
		add(2, "", "no_rows", "", "no gateway below the header")
	}
	return rows, probs, nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// BulkResponse is the answer of POST /api/v1/gateways/bulk: the created
// gateways with their one-time tokens (shown once), or the problems of
// the file (nothing created).
type BulkResponse struct {
	Created   int                     `json:"created"`
	ExpiresAt *time.Time              `json:"expires_at,omitempty"`
	Gateways  []CreateGatewayResponse `json:"gateways"`
	Problems  []BulkProblem           `json:"problems"`
	Error     string                  `json:"error,omitempty"`
}

// bulkCreateGateways creates the gateways of a CSV, all or nothing: every
// row is checked first (ParseBulkCSV, then each site is a site in the
// caller's scope and each id is new). ?format=csv answers the tokens as
// a CSV (BulkTokensCSV; no QR codes) for an operator's script; ?qr=false
// answers JSON without the QR codes (each costs ~7 ms of CPU: 70 s for
// 10,000). Problems are answered as JSON either way.
func (s *Server) bulkCreateGateways(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	asCSV := q.Get("format") == "csv"
	if f := q.Get("format"); f != "" && f != "csv" && f != "json" {
		writeError(w, http.StatusBadRequest, "format: must be json or csv")
		return
	}
	withQR := !asCSV
	switch q.Get("qr") {
	case "", "true":
	case "false":
		withQR = false
	default:
		writeError(w, http.StatusBadRequest, "qr: must be true or false")
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("CSV larger than %d bytes", MaxBulkBytes))
		return
	}
	rows, probs, err := ParseBulkCSV(data)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	sites := map[string]bool{} // site -> a site in the caller's scope
	for _, row := range rows {
		// What the file cannot tell, for each row whose value is well
		// formed (the parser named the others).
		if domain.ValidateSlug(row.Site) == nil {
			ok, seen := sites[row.Site]
			if !seen {
				u, err := s.cfg.Store.OrgUnit(r.Context(), row.Site)
				switch {
				case errors.Is(err, domain.ErrNotFound):
				case err != nil:
					s.internal(w, r, err)
					return
				default:
					ok = u.Level == domain.LevelSite && s.siteVisible(r, row.Site)
				}
				sites[row.Site] = ok
			}
			if !ok {
				probs = append(probs, BulkProblem{Row: row.Line, Column: "site", Code: "site_unknown", Value: row.Site,
					Message: "site: " + row.Site + " is not a site in your scope"})
			}
		}
		if eldergate.ValidateGatewayID(row.ID) == nil {
			switch _, err := s.cfg.Store.GatewayCredential(r.Context(), row.ID); {
			case err == nil:
				probs = append(probs, BulkProblem{Row: row.Line, Column: "id", Code: "exists", Value: row.ID,
					Message: "id: gateway " + row.ID + " exists already"})
			case !errors.Is(err, domain.ErrNotFound):
				s.internal(w, r, err)
				return
			}
		}
	}
	if len(probs) > 0 {
		sortProblems(probs)
		writeJSON(w, http.StatusUnprocessableEntity, BulkResponse{Gateways: []CreateGatewayResponse{}, Problems: probs,
			Error: fmt.Sprintf("%d problems in the file: no gateway was created", len(probs))})
		return
	}
	now := s.cfg.Now().UTC()
	exp := now.Add(s.provisioning().TokenTTL)
	res := BulkResponse{Created: len(rows), ExpiresAt: &exp, Gateways: make([]CreateGatewayResponse, len(rows)), Problems: []BulkProblem{}}
	news := make([]domain.NewGateway, len(rows))
	for i, row := range rows {
		g, hash, err := s.newEnrollment(row.ID, row.Site, exp, withQR)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		g.Name = row.Name
		res.Gateways[i] = g
		news[i] = domain.NewGateway{ID: row.ID, Site: row.Site, Name: row.Name, TokenHash: hash}
	}
	switch err := s.cfg.Store.CreateEnrollments(r.Context(), news, now, exp); {
	case errors.Is(err, domain.ErrConflict): // created meanwhile by someone else
		writeError(w, http.StatusConflict, "a gateway of the file was created meanwhile: no gateway was created; check the file again")
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: gateways created in bulk", "count", len(rows), "token_expires", exp, "by", actor(CallerOf(r.Context())))
	created := make([]map[string]string, len(rows))
	for i, row := range rows {
		created[i] = map[string]string{"id": row.ID, "site": row.Site, "name": row.Name}
	}
	auditChange(r, "gateways", fmt.Sprintf("%d gateways", len(rows)), "", nil, map[string]any{"created": created, "token_expires_at": exp})
	w.Header().Set("Cache-Control", "no-store")
	if asCSV {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="enrollment-tokens.csv"`)
		w.WriteHeader(http.StatusCreated)
		if err := WriteBulkTokensCSV(w, res.Gateways); err != nil {
			s.log.Warn("http: bulk tokens CSV", "err", err)
		}
		return
	}
	writeJSON(w, http.StatusCreated, res)
}

// BulkTokensCSVHeader is the header of the tokens CSV of a bulk creation.
var BulkTokensCSVHeader = []string{"id", "site", "name", "token", "enroll_url", "expires_at"}

// WriteBulkTokensCSV writes created gateways with their one-time tokens as
// CSV (BulkTokensCSVHeader; expires_at RFC 3339 UTC): what a provisioning
// script hands to each gateway (`eldergate-gateway enroll --cloud URL`).
func WriteBulkTokensCSV(w io.Writer, gs []CreateGatewayResponse) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(BulkTokensCSVHeader); err != nil {
		return err
	}
	for _, g := range gs {
		if err := cw.Write([]string{g.ID, g.Site, g.Name, g.Token, g.EnrollURL, g.ExpiresAt.UTC().Format(time.RFC3339)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// sortProblems orders problems by row, the parser's before the store's
// of the same row.
func sortProblems(ps []BulkProblem) {
	slices.SortStableFunc(ps, func(a, b BulkProblem) int { return cmp.Compare(a.Row, b.Row) })
}
