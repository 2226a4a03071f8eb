// Package rosterpush brings a gateway's roster to its site's current
// version: it chooses the command (a delta from the version last queued to
// the gateway, or the full roster when that version is unknown or the
// gateway asked for it), queues it and hands it to a sender. The roster
// import and the credential-state API (cloud/http) call it after a change;
// the command follow-ups (cloud/followup) call it when a gateway refuses a
// delta.
package rosterpush

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// Store is what a roster push needs of the store.
type Store interface {
	SiteGateways(ctx context.Context, site string) ([]string, error)
	GatewayRoster(ctx context.Context, gw string) (domain.GatewayRoster, error)
	RosterDelta(ctx context.Context, site string, base uint64) (eldergate.RosterUpdate, error)
	Roster(ctx context.Context, site string) (version uint64, elders []eldergate.RosterElder, err error)
	QueueCommand(ctx context.Context, c domain.Command) error
	NoteRosterCommand(ctx context.Context, id, gw string, version uint64, at time.Time) error
}

// Sender publishes a queued command to its gateway at once. A failure is
// not an error of the push: the command stays pending and is sent again
// at the gateway's next birth.
type Sender interface {
	SendCommand(ctx context.Context, c domain.Command)
}

// StateChange is a credential state change (a lost card, say) that made a
// site's current roster version: a gateway at the version before it gets a
// delta carrying only that credential.
type StateChange struct {
	Change domain.RosterChange
	Cred   eldergate.Credential
}

// Site queues (and sends through sender; nil: at each gateway's next
// birth) to every gateway of site what it needs to reach the current
// version, and returns the ids of the commands queued. states, when set,
// is the credential state change that made the current version.
func Site(ctx context.Context, store Store, sender Sender, now time.Time, site string, states *StateChange) ([]string, error) {
	gws, err := store.SiteGateways(ctx, site)
	if err != nil {
		return nil, fmt.Errorf("rosterpush: %w", err)
	}
	ids := []string{}
	for _, gw := range gws {
		var c *domain.Command
		if states != nil {
			c, err = stateDelta(ctx, store, sender, now, gw, site, *states)
		} else {
			c, err = Gateway(ctx, store, sender, now, gw, site, false)
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

// Gateway queues for gw (of site) the roster command that brings it to the
// site's current version and sends it at once through sender (nil: at the
// gateway's next birth): a delta from the version last queued to it or,
// when that is unknown or full is set, the full roster. It returns nil
// when the gateway is already at the current version or the site has no
// roster.
func Gateway(ctx context.Context, store Store, sender Sender, now time.Time, gw, site string, full bool) (*domain.Command, error) {
	g, err := store.GatewayRoster(ctx, gw)
	if err != nil {
		return nil, fmt.Errorf("rosterpush: %w", err)
	}
	base := g.Base()
	var u eldergate.RosterUpdate
	if !full && base != 0 {
		u, err = store.RosterDelta(ctx, site, base)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			full = true // the gateway names a version the site never had
		case err != nil:
			return nil, fmt.Errorf("rosterpush: %w", err)
		case u.Base == u.Version:
			return nil, nil
		}
	}
	if full || base == 0 {
		v, elders, err := store.Roster(ctx, site)
		if err != nil {
			return nil, fmt.Errorf("rosterpush: %w", err)
		}
		if v == 0 {
			return nil, nil
		}
		u = eldergate.RosterUpdate{Mode: eldergate.RosterFull, Version: v, Elders: elders}
	}
	return queue(ctx, store, sender, now, gw, u)
}

// stateDelta queues the one-credential delta of st for gw when gw is at
// the version before it, and otherwise what Gateway chooses.
func stateDelta(ctx context.Context, store Store, sender Sender, now time.Time, gw, site string, st StateChange) (*domain.Command, error) {
	g, err := store.GatewayRoster(ctx, gw)
	if err != nil {
		return nil, fmt.Errorf("rosterpush: %w", err)
	}
	base := g.Base()
	if base != st.Change.Previous || base == 0 {
		return Gateway(ctx, store, sender, now, gw, site, false)
	}
	u := eldergate.RosterUpdate{Mode: eldergate.RosterDelta, Base: base, Version: st.Change.Version, States: []eldergate.Credential{st.Cred}}
	return queue(ctx, store, sender, now, gw, u)
}

func queue(ctx context.Context, store Store, sender Sender, now time.Time, gw string, u eldergate.RosterUpdate) (*domain.Command, error) {
	body, err := json.Marshal(u)
	if err != nil {
		return nil, fmt.Errorf("rosterpush: roster command: %w", err)
	}
	c, err := domain.NewCommand(gw, eldergate.CmdRoster, body, now, domain.PushCommandTTL)
	if err != nil {
		return nil, err
	}
	if err := store.QueueCommand(ctx, c); err != nil {
		return nil, fmt.Errorf("rosterpush: %w", err)
	}
	if err := store.NoteRosterCommand(ctx, c.ID, gw, u.Version, now); err != nil {
		return nil, fmt.Errorf("rosterpush: %w", err)
	}
	if sender != nil {
		sender.SendCommand(ctx, c)
	}
	return &c, nil
}
