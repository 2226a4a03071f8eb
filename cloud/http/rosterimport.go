package cloudhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/rosterimport"
	"github.com/eldergate/eldergate/cloud/rosterpush"
)

// The roster import (issue 13, ADR 0025). The cloud's roster of a site is
// the roster its gateways run, so an import shows its effect first:
// POST .../roster/import?dry_run=true answers the preview (added, changed,
// removed, the elders the hall loses, the gateways whose local roster it
// replaces) and a token; the import itself refuses (409, with the
// preview) to remove anyone or replace a local roster unless confirm
// carries the token of a preview of this very effect on this very
// version.

// ImportResponse is the answer of POST /api/v1/sites/{site}/roster/import.
type ImportResponse struct {
	Error string `json:"error,omitempty"` // set with 409 and 422
	// Code says why an import was refused: problems (422), or with 409
	// confirm_needed, confirm_stale (the token is of another effect or
	// version) or roster_changed (the roster changed during the import).
	Code     string                `json:"code,omitempty"`
	DryRun   bool                  `json:"dry_run"`
	Report   rosterimport.Report   `json:"report"`
	Preview  *domain.RosterPreview `json:"preview,omitempty"`
	Change   *domain.RosterChange  `json:"change,omitempty"`
	Commands []string              `json:"commands,omitempty"` // roster commands queued
}

// Codes of a refused import.
const (
	ImportProblems      = "problems"
	ImportConfirmNeeded = "confirm_needed"
	ImportConfirmStale  = "confirm_stale"
	ImportRosterChanged = "roster_changed"
)

// importTimeout bounds the time an import may take to answer.
const importTimeout = 5 * time.Minute

// maxConfirmLen bounds the confirm parameter (a token is 35 characters).
const maxConfirmLen = 80

// importQuery is the query of an import.
type importQuery struct {
	DryRun  bool
	Confirm string // a preview's token; "" none
}

