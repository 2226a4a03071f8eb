package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
)

// menuBackend records the picks that pass the API's checks.
type menuBackend struct {
	backend
	picks [][]eldergate.DishPick
}

func (b *menuBackend) StaffMenu(_ context.Context, tok string) (httpapi.StaffMenu, error) {
	if tok != "staff-ok" {
		return httpapi.StaffMenu{}, httpapi.ErrUnauthorized
	}
	return httpapi.StaffMenu{Version: "m1", Window: "lunch", MaxQty: 20, Dishes: []httpapi.StaffDish{{ID: "rice", Name: map[string]string{"zh-CN": "米饭"}, PriceFen: 100}}}, nil
}

func (b *menuBackend) StaffDishes(_ context.Context, tok string, picks []eldergate.DishPick) (any, error) {
	if tok != "staff-ok" {
		return nil, httpapi.ErrUnauthorized
	}
	b.picks = append(b.picks, picks)
	return map[string]string{"state": "pending"}, nil
}

func TestStaffDishesAPI(t *testing.T) {
	b := &menuBackend{}
	h := httpapi.New(httpapi.Config{}, b, nil, nil).Handler()
	do := func(method, path, tok, body string) (int, string) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if code, _ := do("GET", "/api/staff/menu", "wrong", ""); code != http.StatusUnauthorized {
		t.Fatalf("menu without a session: %d", code)
	}
	if code, out := do("GET", "/api/staff/menu", "staff-ok", ""); code != http.StatusOK || !strings.Contains(out, `"window":"lunch"`) {
		t.Fatalf("menu: %d %s", code, out)
	}
	if code, _ := do("POST", "/api/staff/dishes", "wrong", `{"items":[{"dish":"rice","qty":1}]}`); code != http.StatusUnauthorized {
		t.Fatalf("dishes without a session: %d", code)
	}
	if code, out := do("POST", "/api/staff/dishes", "staff-ok", `{"items":[{"dish":"rice","qty":1,"name":"free rice"}]}`); code != http.StatusBadRequest || !strings.Contains(out, "names and prices come from the menu") {
		t.Fatalf("a name from the client: %d %s", code, out)
	}
	if code, out := do("POST", "/api/staff/dishes", "staff-ok", `{"items":[{"dish":"rice","qty":2},{"dish":"greens","qty":1}]}`); code != http.StatusOK || len(b.picks) != 1 || b.picks[0][0] != (eldergate.DishPick{Dish: "rice", Qty: 2}) {
		t.Fatalf("dishes: %d %s %v", code, out, b.picks)
	}
}

func TestParseDishesRequest(t *testing.T) {
	for body, want := range map[string]string{
		`{"items":[{"dish":"rice","qty":1.5}]}`:     "not a whole number",
		`{"items":[{"dish":"rice","qty":"2"}]}`:     "not a whole number",
		`{"items":[{"dish":"rice","qty":21}]}`:      "from 1 to 20",
		`{"items":[{"dish":"rice"}]}`:               "qty is missing",
		`{"items":[{"qty":1}]}`:                     "dish is missing",
		`{"items":[{"dish":"rice","qty":1}]}{}`:     "single JSON object",
		`{"items":[{"dish":"rice","qty":1}],"x":1}`: "unknown field",
		`{}`: "pick at least one dish",
		`{"items":[` + strings.Repeat(`{"dish":"a","qty":1},`, 50) + `{"dish":"a","qty":1}]}`: "51 lines exceed the limit of 50",
	} {
		if _, err := httpapi.ParseDishesRequest([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.60s: %v, want %q", body, err, want)
		}
	}
}

// FuzzParseDishesRequest: any body is either refused with an error or
// gives 1 to 50 lines, each with a dish id and a quantity from 1 to 20.
func FuzzParseDishesRequest(f *testing.F) {
	for _, s := range []string{
		`{"items":[{"dish":"rice","qty":2},{"dish":"greens","qty":1}]}`, `{"items":[]}`, `{}`, `null`, `[]`,
		`{"items":[{"dish":"rice","qty":-1}]}`, `{"items":[{"dish":"","qty":1}]}`, `{"items":[{"dish":"r","qty":1e1}]}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		picks, err := httpapi.ParseDishesRequest(body)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "httpapi: dishes: ") {
				t.Fatalf("error without its prefix: %v", err)
			}
			return
		}
		if len(picks) == 0 || len(picks) > eldergate.MaxMealItems {
			t.Fatalf("accepted %q as %d lines", body, len(picks))
		}
		for _, p := range picks {
			if p.Dish == "" || len(p.Dish) > 64 || p.Qty < 1 || p.Qty > eldergate.MaxDishQty {
				t.Fatalf("accepted %q as %+v", body, p)
			}
		}
	})
}
