// Package rollout is the one owner of rollouts: it plans a release over
// a target's gateways in waves (a canary first), sends each wave's
// gateways their update through the releases' single-gateway update
// (Updater), holds a gateway while its site serves a meal or has an open
// alarm or while it is offline, judges each wave by its failure rate and
// halts the rollout when it passes the threshold
// (docs/adr/0031-rollouts-in-waves.md).
//
// The rules are in cloud/domain (rollout.go); every step is kept in the
// store, so a restarted cloud goes on where it stopped. One process runs
// the scheduler (`eldergate-cloud serve`).
package rollout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/policy"
)

// Store is what the scheduler uses of the cloud's store.
type Store interface {
	domain.RolloutStore
	Gateway(ctx context.Context, id string) (domain.Gateway, error)
	SitePolicy(ctx context.Context, site string) (string, error)
	Policy(ctx context.Context, version string) (domain.StoredPolicy, error)
}

// Updater is the releases' update of one gateway: StartUpdate sends
// release to gw (the ota command, marked with the rollout) and returns
// the command's id (ErrUpToDate for a gateway on the release's version);
// UpdateState returns the latest state its update events reported (""
// before the first) with its code and reason (a deferred, rolled_back or
// failed one); ReleasePlatform returns the platform a release is built
// for (ErrNotFound for an unknown release).
type Updater interface {
	StartUpdate(ctx context.Context, gw, release, rollout string, healthTimeout time.Duration) (commandID string, err error)
	UpdateState(ctx context.Context, commandID string) (state, code, reason string, err error)
	ReleasePlatform(ctx context.Context, release string) (string, error)
}

// Config configures a Scheduler.
type Config struct {
	Store   Store
	Updater Updater
	// Every is how often the running rollouts are looked at without a
	// Wake; default 5 s.
	Every  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Scheduler runs the rollouts. Start it with Start; Close stops it.
type Scheduler struct {
	c      Config
	log    *slog.Logger
	wake   chan struct{}
	mu     sync.Mutex // one RunOnce at a time (the loop, a Wake, a test)
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns a scheduler of c, not started.
func New(c Config) (*Scheduler, error) {
	if c.Store == nil || c.Updater == nil {
		return nil, errors.New("rollout: no store or no updater")
	}
	if c.Every <= 0 {
		c.Every = 5 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scheduler{c: c, log: c.Logger.With("component", "rollout"), wake: make(chan struct{}, 1)}, nil
}

// Start runs the scheduler until Close.
func (s *Scheduler) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.c.Every)
		defer t.Stop()
		for {
			s.RunOnce(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-s.wake:
			}
		}
	}()
}

// Wake makes the scheduler look at the rollouts at once. It never blocks.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Close stops the scheduler and waits for it.
func (s *Scheduler) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
}

// RunOnce advances every running rollout by one step.
func (s *Scheduler) RunOnce(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids, err := s.c.Store.RunningRollouts(ctx)
	if err != nil {
		s.log.Error("rollout: running rollouts", "err", err)
		return
	}
	for _, id := range ids {
		if err := s.step(ctx, id); err != nil && ctx.Err() == nil {
			s.log.Error("rollout: step", "rollout", id, "err", err)
		}
	}
}

// step sends the current wave's eligible gateways their update, follows
// the ones sent, and judges the wave once all ended or its time ran out.
func (s *Scheduler) step(ctx context.Context, id string) error {
	sites := map[string]gate{} // one look per site and step
	for range domain.MaxWaves + 1 {
		r, gws, err := s.c.Store.Rollout(ctx, id)
		if err != nil {
			return err
		}
		if r.State != domain.RolloutRunning {
			return nil
		}
		now := s.c.Now().UTC()
		var wave []domain.RolloutGateway
		for _, g := range gws {
			if g.Wave == r.Wave {
				wave = append(wave, g)
			}
		}
		ended := true
		for i := range wave {
			if err := s.advance(ctx, r, &wave[i], now, sites); err != nil {
				return err
			}
			ended = ended && wave[i].Ended()
		}
		if !ended && !now.Before(r.WaveStartedAt.Add(r.WaveTimeout())) {
			for i := range wave {
				g := &wave[i]
				if g.Ended() {
					continue
				}
				g.Reason = fmt.Sprintf("the wave's %s ran out while it was %s", r.WaveTimeout(), describe(*g))
				g.State, g.Wait, g.WaitUntil, g.UpdatedAt = domain.RolloutGWTimedOut, "", nil, now
				if err := s.c.Store.PutRolloutGateway(ctx, *g); err != nil {
					return err
				}
			}
			ended = true
		}
		if !ended {
			return nil
		}
		failed := 0
		for _, g := range wave {
			if g.Failed() {
				failed++
			}
		}
		halt, verdict := domain.WaveVerdict(r.Wave, failed, len(wave), r.FailureThresholdPct)
		next := r
		switch {
		case halt:
			next.State, next.Reason = domain.RolloutHalted, verdict
		case r.Wave >= len(r.Waves):
			next.State, next.Reason = domain.RolloutCompleted, verdict
		default:
			next.Wave, next.WaveStartedAt = r.Wave+1, now
		}
		ok, err := s.c.Store.SetRolloutState(ctx, id, []string{domain.RolloutRunning}, next, now)
		if err != nil || !ok {
			return err
		}
		s.log.Info("rollout: wave ended", "rollout", id, "wave", r.Wave, "verdict", verdict, "state", next.State)
		if next.State != domain.RolloutRunning {
			return nil
		}
	}
	return nil
}

