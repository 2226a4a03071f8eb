package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/eldergate/eldergate"
)

// The site's menu (issue 11): pushed by the cloud in a menu command,
// kept in the store across restarts, and reported in the birth and the
// status.

// loadMenu loads the stored menu at start.
func (g *Gateway) loadMenu(ctx context.Context) error {
	m, ok, err := g.store.Menu(ctx)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	if ok {
		g.setMenu(&m)
		g.log.Info("gateway: menu loaded", "menu_version", m.Version, "dishes", len(m.Dishes))
	}
	return nil
}

func (g *Gateway) setMenu(m *eldergate.Menu) {
	g.mu.Lock()
	g.menu = m
	g.mu.Unlock()
}

// currentMenu is the menu in use; nil before the first menu command.
func (g *Gateway) currentMenu() *eldergate.Menu {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.menu
}

// menuVersion is the version of the menu in use, "" when there is none.
func (g *Gateway) menuVersion() string {
	if m := g.currentMenu(); m != nil {
		return m.Version
	}
	return ""
}

// MenuResult is the body of a menu command's result.
type MenuResult struct {
	MenuVersion string `json:"menu_version"`
	Dishes      int    `json:"dishes"`
}

// applyMenuCommand validates a pushed menu, refuses one for another
// site, stores it and uses it from the next pick.
func (g *Gateway) applyMenuCommand(ctx context.Context, body json.RawMessage) (any, error) {
	if len(body) == 0 {
		return nil, errors.New("gateway: menu: body is missing")
	}
	m, err := eldergate.DecodeMenu(body)
	if err != nil {
		return nil, fmt.Errorf("gateway: menu: %w", err)
	}
	if m.Site != g.cfg.Site {
		return nil, fmt.Errorf("gateway: menu: the menu is for site %q, this gateway serves site %q: not applied", m.Site, g.cfg.Site)
	}
	if err := g.store.SaveMenu(ctx, m, g.now()); err != nil {
		return nil, fmt.Errorf("gateway: menu: %w", err)
	}
	g.setMenu(&m)
	g.log.Info("gateway: menu applied", "menu_version", m.Version, "dishes", len(m.Dishes))
	return MenuResult{MenuVersion: m.Version, Dishes: len(m.Dishes)}, nil
}
