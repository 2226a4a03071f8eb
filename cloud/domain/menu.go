package domain

import (
	"context"
	"time"

	"github.com/eldergate/eldergate"
)

// MenuStore keeps the menu of each site (the dishes a hall priced by the
// dish sells) and the menu version last queued to each gateway.
//
// A site's menu has a version that grows by one with every change
// (eldergate.Menu.Version holds it as a decimal string, "1", "2" ...);
// setting the same dishes again is not a change.
type MenuStore interface {
	// SetMenu makes m.Dishes the menu of site, set by by at at, and
	// returns the stored menu (Site and Version set) and whether it
	// changed. m must be valid (eldergate.Menu.Validate); its Site and
	// Version are ignored.
	SetMenu(ctx context.Context, site string, m eldergate.Menu, by string, at time.Time) (StoredMenu, bool, error)
	// Menu returns the menu of site, or ErrNotFound when none was set.
	Menu(ctx context.Context, site string) (StoredMenu, error)
	// NoteMenuCommand records that menu command commandID carrying
	// version of site was queued for gw. An older version than the one
	// recorded is ignored.
	NoteMenuCommand(ctx context.Context, gw, site string, version uint64, commandID string, at time.Time) error
	// MenuDue returns the menu of site when gw (of site) needs it: the
	// site has a menu, and gw was never queued its current version, or
	// the command that carried it expired at now without an answer. A
	// command the gateway refused is not queued again (the same menu
	// would be refused again). ok is false when nothing is due.
	MenuDue(ctx context.Context, gw, site string, now time.Time) (m StoredMenu, ok bool, err error)
}

// StoredMenu is a site's menu as the cloud keeps it: the menu (site and
// version set) and who set it when.
type StoredMenu struct {
	eldergate.Menu
	SetBy string    `json:"set_by"`
	SetAt time.Time `json:"set_at"`
}
