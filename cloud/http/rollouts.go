package cloudhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/release"
	"github.com/eldergate/eldergate/cloud/rollout"
)

// Rollouts: a release sent to a gateway, a site, a street, a district or
// the fleet in waves (docs/adr/0031-rollouts-in-waves.md). The scheduler
// (cloud/rollout) owns the rules; these routes start, follow and steer it.

// Rollouts is what the API asks of the rollout scheduler.
type Rollouts interface {
	Plan(ctx context.Context, req domain.RolloutRequest) (rollout.Plan, error)
	Create(ctx context.Context, req domain.RolloutRequest, by string) (domain.Rollout, error)
	Halt(ctx context.Context, id, by string) (domain.Rollout, error)
	Resume(ctx context.Context, id, by string) (domain.Rollout, error)
	Cancel(ctx context.Context, id, by string) (domain.Rollout, error)
}

func (s *Server) rolloutRoutes(mux *routeMux) {
	mux.Handle("GET /api/v1/rollouts", s.require(domain.RoleViewer, s.listRollouts))
	mux.Handle("POST /api/v1/rollouts", s.require(domain.RoleOperator, s.createRollout))
	mux.Handle("POST /api/v1/rollouts/preview", s.require(domain.RoleOperator, s.previewRollout))
	mux.Handle("GET /api/v1/rollouts/{id}", s.require(domain.RoleViewer, s.getRollout))
	mux.Handle("POST /api/v1/rollouts/{id}/halt", s.require(domain.RoleOperator, s.steerRollout))
	mux.Handle("POST /api/v1/rollouts/{id}/resume", s.require(domain.RoleOperator, s.steerRollout))
	mux.Handle("POST /api/v1/rollouts/{id}/cancel", s.require(domain.RoleOperator, s.steerRollout))
}

// RolloutWave is one wave of GET /api/v1/rollouts/{id}.
type RolloutWave struct {
	Wave     int                  `json:"wave"`
	Gateways []RolloutGatewayView `json:"gateways"`
	Counts   map[string]int       `json:"counts"` // gateways by state
	Failed   int                  `json:"failed"` // rolled back, failed or timed out
}

// RolloutGatewayView is a gateway of a rollout with its site's time zone
// (the console shows a waiting time in it, naming it).
type RolloutGatewayView struct {
	domain.RolloutGateway
	TimeZone string `json:"time_zone"`
	// Code is a stable word for Reason, which the console shows in the
	// reader's language: the update's code (eldergate.UpdateData.Code, or
	// the cloud's refusal), "timeout" for a wave that ran out, and
	// no_platform / platform_mismatch for a skipped gateway.
	Code string `json:"code,omitempty"`
}

// RolloutDetail is the answer of GET /api/v1/rollouts/{id}.
type RolloutDetail struct {
	domain.Rollout
	Waves   []RolloutWave        `json:"wave_list"`
	Skipped []RolloutGatewayView `json:"skipped"`
}

func (s *Server) rollouts(w http.ResponseWriter) bool {
	if s.cfg.Rollouts == nil {
		writeError(w, http.StatusServiceUnavailable, "rollouts are not run by this process")
		return false
	}
	return true
}

func (s *Server) listRollouts(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.listScope(w, r)
	if !ok {
		return
	}
	v, err := s.cfg.Store.ListRollouts(r.Context(), scope)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// rolloutRequest reads the body of a rollout request and checks that the
// caller may target it: an operator bound to a unit only inside it.
func (s *Server) rolloutRequest(w http.ResponseWriter, r *http.Request) (domain.RolloutRequest, bool) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body too large")
		return domain.RolloutRequest{}, false
	}
	req, err := domain.ParseRolloutRequest(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return req, false
	}
	if !s.targetVisible(r, req.Target.Kind, req.Target.ID) {
		writeError(w, http.StatusForbidden, "target: "+domain.RolloutTargetName(req.Target.Kind, req.Target.ID)+" is outside your scope")
		return req, false
	}
	return req, true
}

// targetVisible reports whether the caller of r may act on a target: an
// unscoped caller on any; a scoped one on a unit or a gateway inside its
// unit, never on the fleet. An unknown target is visible (the plan
// refuses it in words).
func (s *Server) targetVisible(r *http.Request, kind, id string) bool {
	c := CallerOf(r.Context())
	switch {
	case c.Scope == "":
		return true
	case kind == domain.TargetKindFleet:
		return false
	case kind == domain.TargetKindGateway:
		cred, err := s.cfg.Store.GatewayCredential(r.Context(), id)
		if errors.Is(err, domain.ErrNotFound) {
			return false
		}
		return err == nil && s.siteVisible(r, cred.Site)
	}
	in, err := s.unitWithin(r.Context(), c.Scope, id)
	return err == nil && in
}

