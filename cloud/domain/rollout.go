package domain

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
)

// Rollouts: one release sent to a target (a gateway, a site, a street, a
// district or the fleet) in waves, a canary first; a wave whose failures
// pass the threshold halts the rollout (docs/adr/0031-rollouts-in-waves.md).
// The scheduler (cloud/rollout) carries the rules out; the store keeps
// every step so that a restarted cloud goes on where it stopped.

// RolloutStore keeps rollouts and their gateways.
type RolloutStore interface {
	// CreateRollout stores r (state running, wave 1 started at
	// r.CreatedAt) with its gateways in one transaction. ErrConflict when
	// the id exists or a gateway of gws (not skipped) belongs to another
	// rollout that is running or halted; the error names them.
	CreateRollout(ctx context.Context, r Rollout, gws []RolloutGateway) error
	// Rollout returns rollout id with its gateways (ordered by wave, then
	// gateway), or ErrNotFound.
	Rollout(ctx context.Context, id string) (Rollout, []RolloutGateway, error)
	// ListRollouts returns the latest ListLimit rollouts whose target lies
	// in scope (a fleet rollout only for scope ""), newest first.
	ListRollouts(ctx context.Context, scope string) ([]Rollout, error)
	// RunningRollouts returns the ids of the running rollouts, oldest first.
	RunningRollouts(ctx context.Context) ([]string, error)
	// PutRolloutGateway stores the state, waiting reason and command of
	// one gateway of a rollout (g.Rollout, g.GW).
	PutRolloutGateway(ctx context.Context, g RolloutGateway) error
	// SetRolloutState moves rollout id from one of states from to
	// r's State, Reason, Wave and WaveStartedAt, at at; false when its
	// state was not one of from (another process or person moved it).
	SetRolloutState(ctx context.Context, id string, from []string, r Rollout, at time.Time) (bool, error)
	// TargetGateways returns the gateways of a target (not revoked),
	// ordered by id, with their site, platform and whether they are online.
	// ErrNotFound when the target does not exist.
	TargetGateways(ctx context.Context, kind, id string) ([]TargetGateway, error)
	// SiteAlarmOpen reports whether site has an emergency alert that is
	// not closed (open or acknowledged).
	SiteAlarmOpen(ctx context.Context, site string) (bool, error)
}

// The kinds of rollout target.
const (
	TargetKindGateway  = "gateway"
	TargetKindSite     = LevelSite
	TargetKindStreet   = LevelStreet
	TargetKindDistrict = LevelDistrict
	TargetKindFleet    = "fleet"
)

// The states of a rollout.
const (
	RolloutRunning   = "running"
	RolloutHalted    = "halted" // a wave failed too much, or an operator halted it; resume goes on
	RolloutCompleted = "completed"
	RolloutCancelled = "cancelled"
)

// The states of a gateway in a rollout, beside the eldergate.Update*
// states its update reports once sent.
const (
	RolloutGWWaiting  = "waiting"   // not sent yet (its wave has not started, or Wait says why)
	RolloutGWSent     = "sent"      // the ota command is out; no update event yet
	RolloutGWSkipped  = "skipped"   // runs another platform than the release's
	RolloutGWTimedOut = "timed_out" // its wave's time ran out before it ended (a failure)
	RolloutGWHeld     = "held"      // its wave never started: the rollout halted or was cancelled before
)

// Why a gateway of a started wave waits.
const (
	WaitMealWindow = "meal_window" // its site serves a meal until WaitUntil
	WaitAlarmOpen  = "alarm_open"  // its site has an open alarm
	WaitOffline    = "offline"     // it is not connected
)

// Defaults of a rollout.
const (
	DefaultFailureThresholdPct = 20
	DefaultWaveTimeout         = 6 * time.Hour
)

// DefaultWaves is a canary gateway, then a quarter, then the rest.
var DefaultWaves = []WaveSpec{{Count: 1}, {Percent: 25}, {}}

// WaveSpec sizes one wave: Count gateways, or Percent of the target's
// gateways (rounded up, at least one), or neither: every gateway left.
type WaveSpec struct {
	Count   int `json:"count,omitempty"`
	Percent int `json:"percent,omitempty"`
}

