package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// Store is what Updater needs of the cloud's store.
type Store interface {
	GatewayCredential(ctx context.Context, id string) (domain.GatewayCredential, error)
	Release(ctx context.Context, id string) (domain.Release, error)
	GatewayPlatform(ctx context.Context, gw string) (platform, version string, err error)
	StartGatewayUpdate(ctx context.Context, u domain.GatewayUpdate, c domain.Command, now time.Time) (domain.GatewayUpdate, error)
}

// Sender publishes a queued command at once (followup.Commands); a
// failure leaves it pending for the gateway's next birth.
type Sender interface {
	SendCommand(ctx context.Context, c domain.Command)
}

// Updater starts updates of single gateways.
type Updater struct {
	Store  Store
	Sender Sender // may be nil: the command goes at the gateway's next birth
	Now    func() time.Time
}

// The codes of StartError.
const (
	CodeNoGateway        = "no_gateway"
	CodeRevoked          = "revoked"
	CodeNoRelease        = "no_release"
	CodeNotGateway       = "not_a_gateway_release"
	CodeNoPlatform       = "no_platform"
	CodePlatformMismatch = "platform_mismatch"
	CodeSameVersion      = "same_version"
	CodeUpdateRunning    = "update_running"
	CodeBadTimeout       = "bad_health_timeout"
)

// StartError is why an update was not started: a stable Code and the
// reason in words.
type StartError struct {
	Code string `json:"code"`
	Msg  string `json:"error"`
	// Running is the unfinished update's command id (CodeUpdateRunning).
	Running string `json:"running,omitempty"`
}

func (e *StartError) Error() string { return e.Msg }

func refuse(code, format string, args ...any) error {
	return &StartError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// OTACommandTTL is how long an ota command waits for its gateway: a
// gateway offline for longer never starts the update, and the next start
// closes it as expired.
const OTACommandTTL = 24 * time.Hour

// ArtifactPath is the cloud path of release id's artifact, as the
// gateway downloads it (the URL of UpdateRequest).
func ArtifactPath(id string) string { return "/api/v1/releases/" + id + "/artifact" }

type actorKey struct{}

// WithActor names who starts updates in ctx (the API's caller).
func WithActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, name)
}

// StartUpdate starts the update of gateway gatewayID to release
// releaseID: it checks that the gateway exists and is not revoked, that
// it reported its platform and the release is for that platform, that it
// does not run that version already and has no unfinished update, then
// stores the update and queues the ota command (body UpdateRequest) in one
// transaction and publishes it. rolloutID is "" for a single update.
// healthTimeout 0 means the gateway's default. A refusal is a
// *StartError; other errors are the store's.
func (u *Updater) StartUpdate(ctx context.Context, gatewayID, releaseID, rolloutID string, healthTimeout time.Duration) (string, error) {
	if healthTimeout < 0 || healthTimeout > time.Hour {
		return "", refuse(CodeBadTimeout, "health timeout %s is not between 0 and 1 hour", healthTimeout)
	}
	cred, err := u.Store.GatewayCredential(ctx, gatewayID)
	if errors.Is(err, domain.ErrNotFound) {
		return "", refuse(CodeNoGateway, "no gateway %s", gatewayID)
	}
	if err != nil {
		return "", err
	}
	if cred.RevokedAt != nil {
		return "", refuse(CodeRevoked, "gateway %s is revoked", gatewayID)
	}
	rel, err := u.Store.Release(ctx, releaseID)
	if errors.Is(err, domain.ErrNotFound) {
		return "", refuse(CodeNoRelease, "no release %s", releaseID)
	}
	if err != nil {
		return "", err
	}
	if rel.Artifact != "eldergate-gateway" {
		return "", refuse(CodeNotGateway, "release %s is %s, not a gateway binary", rel.Release, rel.Artifact)
	}
	platform, version, err := u.Store.GatewayPlatform(ctx, gatewayID)
	if err != nil {
		return "", err
	}
	switch {
	case platform == "":
		return "", refuse(CodeNoPlatform, "gateway %s has not reported its platform (it runs %s, older than over-the-air updates, or was never online)", gatewayID, orNone(version))
	case platform != rel.Platform:
		return "", refuse(CodePlatformMismatch, "release %s is built for %s, but gateway %s is %s", rel.Release, rel.Platform, gatewayID, platform)
	case version == rel.Version:
		return "", refuse(CodeSameVersion, "gateway %s runs version %s already", gatewayID, version)
	}
	body, err := json.Marshal(eldergate.UpdateRequest{Rollout: rolloutID, Manifest: rel.Manifest, Signature: rel.Signature,
		URL: ArtifactPath(rel.ID), HealthTimeoutS: int(healthTimeout / time.Second)})
	if err != nil {
		return "", err
	}
	if _, err := eldergate.DecodeUpdateRequest(body); err != nil {
		return "", fmt.Errorf("release: update request: %w", err) // a bug: the request is built here
	}
	now := time.Now
	if u.Now != nil {
		now = u.Now
	}
	t := now().UTC()
	cmd, err := domain.NewCommand(gatewayID, eldergate.CmdOTA, body, t, OTACommandTTL)
	if err != nil {
		return "", err
	}
	by, _ := ctx.Value(actorKey{}).(string)
	if by == "" && rolloutID != "" {
		by = "rollout " + rolloutID
	}
	running, err := u.Store.StartGatewayUpdate(ctx, domain.GatewayUpdate{GW: gatewayID, Site: cred.Site, ReleaseID: rel.ID,
		Release: rel.Release, Rollout: rolloutID, Size: rel.Size, FromVersion: version, ToVersion: rel.Version,
		StartedBy: by, StartedAt: t}, cmd, t)
	if errors.Is(err, domain.ErrConflict) {
		return "", &StartError{Code: CodeUpdateRunning, Running: running.CommandID,
			Msg: fmt.Sprintf("gateway %s has an update running (%s to %s, %s)", gatewayID, running.CommandID, running.Release, running.State)}
	}
	if err != nil {
		return "", err
	}
	if u.Sender != nil {
		u.Sender.SendCommand(ctx, cmd)
	}
	return cmd.ID, nil
}

func orNone(s string) string {
	if s == "" {
		return "no reported version"
	}
	return "version " + s
}