// parseImportQuery reads dry_run (true or false) and confirm (a token of
// printable ASCII).
func parseImportQuery(q url.Values) (importQuery, error) {
	var iq importQuery
	switch v := q.Get("dry_run"); v {
	case "", "false":
	case "true":
		iq.DryRun = true
	default:
		return iq, fmt.Errorf("dry_run: %q is not true or false", clipText(v))
	}
	c := q.Get("confirm")
	if len(c) > maxConfirmLen {
		return iq, fmt.Errorf("confirm: longer than %d characters (send the token of a preview)", maxConfirmLen)
	}
	for i := 0; i < len(c); i++ {
		if c[i] <= ' ' || c[i] > '~' {
			return iq, errors.New("confirm: not a preview's token")
		}
	}
	iq.Confirm = c
	return iq, nil
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// setGatewayRosters sets the Roster of each gateway of gs from what it
// last reported.
func (s *Server) setGatewayRosters(ctx context.Context, gs []domain.Gateway) error {
	m, err := s.cfg.Store.GatewayRosters(ctx)
	if err != nil {
		return err
	}
	for i := range gs {
		gs[i].Roster = m[gs[i].ID].Reported
	}
	return nil
}

// previewImport computes the preview of making elders the roster of site.
func (s *Server) previewImport(r *http.Request, site string, elders []eldergate.RosterElder) (domain.RosterPreview, error) {
	ctx := r.Context()
	v, cur, err := s.cfg.Store.Roster(ctx, site)
	if err != nil {
		return domain.RosterPreview{}, err
	}
	gws, err := s.cfg.Store.SiteGateways(ctx, site)
	if err != nil {
		return domain.RosterPreview{}, err
	}
	rosters := make([]domain.GatewayRoster, 0, len(gws))
	for _, gw := range gws {
		g, err := s.cfg.Store.GatewayRoster(ctx, gw)
		if err != nil {
			return domain.RosterPreview{}, err
		}
		rosters = append(rosters, g)
	}
	return domain.PreviewRoster(site, v, cur, elders, rosters)
}

// refusal says in words why an import that needs a confirmation was not
// made.
func refusal(p domain.RosterPreview, stale bool) string {
	var what []string
	if p.Counts.Removed > 0 {
		what = append(what, fmt.Sprintf("removes %d elders from the roster of site %s (the hall loses them)", p.Counts.Removed, p.Site))
	}
	for _, g := range p.Gateways {
		if g.ReplacesLocal {
			what = append(what, fmt.Sprintf("replaces the local roster of %d elders that gateway %s runs", g.Reported.Elders, g.GW))
		}
	}
	if stale {
		return fmt.Sprintf("the confirmation is of another preview: the roster changed since (now version %d) or the file differs; this import %s: nothing was imported, preview it again",
			p.Version, strings.Join(what, " and "))
	}
	return fmt.Sprintf("this import %s: nothing was imported; check the preview and send it again with confirm=%s", strings.Join(what, " and "), p.Token)
}

func (s *Server) importRoster(w http.ResponseWriter, r *http.Request) {
	site, ok := s.visibleSite(w, r)
	if !ok {
		return
	}
	q, err := parseImportQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// A roster of 100,000 elders is read, compared and stored within the
	// route's deadline, not the server's 30 s (a busy PostgreSQL).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(importTimeout))
	data, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("roster file larger than %d bytes", rosterimport.MaxFileBytes))
		return
	}
	f := rosterimport.Detect(r.Header.Get("Content-Type"), data)
	// The audit log keeps a summary, never the file's elders.
	auditChange(r, "roster", site, site, nil, map[string]any{"format": f, "bytes": len(data), "dry_run": q.DryRun})
	elders, rep, err := rosterimport.Parse(data, f)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !rep.OK() {
		writeJSON(w, http.StatusUnprocessableEntity, ImportResponse{DryRun: q.DryRun, Report: rep, Code: ImportProblems,
			Error: fmt.Sprintf("%d problems in the roster file: nothing was imported", rep.Count)})
		return
	}
	p, err := s.previewImport(r, site, elders)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if q.DryRun {
		writeJSON(w, http.StatusOK, ImportResponse{DryRun: true, Report: rep, Preview: &p})
		return
	}
	if p.ConfirmNeeded && q.Confirm != p.Token {
		code := ImportConfirmNeeded
		if q.Confirm != "" {
			code = ImportConfirmStale
		}
		s.log.Info("http: roster import refused: not confirmed", "site", site, "version", p.Version, "removed", p.Counts.Removed, "code", code)
		writeJSON(w, http.StatusConflict, ImportResponse{Report: rep, Preview: &p, Code: code, Error: refusal(p, code == ImportConfirmStale)})
		return
	}
	now := s.cfg.Now().UTC()
	ch, err := s.cfg.Store.ReplaceRosterFrom(r.Context(), site, p.Version, elders, now)
	if errors.Is(err, domain.ErrConflict) {
		writeJSON(w, http.StatusConflict, ImportResponse{Report: rep, Code: ImportRosterChanged,
			Error: "the roster of site " + site + " changed during the import: nothing was imported, preview it again"})
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: roster imported", "site", site, "format", f, "elders", ch.Elders, "version", ch.Version,
		"upserted", ch.Upserted, "removed", ch.Removed, "confirmed", p.ConfirmNeeded)
	auditChange(r, "roster", site, site, map[string]any{"version": ch.Previous},
		map[string]any{"version": ch.Version, "elders": ch.Elders, "upserted": ch.Upserted, "removed": ch.Removed, "format": f, "rows": rep.Rows,
			"confirmed_removal": p.ConfirmNeeded})
	ids, err := rosterpush.Site(r.Context(), s.cfg.Store, s.cfg.Commands, now, site, nil)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ImportResponse{Report: rep, Preview: &p, Change: &ch, Commands: ids})
}