// Rollout is one release sent to a target in waves.
type Rollout struct {
	ID                  string     `json:"id"`
	Release             string     `json:"release"`
	Platform            string     `json:"platform"` // the release's
	TargetKind          string     `json:"target_kind"`
	TargetID            string     `json:"target_id"` // "" for the fleet
	Waves               []WaveSpec `json:"waves"`
	FailureThresholdPct int        `json:"failure_threshold_pct"`
	WaveTimeoutS        int        `json:"wave_timeout_s"`
	State               string     `json:"state"`
	Reason              string     `json:"reason,omitempty"` // why halted or cancelled, in words
	Wave                int        `json:"wave"`             // the current wave, from 1
	WaveStartedAt       time.Time  `json:"wave_started_at"`
	CreatedBy           string     `json:"created_by"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// WaveTimeout is how long a wave may run before its unfinished gateways
// count as failed.
func (r Rollout) WaveTimeout() time.Duration {
	if r.WaveTimeoutS <= 0 {
		return DefaultWaveTimeout
	}
	return time.Duration(r.WaveTimeoutS) * time.Second
}

// RolloutGateway is one gateway of a rollout.
type RolloutGateway struct {
	Rollout   string     `json:"rollout"`
	GW        string     `json:"gw"`
	Site      string     `json:"site"`
	Platform  string     `json:"platform"`
	Wave      int        `json:"wave"`  // 0 for a skipped gateway
	State     string     `json:"state"` // RolloutGW... or an eldergate.Update... state
	Wait      string     `json:"wait,omitempty"`
	WaitUntil *time.Time `json:"wait_until,omitempty"` // meal_window: when the window ends, UTC
	Reason    string     `json:"reason,omitempty"`     // the update's reason (rolled back, failed), in words
	CommandID string     `json:"command_id,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Failed reports whether g counts as a failure of its wave.
func (g RolloutGateway) Failed() bool {
	return g.State == eldergate.UpdateRolledBack || g.State == eldergate.UpdateFailed || g.State == RolloutGWTimedOut
}

// Ended reports whether g's update is over (it no longer holds its wave).
func (g RolloutGateway) Ended() bool {
	return eldergate.UpdateTerminal(g.State) || g.State == RolloutGWTimedOut || g.State == RolloutGWSkipped || g.State == RolloutGWHeld
}

// TargetGateway is one gateway of a target as a rollout plans it.
type TargetGateway struct {
	ID       string
	Site     string
	Platform string // "" when it never reported one
	Online   bool
}

// RolloutRequest is the body of POST /api/v1/rollouts.
type RolloutRequest struct {
	Release string `json:"release"`
	Target  struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	} `json:"target"`
	Waves               []WaveSpec `json:"waves"`
	FailureThresholdPct *int       `json:"failure_threshold_pct"`
	WaveTimeoutS        int        `json:"wave_timeout_s"`
}

// MaxWaves bounds the waves of a rollout.
const MaxWaves = 10

// ParseRolloutRequest reads and checks a rollout request, filling the
// defaults (DefaultWaves, DefaultFailureThresholdPct). Errors wrap
// ErrInvalid and say which field is wrong.
func ParseRolloutRequest(body []byte) (RolloutRequest, error) {
	var r RolloutRequest
	if err := json.Unmarshal(body, &r); err != nil {
		return r, fmt.Errorf("body is not a valid rollout request: %v: %w", err, ErrInvalid)
	}
	bad := func(field, format string, args ...any) (RolloutRequest, error) {
		return r, fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), ErrInvalid)
	}
	if r.Release == "" || len(r.Release) > 64 {
		return bad("release", "missing or longer than 64 characters")
	}
	switch r.Target.Kind {
	case TargetKindFleet:
		if r.Target.ID != "" {
			return bad("target.id", "the fleet has no id")
		}
	case TargetKindGateway:
		if err := eldergate.ValidateGatewayID(r.Target.ID); err != nil {
			return bad("target.id", "%v", err)
		}
	case TargetKindSite, TargetKindStreet, TargetKindDistrict:
		if err := ValidateSlug(r.Target.ID); err != nil {
			return bad("target.id", "%v", err)
		}
	default:
		return bad("target.kind", "%q is not one of gateway, site, street, district, fleet", clipText(r.Target.Kind))
	}
	if len(r.Waves) == 0 {
		r.Waves = DefaultWaves
	}
	if len(r.Waves) > MaxWaves {
		return bad("waves", "%d waves; at most %d", len(r.Waves), MaxWaves)
	}
	for i, w := range r.Waves {
		switch {
		case w.Count < 0 || w.Count > 100000:
			return bad(fmt.Sprintf("waves[%d].count", i), "%d is not between 1 and 100000", w.Count)
		case w.Percent < 0 || w.Percent > 100:
			return bad(fmt.Sprintf("waves[%d].percent", i), "%d is not between 1 and 100", w.Percent)
		case w.Count > 0 && w.Percent > 0:
			return bad(fmt.Sprintf("waves[%d]", i), "give a count or a percent, not both")
		case w.Count == 0 && w.Percent == 0 && i != len(r.Waves)-1:
			return bad(fmt.Sprintf("waves[%d]", i), "only the last wave may take the rest (no count, no percent)")
		}
	}
	if r.FailureThresholdPct == nil {
		v := DefaultFailureThresholdPct
		r.FailureThresholdPct = &v
	}
	if v := *r.FailureThresholdPct; v < 0 || v > 100 {
		return bad("failure_threshold_pct", "%d is not between 0 and 100", v)
	}
	if r.WaveTimeoutS != 0 && (r.WaveTimeoutS < 60 || r.WaveTimeoutS > 7*24*3600) {
		return bad("wave_timeout_s", "%d is not between 60 and 604800 seconds", r.WaveTimeoutS)
	}
	return r, nil
}

