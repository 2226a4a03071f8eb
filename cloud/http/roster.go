package cloudhttp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/rosterimport"
	"github.com/eldergate/eldergate/policy"
)

// RosterCommandTTL is the expiry of roster and policy commands: a gateway
// offline for longer gets a full roster when it confirms nothing.
const RosterCommandTTL = 24 * time.Hour

// rosterRoutes registers the roster and policy management routes.
func (s *Server) rosterRoutes(mux *routeMux) {
	mux.HandleLimit("POST /api/v1/sites/{site}/roster/import", rosterimport.MaxFileBytes, s.require(domain.RoleOperator, s.importRoster))
	mux.Handle("GET /api/v1/sites/{site}/roster", s.require(domain.RoleOperator, s.getRoster))
	mux.Handle("POST /api/v1/sites/{site}/elders/{id}/credentials/state", s.require(domain.RoleOperator, s.setCredentialState))
	mux.Handle("POST /api/v1/policies", s.require(domain.RoleAdmin, s.createPolicy)) // a policy serves every site
	mux.Handle("GET /api/v1/policies", s.require(domain.RoleOperator, s.listPolicies))
	mux.Handle("PUT /api/v1/sites/{site}/policy", s.require(domain.RoleOperator, s.assignPolicy))
}

// ImportResponse is the answer of POST /api/v1/sites/{site}/roster/import.
type ImportResponse struct {
	Error    string               `json:"error,omitempty"` // set with 422
	DryRun   bool                 `json:"dry_run"`
	Report   rosterimport.Report  `json:"report"`
	Change   *domain.RosterChange `json:"change,omitempty"`
	Commands []string             `json:"commands,omitempty"` // roster commands queued
}

func (s *Server) visibleSite(w http.ResponseWriter, r *http.Request) (string, bool) {
	site := r.PathValue("site")
	if site == "" || !s.siteVisible(r, site) {
		writeError(w, http.StatusNotFound, "no site "+site)
		return "", false
	}
	return site, true
}

func (s *Server) importRoster(w http.ResponseWriter, r *http.Request) {
	site, ok := s.visibleSite(w, r)
	if !ok {
		return
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("roster file larger than %d bytes", rosterimport.MaxFileBytes))
		return
	}
	dry := r.URL.Query().Get("dry_run") == "true"
	f := rosterimport.Detect(r.Header.Get("Content-Type"), data)
	elders, rep, err := rosterimport.Parse(data, f)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !rep.OK() {
		writeJSON(w, http.StatusUnprocessableEntity, ImportResponse{DryRun: dry, Report: rep,
			Error: fmt.Sprintf("%d problems in the roster file: nothing was imported", rep.Count)})
		return
	}
	if dry {
		writeJSON(w, http.StatusOK, ImportResponse{DryRun: true, Report: rep})
		return
	}
	now := s.cfg.Now().UTC()
	ch, err := s.cfg.Store.ReplaceRoster(r.Context(), site, elders, now)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: roster imported", "site", site, "format", f, "elders", ch.Elders, "version", ch.Version,
		"upserted", ch.Upserted, "removed", ch.Removed)
	ids, err := s.pushSiteRoster(r.Context(), site, nil)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ImportResponse{Report: rep, Change: &ch, Commands: ids})
}

// pushSiteRoster queues (and sends) to every gateway of site what it needs
// to reach the current version. states, when set, is the credential state
// change that made the current version: a gateway at the version before
// gets a delta carrying only it.
func (s *Server) pushSiteRoster(ctx context.Context, site string, states *stateChange) ([]string, error) {
	gws, err := s.cfg.Store.SiteGateways(ctx, site)
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for _, gw := range gws {
		var c *domain.Command
		if states != nil {
			c, err = s.pushStateDelta(ctx, gw, *states)
		} else {
			c, err = PushRoster(ctx, s.cfg.Store, s.cfg.Commands, s.cfg.Now().UTC(), gw, site, false)
		}
		if err != nil {
			return ids, err
		}
		if c != nil {
			ids = append(ids, c.ID)
		}
	}
	return ids, nil
}

type stateChange struct {
	site   string
	change domain.RosterChange
	cred   eldergate.Credential
}

