package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
)

// The site's menu (issue 11): pushed by the cloud in a menu command,
// kept in the store across restarts, reported in the birth and the
// status, and the only source of the names and prices of the dishes a
// cashier picks on the staff screen (httpapi.MenuBackend). The total of
// the picked dishes is the meal's amount, with price source menu and the
// lines (tapdesk.Amount.Items).

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

// windowNow is the meal window of the policy open now, "" when none.
func (g *Gateway) windowNow() string {
	p := g.desk.Policy()
	at, _ := g.clock.Stamp(g.now())
	_, w := p.Periods(at)
	return w
}

// StaffMenu implements httpapi.MenuBackend: the dishes sold in the meal
// window open now, with their names in every language; off dishes are
// listed and flagged.
func (g *Gateway) StaffMenu(ctx context.Context, tok string) (httpapi.StaffMenu, error) {
	if _, err := g.staff.Session(tok); err != nil {
		return httpapi.StaffMenu{}, err
	}
	out := httpapi.StaffMenu{Dishes: []httpapi.StaffDish{}, MaxQty: eldergate.MaxDishQty}
	m := g.currentMenu()
	if m == nil {
		return out, nil
	}
	out.Window = g.windowNow()
	out.Version = m.Version
	if out.Window == "" {
		return out, nil
	}
	for _, d := range m.Dishes {
		if !d.SoldIn(out.Window) {
			continue
		}
		names := make(map[string]string, len(eldergate.Languages))
		for _, l := range eldergate.Languages {
			names[l] = d.DishName(l)
		}
		out.Dishes = append(out.Dishes, httpapi.StaffDish{ID: d.ID, Name: names, PriceFen: int64(d.PriceFen), Off: d.Off})
	}
	return out, nil
}

// StaffDishes implements httpapi.MenuBackend: the picked dishes, priced
// from the stored menu, give the desk the amount of the next till-priced
// meal (either order with the tap, as a keyed amount).
func (g *Gateway) StaffDishes(ctx context.Context, tok string, picks []eldergate.DishPick) (any, error) {
	st, err := g.staff.Session(tok)
	if err != nil {
		return nil, err
	}
	m := g.currentMenu()
	if m == nil {
		return nil, fmt.Errorf("gateway: %w: this gateway has no menu yet (the cloud pushes the site's menu)", httpapi.ErrConflict)
	}
	lines, err := m.Pick(g.windowNow(), picks)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w: %w", httpapi.ErrInvalid, err)
	}
	return g.amount(ctx, tapdesk.Amount{Fen: eldergate.LinesTotal(lines), Source: eldergate.PriceSourceMenu, Cashier: st.ID, Items: lines})
}
