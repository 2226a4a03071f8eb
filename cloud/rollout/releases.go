package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/release"
)

// ErrUpToDate is StartUpdate's answer for a gateway that runs the
// release's version already: it counts as done, not as a failure.
var ErrUpToDate = errors.New("runs the release's version already")

// upToDate is ErrUpToDate with the releases' words.
type upToDate string

func (e upToDate) Error() string        { return string(e) }
func (e upToDate) Is(target error) bool { return target == ErrUpToDate }

// ReleaseStore is what Releases reads of the store.
type ReleaseStore interface {
	Release(ctx context.Context, id string) (domain.Release, error)
	GatewayUpdate(ctx context.Context, commandID string) (domain.GatewayUpdate, error)
}

// Releases is the Updater over the releases' single-gateway update
// (release.Updater.StartUpdate, the one way an ota command is sent) and
// the update states its ingest keeps.
type Releases struct {
	Updater *release.Updater
	Store   ReleaseStore
}

// StartUpdate implements Updater. An update of gw already running for
// the same rollout (sent before a restart whose row was not written) is
// followed rather than refused; a gateway on the release's version
// answers ErrUpToDate.
func (r Releases) StartUpdate(ctx context.Context, gw, rel, rollout string, healthTimeout time.Duration) (string, error) {
	id, err := r.Updater.StartUpdate(ctx, gw, rel, rollout, healthTimeout)
	var se *release.StartError
	if errors.As(err, &se) {
		switch se.Code {
		case release.CodeUpdateRunning:
			if u, e := r.Store.GatewayUpdate(ctx, se.Running); e == nil && rollout != "" && u.Rollout == rollout {
				return se.Running, nil
			}
		case release.CodeSameVersion:
			return "", upToDate(se.Msg)
		}
	}
	return id, err
}

// UpdateState implements Updater: the state, code and reason of the
// update of ota command id as its update events reported them.
func (r Releases) UpdateState(ctx context.Context, commandID string) (state, code, reason string, err error) {
	u, err := r.Store.GatewayUpdate(ctx, commandID)
	if errors.Is(err, domain.ErrNotFound) {
		return "", "", "", nil
	}
	if err != nil {
		return "", "", "", err
	}
	return u.State, u.Code, u.Reason, nil
}

// ReleasePlatform implements Updater.
func (r Releases) ReleasePlatform(ctx context.Context, id string) (string, error) {
	rel, err := r.Store.Release(ctx, id)
	if err != nil {
		return "", err
	}
	if rel.Artifact != "eldergate-gateway" {
		return "", fmt.Errorf("release %s is %s, not a gateway binary: %w", rel.Release, rel.Artifact, domain.ErrInvalid)
	}
	return rel.Platform, nil
}