// describe says what a gateway was doing, for a timeout's reason.
func describe(g domain.RolloutGateway) string {
	if g.State == domain.RolloutGWWaiting && g.Wait != "" {
		return "waiting (" + g.Wait + ")"
	}
	return g.State
}

// gate is why the gateways of one site wait now ("" for none).
type gate struct {
	wait  string
	until *time.Time
}

// advance moves one gateway of the current wave: a sent one takes the
// state its update reported; a waiting one is sent unless its site or
// itself holds it.
func (s *Scheduler) advance(ctx context.Context, r domain.Rollout, g *domain.RolloutGateway, now time.Time, sites map[string]gate) error {
	if g.Ended() {
		return nil
	}
	if g.CommandID != "" {
		st, code, reason, err := s.c.Updater.UpdateState(ctx, g.CommandID)
		if err != nil {
			return fmt.Errorf("rollout %s: update of %s: %w", r.ID, g.GW, err)
		}
		if st == "" || (st == g.State && reason == g.Reason) {
			return nil
		}
		g.State, g.Reason, g.Wait, g.WaitUntil, g.UpdatedAt = st, reason, "", nil, now
		if st == eldergate.UpdateDeferred { // the gateway holds it itself
			g.Wait = code
		}
		return s.c.Store.PutRolloutGateway(ctx, *g)
	}
	gt, ok := sites[g.Site]
	if !ok {
		var err error
		if gt, err = s.siteGate(ctx, g.Site, now); err != nil {
			return err
		}
		sites[g.Site] = gt
	}
	if gt.wait == "" {
		gw, err := s.c.Store.Gateway(ctx, g.GW)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		if !gw.Online {
			gt = gate{wait: domain.WaitOffline}
		}
	}
	if gt.wait != "" {
		if g.Wait == gt.wait && sameTime(g.WaitUntil, gt.until) {
			return nil
		}
		g.Wait, g.WaitUntil, g.UpdatedAt = gt.wait, gt.until, now
		return s.c.Store.PutRolloutGateway(ctx, *g)
	}
	cmd, err := s.c.Updater.StartUpdate(ctx, g.GW, r.Release, r.ID, 0)
	g.Wait, g.WaitUntil, g.UpdatedAt = "", nil, now
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, ErrUpToDate):
		g.State, g.Reason = eldergate.UpdateCommitted, err.Error()
	case err != nil:
		// Refused before anything was sent: a failure of the wave, in words.
		g.State, g.Reason = eldergate.UpdateFailed, "not sent: "+err.Error()
	default:
		g.State, g.CommandID, g.Reason = domain.RolloutGWSent, cmd, ""
	}
	s.log.Info("rollout: update sent", "rollout", r.ID, "gw", g.GW, "command", cmd, "err", err)
	return s.c.Store.PutRolloutGateway(ctx, *g)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// siteGate says whether site holds its gateways now: a meal window of
// the site's policy (until the window ends), then an open alarm.
func (s *Scheduler) siteGate(ctx context.Context, site string, now time.Time) (gate, error) {
	if end, ok, err := s.mealWindowEnd(ctx, site, now); err != nil {
		return gate{}, err
	} else if ok {
		return gate{wait: domain.WaitMealWindow, until: &end}, nil
	}
	open, err := s.c.Store.SiteAlarmOpen(ctx, site)
	if err != nil {
		return gate{}, err
	}
	if open {
		return gate{wait: domain.WaitAlarmOpen}, nil
	}
	return gate{}, nil
}

// mealWindowEnd returns when the meal window of site's policy that
// contains now ends (policy.Policy.WindowAt), and false when now is in
// none or the site has no valid policy.
func (s *Scheduler) mealWindowEnd(ctx context.Context, site string, now time.Time) (time.Time, bool, error) {
	v, err := s.c.Store.SitePolicy(ctx, site)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return time.Time{}, false, err
	}
	if v == "" {
		return time.Time{}, false, nil
	}
	sp, err := s.c.Store.Policy(ctx, v)
	if errors.Is(err, domain.ErrNotFound) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	p, err := policy.Parse([]byte(sp.Body))
	if err != nil {
		return time.Time{}, false, nil
	}
	_, end, ok := p.WindowAt(now)
	return end, ok, nil
}