func clipText(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

// PlanWaves returns the size of each wave for n gateways: a count is
// taken as is, a percent of n rounded up (at least one), the last wave
// takes the rest whatever it says; a wave past the gateways is empty.
// The sizes add up to n.
func PlanWaves(n int, waves []WaveSpec) []int {
	sizes := make([]int, len(waves))
	left := n
	for i, w := range waves {
		k := left
		switch {
		case i == len(waves)-1:
		case w.Count > 0:
			k = w.Count
		case w.Percent > 0:
			k = (n*w.Percent + 99) / 100
			if k < 1 {
				k = 1
			}
		}
		k = min(k, left)
		sizes[i] = k
		left -= k
	}
	return sizes
}

// WaveVerdict judges a wave whose gateways all ended: failed of total
// failed. halt is true when the failure rate passes thresholdPct (is
// strictly above it); reason says so in words, e.g. "wave 2: 2 of 5
// gateways failed (40 % > 20 %)". An empty wave passes.
func WaveVerdict(wave, failed, total, thresholdPct int) (halt bool, reason string) {
	if total == 0 {
		return false, ""
	}
	pct := failed * 100 / total
	if failed*100 > thresholdPct*total {
		return true, fmt.Sprintf("wave %d: %d of %d gateways failed (%d %% > %d %%)", wave, failed, total, pct, thresholdPct)
	}
	return false, fmt.Sprintf("wave %d: %d of %d gateways failed (%d %% ≤ %d %%)", wave, failed, total, pct, thresholdPct)
}

// AssignWaves plans the gateways of a target: those of platform (sorted
// by id, as given) fill the waves in order (canary first); the others are
// skipped. It returns the rows and how many will be sent.
func AssignWaves(rollout, platform string, gws []TargetGateway, waves []WaveSpec, now time.Time) ([]RolloutGateway, int) {
	var match, out []RolloutGateway
	for _, g := range gws {
		row := RolloutGateway{Rollout: rollout, GW: g.ID, Site: g.Site, Platform: g.Platform, State: RolloutGWWaiting, UpdatedAt: now}
		if g.Platform != platform {
			row.State = RolloutGWSkipped
			if g.Platform == "" {
				row.Reason = "it never reported its platform"
			} else {
				row.Reason = fmt.Sprintf("it runs %s, the release is for %s", g.Platform, platform)
			}
			out = append(out, row)
			continue
		}
		match = append(match, row)
	}
	i := 0
	for w, k := range PlanWaves(len(match), waves) {
		for j := 0; j < k; j++ {
			match[i].Wave = w + 1
			i++
		}
	}
	return append(match, out...), len(match)
}

// RolloutTargetName names a target in words ("the fleet", "site s1").
func RolloutTargetName(kind, id string) string {
	if kind == TargetKindFleet {
		return "the fleet"
	}
	return strings.TrimSpace(kind + " " + id)
}