func (s *Server) pushStateDelta(ctx context.Context, gw string, st stateChange) (*domain.Command, error) {
	g, err := s.cfg.Store.GatewayRoster(ctx, gw)
	if err != nil {
		return nil, err
	}
	base := g.Queued
	if base == 0 {
		base = g.Confirmed
	}
	if base != st.change.Previous || base == 0 {
		return PushRoster(ctx, s.cfg.Store, s.cfg.Commands, s.cfg.Now().UTC(), gw, st.site, false)
	}
	u := eldergate.RosterUpdate{Mode: eldergate.RosterDelta, Base: base, Version: st.change.Version, States: []eldergate.Credential{st.cred}}
	return queueRoster(ctx, s.cfg.Store, s.cfg.Commands, s.cfg.Now().UTC(), gw, u)
}

// RosterPushStore is what PushRoster needs of the store.
type RosterPushStore interface {
	GatewayRoster(ctx context.Context, gw string) (domain.GatewayRoster, error)
	RosterDelta(ctx context.Context, site string, base uint64) (eldergate.RosterUpdate, error)
	Roster(ctx context.Context, site string) (version uint64, elders []eldergate.RosterElder, err error)
	QueueCommand(ctx context.Context, c domain.Command) error
	NoteRosterCommand(ctx context.Context, id, gw string, version uint64, at time.Time) error
}

// PushRoster queues for gw (of site) the roster command that brings it to
// the site's current version and sends it at once through sender (nil:
// at the gateway's next birth): a delta from the version last queued to
// it or, when that is unknown or full is set, the full roster. It returns
// nil when the gateway is already at the current version or the site has
// no roster.
func PushRoster(ctx context.Context, store RosterPushStore, sender CommandSender, now time.Time, gw, site string, full bool) (*domain.Command, error) {
	g, err := store.GatewayRoster(ctx, gw)
	if err != nil {
		return nil, err
	}
	base := g.Queued
	if base == 0 {
		base = g.Confirmed
	}
	var u eldergate.RosterUpdate
	if !full && base != 0 {
		u, err = store.RosterDelta(ctx, site, base)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			full = true // the gateway names a version the site never had
		case err != nil:
			return nil, err
		case u.Base == u.Version:
			return nil, nil
		}
	}
	if full || base == 0 {
		v, elders, err := store.Roster(ctx, site)
		if err != nil {
			return nil, err
		}
		if v == 0 {
			return nil, nil
		}
		u = eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: v, Elders: elders}
	}
	return queueRoster(ctx, store, sender, now, gw, u)
}

func queueRoster(ctx context.Context, store RosterPushStore, sender CommandSender, now time.Time, gw string, u eldergate.RosterUpdate) (*domain.Command, error) {
	body, err := json.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("cloudhttp: roster command: %w", err)
	}
	c, err := newCommand(gw, eldergate.CmdRoster, body, now)
	if err != nil {
		return nil, err
	}
	if err := store.QueueCommand(ctx, c); err != nil {
		return nil, err
	}
	if err := store.NoteRosterCommand(ctx, c.ID, gw, u.Version, now); err != nil {
		return nil, err
	}
	if sender != nil {
		sender.SendCommand(ctx, c)
	}
	return &c, nil
}

func newCommand(gw, typ string, body []byte, now time.Time) (domain.Command, error) {
	id, err := domain.RandomToken(12)
	if err != nil {
		return domain.Command{}, fmt.Errorf("cloudhttp: command id: %w", err)
	}
	return domain.Command{ID: "cmd-" + id, GW: gw, Type: typ, Body: body, CreatedAt: now, ExpiresAt: now.Add(RosterCommandTTL)}, nil
}

// RosterView is the answer of GET /api/v1/sites/{site}/roster: personal
// data masked.
type RosterView struct {
	Site    string            `json:"site"`
	Version uint64            `json:"version"`
	Count   int               `json:"count"`
	Elders  []ElderRosterView `json:"elders"`
}

// ElderRosterView is one elder with masked name and credentials.
type ElderRosterView struct {
	ID          string                 `json:"id"`
	Name        string                 `json:"name"` // masked
	Category    string                 `json:"category,omitempty"`
	Credentials []eldergate.Credential `json:"credentials"` // values masked
}

func (s *Server) getRoster(w http.ResponseWriter, r *http.Request) {
	site, ok := s.visibleSite(w, r)
	if !ok {
		return
	}
	v, elders, err := s.cfg.Store.Roster(r.Context(), site)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := RosterView{Site: site, Version: v, Count: len(elders), Elders: make([]ElderRosterView, 0, len(elders))}
	for _, e := range elders {
		ev := ElderRosterView{ID: e.ID, Name: eldergate.MaskName(e.Name), Category: e.Category, Credentials: []eldergate.Credential{}}
		for _, c := range e.Credentials {
			ev.Credentials = append(ev.Credentials, eldergate.Credential{Kind: c.Kind, Value: eldergate.MaskID(c.Value), State: c.State})
		}
		out.Elders = append(out.Elders, ev)
	}
	writeJSON(w, http.StatusOK, out)
}

