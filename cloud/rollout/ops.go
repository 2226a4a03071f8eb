package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/eldergate/eldergate/cloud/domain"
)

// Plan is what a rollout request would do: the gateways of its target
// in their waves, and those skipped.
type Plan struct {
	Platform  string                  `json:"platform"`
	WaveSizes []int                   `json:"wave_sizes"`
	Gateways  []domain.RolloutGateway `json:"gateways"`
	Skipped   int                     `json:"skipped"`
}

// Plan plans req without storing anything. Refusals wrap ErrInvalid and
// say why in words: an unknown release or target, a target without
// gateways, or none of them on the release's platform.
func (s *Scheduler) Plan(ctx context.Context, req domain.RolloutRequest) (Plan, error) {
	var p Plan
	platform, err := s.c.Updater.ReleasePlatform(ctx, req.Release)
	if errors.Is(err, domain.ErrNotFound) {
		return p, fmt.Errorf("release %s does not exist: %w", req.Release, domain.ErrInvalid)
	}
	if err != nil {
		return p, err
	}
	name := domain.RolloutTargetName(req.Target.Kind, req.Target.ID)
	gws, err := s.c.Store.TargetGateways(ctx, req.Target.Kind, req.Target.ID)
	if errors.Is(err, domain.ErrNotFound) {
		return p, fmt.Errorf("%s does not exist: %w", name, domain.ErrInvalid)
	}
	if err != nil {
		return p, err
	}
	if len(gws) == 0 {
		return p, fmt.Errorf("%s has no gateways: %w", name, domain.ErrInvalid)
	}
	rows, n := domain.AssignWaves("", platform, gws, req.Waves, s.c.Now().UTC())
	if n == 0 {
		have := map[string]bool{}
		var list []string
		for _, g := range gws {
			pl := g.Platform
			if pl == "" {
				pl = "unreported"
			}
			if !have[pl] {
				have[pl] = true
				list = append(list, pl)
			}
		}
		return p, fmt.Errorf("release %s is for %s, which none of the %d gateways of %s runs (they run %s): %w",
			req.Release, platform, len(gws), name, strings.Join(list, ", "), domain.ErrInvalid)
	}
	return Plan{Platform: platform, WaveSizes: domain.PlanWaves(n, req.Waves), Gateways: rows, Skipped: len(gws) - n}, nil
}

// Create plans req and stores it as a running rollout by by; the first
// wave starts at once (Wake). ErrConflict when a gateway belongs to
// another rollout running or halted.
func (s *Scheduler) Create(ctx context.Context, req domain.RolloutRequest, by string) (domain.Rollout, error) {
	p, err := s.Plan(ctx, req)
	if err != nil {
		return domain.Rollout{}, err
	}
	tok, err := domain.RandomToken(8)
	if err != nil {
		return domain.Rollout{}, fmt.Errorf("rollout: id: %w", err)
	}
	now := s.c.Now().UTC()
	r := domain.Rollout{ID: "ro-" + tok, Release: req.Release, Platform: p.Platform, TargetKind: req.Target.Kind, TargetID: req.Target.ID,
		Waves: req.Waves, FailureThresholdPct: *req.FailureThresholdPct, WaveTimeoutS: req.WaveTimeoutS,
		State: domain.RolloutRunning, Wave: 1, WaveStartedAt: now, CreatedBy: by, CreatedAt: now, UpdatedAt: now}
	if r.WaveTimeoutS == 0 {
		r.WaveTimeoutS = int(domain.DefaultWaveTimeout.Seconds())
	}
	for i := range p.Gateways {
		p.Gateways[i].Rollout = r.ID
	}
	if err := s.c.Store.CreateRollout(ctx, r, p.Gateways); err != nil {
		return r, err
	}
	s.Wake()
	return r, nil
}

// Halt stops rollout id (running) by by: nothing more is sent until Resume.
func (s *Scheduler) Halt(ctx context.Context, id, by string) (domain.Rollout, error) {
	return s.move(ctx, id, []string{domain.RolloutRunning}, func(r *domain.Rollout, _ []domain.RolloutGateway) {
		r.State, r.Reason = domain.RolloutHalted, "halted by "+by
	})
}

// Resume runs a halted rollout again. When its wave had ended (it halted
// on the wave's failures), the operator accepts them: the next wave
// starts (or the rollout completes after the last one). The current
// wave's time starts again.
func (s *Scheduler) Resume(ctx context.Context, id, by string) (domain.Rollout, error) {
	r, err := s.move(ctx, id, []string{domain.RolloutHalted}, func(r *domain.Rollout, gws []domain.RolloutGateway) {
		ended := true
		for _, g := range gws {
			if g.Wave == r.Wave && !g.Ended() {
				ended = false
			}
		}
		r.State, r.Reason, r.WaveStartedAt = domain.RolloutRunning, "", s.c.Now().UTC()
		if ended {
			if r.Wave >= len(r.Waves) {
				r.State, r.Reason = domain.RolloutCompleted, "completed when resumed by "+by+" after its last wave"
			} else {
				r.Wave++
			}
		}
	})
	if err == nil {
		s.Wake()
	}
	return r, err
}

// Cancel ends a running or halted rollout by by: its gateways not sent
// yet are held (never sent); updates already sent go on at the gateways.
func (s *Scheduler) Cancel(ctx context.Context, id, by string) (domain.Rollout, error) {
	r, err := s.move(ctx, id, []string{domain.RolloutRunning, domain.RolloutHalted}, func(r *domain.Rollout, _ []domain.RolloutGateway) {
		r.State, r.Reason = domain.RolloutCancelled, "cancelled by "+by
	})
	if err != nil {
		return r, err
	}
	s.mu.Lock() // not while a step sends this rollout's wave
	defer s.mu.Unlock()
	_, gws, err := s.c.Store.Rollout(ctx, id)
	if err != nil {
		return r, err
	}
	now := s.c.Now().UTC()
	for _, g := range gws {
		if g.State == domain.RolloutGWWaiting && g.CommandID == "" {
			g.State, g.Wait, g.WaitUntil, g.UpdatedAt = domain.RolloutGWHeld, "", nil, now
			if err := s.c.Store.PutRolloutGateway(ctx, g); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

// move changes rollout id from one of states from with change; ErrConflict
// in words when it is in another state.
func (s *Scheduler) move(ctx context.Context, id string, from []string, change func(*domain.Rollout, []domain.RolloutGateway)) (domain.Rollout, error) {
	r, gws, err := s.c.Store.Rollout(ctx, id)
	if err != nil {
		return r, err
	}
	cur := r.State
	change(&r, gws)
	ok, err := s.c.Store.SetRolloutState(ctx, id, from, r, s.c.Now().UTC())
	if err != nil {
		return r, err
	}
	if !ok {
		return r, fmt.Errorf("rollout %s is %s, not %s: %w", id, cur, strings.Join(from, " or "), domain.ErrConflict)
	}
	return r, nil
}
