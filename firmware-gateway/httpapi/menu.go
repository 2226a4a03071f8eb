package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/eldergate/eldergate"
)

// Dish picking (docs/till-api.md): a cashier logged in as staff reads the
// dishes of the site's menu sold now (GET /api/staff/menu) and sends the
// dishes picked (POST /api/staff/dishes). The gateway prices them from
// its stored menu; the client sends only dish ids and quantities.

// StaffMenu is the body of GET /api/staff/menu.
type StaffMenu struct {
	Version string      `json:"version"` // "": no menu pushed yet
	Window  string      `json:"window"`  // the meal window open now; "": none, no dish is sold
	MaxQty  int         `json:"max_qty"` // the most of one dish in a meal
	Dishes  []StaffDish `json:"dishes"`  // sold in Window, in menu order
}

// StaffDish is one dish of StaffMenu.
type StaffDish struct {
	ID       string            `json:"id"`
	Name     map[string]string `json:"name"` // zh-CN, zh-HK and en, each filled in
	PriceFen int64             `json:"price_fen"`
	Off      bool              `json:"off,omitempty"` // sold out for now: shown, not picked
}

// MenuBackend is what the dish picking endpoints ask of the gateway.
// Errors wrap the Err* of staff.go.
type MenuBackend interface {
	StaffMenu(ctx context.Context, token string) (StaffMenu, error)
	StaffDishes(ctx context.Context, token string, picks []eldergate.DishPick) (any, error)
}

// ParseDishesRequest reads the body of POST /api/staff/dishes:
// {"items":[{"dish":"rice","qty":2},...]}, one JSON object, no unknown
// fields, 1 to eldergate.MaxMealItems lines, each a dish id and an
// integer quantity from 1 to eldergate.MaxDishQty. Names and prices are
// not accepted: the gateway takes them from its menu. The error says
// what is wrong in words.
func ParseDishesRequest(body []byte) ([]eldergate.DishPick, error) {
	var raw struct {
		Items []struct {
			Dish string          `json:"dish"`
			Qty  json.RawMessage `json:"qty"`
		} `json:"items"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("httpapi: dishes: invalid JSON body (only dish and qty per line; names and prices come from the menu): %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("httpapi: dishes: the body must be a single JSON object")
	}
	switch {
	case len(raw.Items) == 0:
		return nil, errors.New("httpapi: dishes: items is missing or empty: pick at least one dish")
	case len(raw.Items) > eldergate.MaxMealItems:
		return nil, fmt.Errorf("httpapi: dishes: %d lines exceed the limit of %d", len(raw.Items), eldergate.MaxMealItems)
	}
	out := make([]eldergate.DishPick, len(raw.Items))
	for i, it := range raw.Items {
		if it.Dish == "" || len(it.Dish) > 64 {
			return nil, fmt.Errorf("httpapi: dishes: items[%d].dish is missing or longer than 64 bytes", i)
		}
		num := string(bytes.TrimSpace(it.Qty))
		if num == "" || num == "null" {
			return nil, fmt.Errorf("httpapi: dishes: items[%d].qty is missing", i)
		}
		q, err := strconv.Atoi(num)
		if err != nil || q < 1 || q > eldergate.MaxDishQty {
			return nil, fmt.Errorf("httpapi: dishes: items[%d].qty %.20s is not a whole number from 1 to %d", i, num, eldergate.MaxDishQty)
		}
		out[i] = eldergate.DishPick{Dish: it.Dish, Qty: q}
	}
	return out, nil
}

func (s *Server) menuRoutes(mux *http.ServeMux, b MenuBackend) {
	mux.HandleFunc("GET /api/staff/menu", func(w http.ResponseWriter, r *http.Request) {
		out, err := b.StaffMenu(r.Context(), bearer(r))
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
	mux.HandleFunc("POST /api/staff/dishes", func(w http.ResponseWriter, r *http.Request) {
		var raw json.RawMessage
		if !s.decode(w, r, &raw) {
			return
		}
		picks, err := ParseDishesRequest(raw)
		if err != nil {
			s.fail(w, http.StatusBadRequest, err)
			return
		}
		out, err := b.StaffDishes(r.Context(), bearer(r), picks)
		if err != nil {
			s.staffFail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}
