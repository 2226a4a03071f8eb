package sitepush

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// MenuStore is what a menu push needs of the store.
type MenuStore interface {
	Store
	NoteMenuCommand(ctx context.Context, gw, site string, version uint64, commandID string, at time.Time) error
	MenuDue(ctx context.Context, gw, site string, now time.Time) (domain.StoredMenu, bool, error)
}

// Menu queues the menu command carrying m (a stored menu: site and
// version set) to every gateway of m.Site and records on each gateway the
// version queued. It returns the ids of the commands queued.
func Menu(ctx context.Context, st MenuStore, sender Sender, now time.Time, m domain.StoredMenu) ([]string, error) {
	body, note, err := menuCommand(st, m, now)
	if err != nil {
		return nil, err
	}
	return Site(ctx, st, sender, now, m.Site, eldergate.CmdMenu, body, note)
}

// MenuAtBirth queues the menu of site to gw (of site) when it is due one
// (domain.MenuStore.MenuDue: never queued the current version, or that
// command expired unanswered) and returns the command; nil when nothing
// is due.
func MenuAtBirth(ctx context.Context, st MenuStore, sender Sender, now time.Time, gw, site string) (*domain.Command, error) {
	m, due, err := st.MenuDue(ctx, gw, site, now)
	if err != nil || !due {
		if err != nil {
			err = fmt.Errorf("sitepush: %w", err)
		}
		return nil, err
	}
	body, note, err := menuCommand(st, m, now)
	if err != nil {
		return nil, err
	}
	c, err := Gateway(ctx, st, sender, now, gw, eldergate.CmdMenu, body, note)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// menuCommand returns the body of the menu command carrying m and the
// note that records its version on the gateway it is queued to.
func menuCommand(st MenuStore, m domain.StoredMenu, now time.Time) ([]byte, Note, error) {
	v, err := strconv.ParseUint(m.Version, 10, 64)
	if err != nil {
		return nil, nil, fmt.Errorf("sitepush: menu of %s has version %q: %w", m.Site, m.Version, err)
	}
	body, err := json.Marshal(m.Menu)
	if err != nil {
		return nil, nil, fmt.Errorf("sitepush: menu of %s: %w", m.Site, err)
	}
	note := func(ctx context.Context, c domain.Command) error {
		return st.NoteMenuCommand(ctx, c.GW, m.Site, v, c.ID, now)
	}
	return body, note, nil
}
