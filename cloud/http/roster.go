package cloudhttp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/rosterimport"
	"github.com/eldergate/eldergate/cloud/rosterpush"
	"github.com/eldergate/eldergate/cloud/sitepush"
	"github.com/eldergate/eldergate/policy"
)

// rosterRoutes registers the roster and policy management routes.
func (s *Server) rosterRoutes(mux *routeMux) {
	mux.HandleLimit("POST /api/v1/sites/{site}/roster/import", rosterimport.MaxFileBytes, s.require(domain.RoleOperator, s.importRoster))
	mux.Handle("GET /api/v1/sites/{site}/roster", s.require(domain.RoleOperator, s.getRoster))
	mux.Handle("POST /api/v1/sites/{site}/elders/{id}/credentials/state", s.require(domain.RoleOperator, s.setCredentialState))
	mux.Handle("POST /api/v1/policies", s.require(domain.RoleAdmin, s.createPolicy)) // a policy serves every site
	mux.Handle("GET /api/v1/policies", s.require(domain.RoleOperator, s.listPolicies))
	mux.Handle("PUT /api/v1/sites/{site}/policy", s.require(domain.RoleOperator, s.assignPolicy))
}

func (s *Server) visibleSite(w http.ResponseWriter, r *http.Request) (string, bool) {
	site := r.PathValue("site")
	if site == "" || !s.siteVisible(r, site) {
		writeError(w, http.StatusNotFound, "no site "+site)
		return "", false
	}
	return site, true
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
	// The audit log keeps the credential masked, as the roster's history does.
	credAudit := map[string]any{"elder": elder, "kind": req.Kind, "credential": eldergate.MaskID(req.Value), "state": req.State}
	auditChange(r, "credential", elder, site, nil, credAudit)
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
	credAudit["version"], credAudit["changed"] = ch.Version, ch.Changed
	auditChange(r, "credential", elder, site, map[string]any{"version": ch.Previous}, credAudit)
	ids, err := rosterpush.Site(r.Context(), s.cfg.Store, s.cfg.Commands, s.cfg.Now().UTC(), site, &rosterpush.StateChange{Change: ch, Cred: c})
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
	c, p := CheckPolicyText(body) // policies.go: the error with its line and field
	if p == nil {
		writeJSON(w, http.StatusBadRequest, c)
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
		auditChange(r, "policy", p.Version, "", nil, sp)
	}
	sp.Body = ""
	writeJSON(w, status, sp)
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
	// Unknown: devices the policy needs that gateways of the site never
	// reported having (policies.go, ADR 0026); check them.
	Unknown []domain.PriceDeviceCheck `json:"unknown,omitempty"`
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
	parsed, err := policy.Parse([]byte(p.Body))
	if err != nil {
		s.internal(w, r, fmt.Errorf("stored policy %s does not parse: %w", p.Version, err))
		return
	}
	unknown, refused := s.refusePolicy(w, r, site, parsed) // policies.go
	if refused {
		return
	}
	now := s.cfg.Now().UTC()
	old, err := s.cfg.Store.SitePolicy(r.Context(), site)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		s.internal(w, r, err)
		return
	}
	if err := s.cfg.Store.AssignPolicy(r.Context(), site, p.Version, now); err != nil {
		s.internal(w, r, err)
		return
	}
	body, err := json.Marshal(p.Body) // a JSON string holding the YAML (or JSON) text
	if err != nil {
		s.internal(w, r, err)
		return
	}
	ids, err := sitepush.Site(r.Context(), s.cfg.Store, s.cfg.Commands, now, site, eldergate.CmdPolicy, body, nil)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	out := AssignPolicyResponse{Site: site, Version: p.Version, Commands: ids, Unknown: unknown}
	s.log.Info("http: policy assigned", "site", site, "version", p.Version, "gateways", len(ids))
	auditChange(r, "site_policy", site, site, map[string]any{"version": old}, map[string]any{"version": p.Version, "sha256": p.SHA256})
	writeJSON(w, http.StatusAccepted, out)
}
