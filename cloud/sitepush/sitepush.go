// Package sitepush queues one command to every gateway of a site and
// hands each to a sender: the policy assigned to a site and the site's
// menu (cloud/http) reach the gateways through it. It also brings a
// gateway that was born (first connected, or enrolled) after the site's
// menu was set up to date (the command follow-ups call MenuAtBirth).
// Rosters have their own push (cloud/rosterpush): each gateway gets its
// own delta there.
package sitepush

import (
	"context"
	"fmt"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// Store is what a push needs of the store.
type Store interface {
	SiteGateways(ctx context.Context, site string) ([]string, error)
	QueueCommand(ctx context.Context, c domain.Command) error
}

// Sender publishes a queued command to its gateway at once. A failure is
// not an error of the push: the command stays pending and is sent again
// at the gateway's next birth.
type Sender interface {
	SendCommand(ctx context.Context, c domain.Command)
}

// Note runs after a command is queued, before it is sent (to record what
// it carries); nil: nothing to record.
type Note func(ctx context.Context, c domain.Command) error

// Site queues a command of type typ carrying body, expiring after
// domain.PushCommandTTL, to every gateway of site that is not revoked,
// runs note on each and sends it through sender (nil: at each gateway's
// next birth). It returns the ids of the commands queued (never nil).
func Site(ctx context.Context, st Store, sender Sender, now time.Time, site, typ string, body []byte, note Note) ([]string, error) {
	gws, err := st.SiteGateways(ctx, site)
	if err != nil {
		return nil, fmt.Errorf("sitepush: %w", err)
	}
	ids := make([]string, 0, len(gws))
	for _, gw := range gws {
		c, err := Gateway(ctx, st, sender, now, gw, typ, body, note)
		if err != nil {
			return ids, err
		}
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// Gateway queues one command of type typ carrying body to gw, runs note
// on it and sends it through sender (nil: at the gateway's next birth).
func Gateway(ctx context.Context, st Store, sender Sender, now time.Time, gw, typ string, body []byte, note Note) (domain.Command, error) {
	c, err := domain.NewCommand(gw, typ, body, now, domain.PushCommandTTL)
	if err != nil {
		return c, fmt.Errorf("sitepush: %w", err)
	}
	if err := st.QueueCommand(ctx, c); err != nil {
		return c, fmt.Errorf("sitepush: %s command to %s: %w", typ, gw, err)
	}
	if note != nil {
		if err := note(ctx, c); err != nil {
			return c, fmt.Errorf("sitepush: %s command to %s: %w", typ, gw, err)
		}
	}
	if sender != nil {
		sender.SendCommand(ctx, c)
	}
	return c, nil
}