func (s *Server) planError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, domain.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, trimSentinel(err, domain.ErrInvalid))
	case errors.Is(err, domain.ErrConflict):
		writeError(w, http.StatusConflict, trimSentinel(err, domain.ErrConflict))
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such rollout")
	default:
		s.internal(w, r, err)
	}
}

// trimSentinel drops ": <sentinel>" from the end of err's text.
func trimSentinel(err, sentinel error) string {
	msg, suffix := err.Error(), ": "+sentinel.Error()
	if len(msg) > len(suffix) && msg[len(msg)-len(suffix):] == suffix {
		return msg[:len(msg)-len(suffix)]
	}
	return msg
}

func (s *Server) previewRollout(w http.ResponseWriter, r *http.Request) {
	if !s.rollouts(w) {
		return
	}
	req, ok := s.rolloutRequest(w, r)
	if !ok {
		return
	}
	p, err := s.cfg.Rollouts.Plan(r.Context(), req)
	if err != nil {
		s.planError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) createRollout(w http.ResponseWriter, r *http.Request) {
	if !s.rollouts(w) {
		return
	}
	req, ok := s.rolloutRequest(w, r)
	if !ok {
		return
	}
	ro, err := s.cfg.Rollouts.Create(r.Context(), req, actor(CallerOf(r.Context())))
	if err != nil {
		s.planError(w, r, err)
		return
	}
	auditChange(r, "rollout", ro.ID, req.Target.ID, nil, ro)
	writeJSON(w, http.StatusCreated, ro)
}

// rolloutVisible loads rollout id when the caller may see it (404 else).
func (s *Server) rolloutVisible(w http.ResponseWriter, r *http.Request, id string) (domain.Rollout, []domain.RolloutGateway, bool) {
	ro, gws, err := s.cfg.Store.Rollout(r.Context(), id)
	if errors.Is(err, domain.ErrNotFound) || err == nil && !s.targetVisible(r, ro.TargetKind, ro.TargetID) {
		writeError(w, http.StatusNotFound, "no rollout "+id)
		return ro, nil, false
	}
	if err != nil {
		s.internal(w, r, err)
		return ro, nil, false
	}
	return ro, gws, true
}

func (s *Server) getRollout(w http.ResponseWriter, r *http.Request) {
	ro, gws, ok := s.rolloutVisible(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	d := RolloutDetail{Rollout: ro, Waves: []RolloutWave{}, Skipped: []RolloutGatewayView{}}
	for i := range ro.Waves {
		d.Waves = append(d.Waves, RolloutWave{Wave: i + 1, Gateways: []RolloutGatewayView{}, Counts: map[string]int{}})
	}
	zones := map[string]string{}
	for _, g := range gws {
		z, ok := zones[g.Site]
		if !ok {
			var err error
			if z, err = s.siteZone(r.Context(), g.GW, g.Site); err != nil {
				s.internal(w, r, err)
				return
			}
			zones[g.Site] = z
		}
		v := RolloutGatewayView{RolloutGateway: g, TimeZone: z}
		switch {
		case g.CommandID != "":
			u, err := s.cfg.Store.GatewayUpdate(r.Context(), g.CommandID)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				s.internal(w, r, err)
				return
			}
			v.Code = u.Code
		case g.State == domain.RolloutGWTimedOut:
			v.Code = "timeout"
		case g.State == domain.RolloutGWSkipped && g.Platform == "":
			v.Code = release.CodeNoPlatform
		case g.State == domain.RolloutGWSkipped:
			v.Code = release.CodePlatformMismatch
		}
		if g.Wave < 1 || g.Wave > len(d.Waves) {
			d.Skipped = append(d.Skipped, v)
			continue
		}
		wv := &d.Waves[g.Wave-1]
		wv.Gateways = append(wv.Gateways, v)
		wv.Counts[g.State]++
		if g.Failed() {
			wv.Failed++
		}
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) steerRollout(w http.ResponseWriter, r *http.Request) {
	if !s.rollouts(w) {
		return
	}
	id := r.PathValue("id")
	before, _, ok := s.rolloutVisible(w, r, id)
	if !ok {
		return
	}
	by := actor(CallerOf(r.Context()))
	var ro domain.Rollout
	var err error
	switch {
	case strings.HasSuffix(r.URL.Path, "/halt"):
		ro, err = s.cfg.Rollouts.Halt(r.Context(), id, by)
	case strings.HasSuffix(r.URL.Path, "/cancel"):
		ro, err = s.cfg.Rollouts.Cancel(r.Context(), id, by)
	default:
		ro, err = s.cfg.Rollouts.Resume(r.Context(), id, by)
	}
	if err != nil {
		s.planError(w, r, err)
		return
	}
	auditChange(r, "rollout", id, before.TargetID, before, ro)
	writeJSON(w, http.StatusOK, ro)
}