// CredentialStateResponse is the answer of POST
// /api/v1/sites/{site}/elders/{id}/credentials/state.
type CredentialStateResponse struct {
	Change   domain.RosterChange `json:"change"`
	Commands []string            `json:"commands"`
}

func (s *Server) setCredentialState(w http.ResponseWriter, r *http.Request) {
	site, ok := s.visibleSite(w, r)
	if !ok {
		return
	}
	elder := r.PathValue("id")
	var req eldergate.Credential
	if !decodeBody(w, r, &req) {
		return
	}
	if req.State == "" {
		writeError(w, http.StatusBadRequest, "state: missing (active, lost or cancelled)")
		return
	}
	c, err := eldergate.ValidateCredential(req)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ch, err := s.cfg.Store.SetCredentialState(r.Context(), site, elder, c, s.cfg.Now().UTC())
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Sprintf("elder %s of site %s has no %s %s", elder, site, c.Kind, eldergate.MaskID(c.Value)))
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	s.log.Info("http: credential state", "site", site, "elder", elder, "kind", c.Kind, "value", eldergate.MaskID(c.Value),
		"state", c.State, "version", ch.Version, "changed", ch.Changed)
	ids, err := s.pushSiteRoster(r.Context(), site, &stateChange{site: site, change: ch, cred: c})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, CredentialStateResponse{Change: ch, Commands: ids})
}

func (s *Server) createPolicy(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "policy larger than the body limit")
		return
	}
	p, err := policy.Parse(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	sum := sha256.Sum256(body)
	sp := domain.StoredPolicy{Version: p.Version, Name: p.Name, Body: string(body), SHA256: hex.EncodeToString(sum[:]),
		CreatedAt: s.cfg.Now().UTC(), CreatedBy: "token " + CallerOf(r.Context()).TokenID}
	created, err := s.cfg.Store.CreatePolicy(r.Context(), sp)
	switch {
	case errors.Is(err, domain.ErrConflict):
		writeError(w, http.StatusConflict, fmt.Sprintf("policy version %s exists with another body: give the new policy a new version", p.Version))
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.log.Info("http: policy stored", "version", p.Version, "sha256", sp.SHA256)
	}
	sp.Body = ""
	writeJSON(w, status, sp)
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request) {
	ps, err := s.cfg.Store.ListPolicies(r.Context())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ps)
}

// AssignPolicyRequest is the body of PUT /api/v1/sites/{site}/policy.
type AssignPolicyRequest struct {
	Version string `json:"version"`
}

// AssignPolicyResponse is its answer.
type AssignPolicyResponse struct {
	Site     string   `json:"site"`
	Version  string   `json:"version"`
	Commands []string `json:"commands"` // policy commands queued
}

func (s *Server) assignPolicy(w http.ResponseWriter, r *http.Request) {
	site, ok := s.visibleSite(w, r)
	if !ok {
		return
	}
	var req AssignPolicyRequest
	if !decodeBody(w, r, &req) {
		return
	}
	if req.Version == "" {
		writeError(w, http.StatusBadRequest, "version: missing")
		return
	}
	p, err := s.cfg.Store.Policy(r.Context(), req.Version)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no policy version "+req.Version)
		return
	case err != nil:
		s.internal(w, r, err)
		return
	}
	now := s.cfg.Now().UTC()
	if err := s.cfg.Store.AssignPolicy(r.Context(), site, p.Version, now); err != nil {
		s.internal(w, r, err)
		return
	}
	gws, err := s.cfg.Store.SiteGateways(r.Context(), site)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	body, err := json.Marshal(p.Body) // a JSON string holding the YAML (or JSON) text
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := AssignPolicyResponse{Site: site, Version: p.Version, Commands: []string{}}
	for _, gw := range gws {
		c, err := newCommand(gw, eldergate.CmdPolicy, body, now)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if err := s.cfg.Store.QueueCommand(r.Context(), c); err != nil {
			s.internal(w, r, err)
			return
		}
		if s.cfg.Commands != nil {
			s.cfg.Commands.SendCommand(r.Context(), c)
		}
		out.Commands = append(out.Commands, c.ID)
	}
	s.log.Info("http: policy assigned", "site", site, "version", p.Version, "gateways", len(gws))
	writeJSON(w, http.StatusAccepted, out)
}
