package eldergate

import "fmt"

// DishPick is one dish a cashier picked: its id and how many.
type DishPick struct {
	Dish string `json:"dish"`
	Qty  int    `json:"qty"`
}

// Pick prices the dishes a cashier picked from the menu for meal window
// w: names and prices come from the menu, never from the picker. A dish
// that is not on the menu, is off, is not sold in w, is picked twice or
// with a quantity out of range refuses the whole pick, in words naming
// the dish. The lines pass ValidateLines and add up to LinesTotal.
func (m Menu) Pick(w string, picks []DishPick) ([]MenuLine, error) {
	switch {
	case len(picks) == 0:
		return nil, invalid("items", "no dish picked: pick at least one dish")
	case len(picks) > MaxMealItems:
		return nil, invalid("items", "%d lines exceed the limit of %d", len(picks), MaxMealItems)
	case w == "":
		return nil, invalid("items", "no meal window is open now: dishes are sold only in a meal window")
	}
	byID := make(map[string]*Dish, len(m.Dishes))
	for i := range m.Dishes {
		byID[m.Dishes[i].ID] = &m.Dishes[i]
	}
	seen := make(map[string]bool, len(picks))
	lines := make([]MenuLine, 0, len(picks))
	for i, p := range picks {
		f := fmt.Sprintf("items[%d]", i)
		d := byID[p.Dish]
		switch {
		case d == nil:
			return nil, invalid(f+".dish", "%q is not on this site's menu (version %q)", clip(p.Dish), clip(m.Version))
		case d.Off:
			return nil, invalid(f+".dish", "%s (%s) is off the menu for now", d.Name["zh-CN"], d.ID)
		case !d.SoldIn(w):
			return nil, invalid(f+".dish", "%s (%s) is not sold at %s", d.Name["zh-CN"], d.ID, w)
		case seen[d.ID]:
			return nil, invalid(f+".dish", "%s (%s) is listed twice: give one line with its quantity", d.Name["zh-CN"], d.ID)
		case p.Qty < 1 || p.Qty > MaxDishQty:
			return nil, invalid(f+".qty", "%d of %s is not a quantity from 1 to %d", p.Qty, d.Name["zh-CN"], MaxDishQty)
		}
		seen[d.ID] = true
		lines = append(lines, MenuLine{Dish: d.ID, Name: d.Name["zh-CN"], Qty: p.Qty, PriceFen: d.PriceFen})
	}
	return lines, nil
}
