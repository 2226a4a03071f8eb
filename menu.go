package eldergate

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A site's menu: the dishes a hall priced by the dish sells, with a price
// per dish and the windows (breakfast, lunch ...) it is sold in. The cloud
// keeps one menu per site and pushes it to the site's gateways in a menu
// command (CmdMenu), like the roster and the policy; the cashier picks
// dishes on the gateway's staff screen and their total is the meal's
// price (PriceSourceMenu), recorded with the lines picked (MealData.Items).

// Limits of a menu and of the lines of one meal.
const (
	MaxMenuDishes     = 500
	MaxMealItems      = 50
	MaxDishQty        = 20
	MaxDishPriceFen   = Fen(100_000) // ¥1,000.00
	maxDishNameRunes  = 40
	maxDishIDLen      = 64
	maxMenuVersionLen = 64
)

// Menu is a site's menu, the body of a menu command.
type Menu struct {
	Site    string `json:"site"`
	Version string `json:"version"` // set by the cloud on each change; a gateway reports the one it runs
	Dishes  []Dish `json:"dishes"`
}

// Dish is one dish of a menu. Name holds its name per language: zh-CN is
// required, zh-HK and en fall back to it when missing.
type Dish struct {
	ID       string            `json:"id"`
	Name     map[string]string `json:"name"`
	PriceFen Fen               `json:"price_fen"`
	Windows  []string          `json:"windows,omitempty"` // meal windows it is sold in; none means every window
	Off      bool              `json:"off,omitempty"`     // sold out or withdrawn for now: shown greyed, not picked
}

// MenuLine is one dish picked for a meal, with the price it had then.
type MenuLine struct {
	Dish     string `json:"dish"` // Dish.ID
	Name     string `json:"name"` // zh-CN name at the time, for the record
	Qty      int    `json:"qty"`
	PriceFen Fen    `json:"price_fen"` // unit price
}

// Languages of the product's user-facing text; zh-CN is the fallback.
var Languages = []string{"zh-CN", "zh-HK", "en"}

// DishName returns the dish's name in lang, falling back to zh-CN.
func (d Dish) DishName(lang string) string {
	if n := d.Name[lang]; n != "" {
		return n
	}
	return d.Name["zh-CN"]
}

// SoldIn reports whether the dish is sold in meal window w.
func (d Dish) SoldIn(w string) bool {
	if len(d.Windows) == 0 {
		return true
	}
	for _, x := range d.Windows {
		if x == w {
			return true
		}
	}
	return false
}

// LinesTotal is the price of a meal made of lines.
func LinesTotal(lines []MenuLine) Fen {
	var t Fen
	for _, l := range lines {
		t += l.PriceFen * Fen(l.Qty)
	}
	return t
}

// DecodeMenu reads and validates the body of a menu command (or a menu
// sent to the cloud's API).
func DecodeMenu(body []byte) (Menu, error) {
	if len(body) > MaxCommandBytes {
		return Menu{}, invalid("", "menu of %d bytes exceeds the limit of %d bytes", len(body), MaxCommandBytes)
	}
	var m Menu
	if err := json.Unmarshal(body, &m); err != nil {
		return Menu{}, invalid("", "not a valid menu: %v", err)
	}
	return m, m.Validate()
}

// Validate checks a menu: ids unique and short, a zh-CN name for every
// dish, names of at most 40 characters, prices from 1 fen to ¥1,000.
func (m Menu) Validate() error {
	switch {
	case len(m.Site) > maxTextFieldSize:
		return invalid("site", "too long")
	case len(m.Version) > maxMenuVersionLen:
		return invalid("version", "too long")
	case len(m.Dishes) > MaxMenuDishes:
		return invalid("dishes", "%d dishes exceed the limit of %d", len(m.Dishes), MaxMenuDishes)
	}
	seen := make(map[string]bool, len(m.Dishes))
	for i, d := range m.Dishes {
		f := fmt.Sprintf("dishes[%d]", i)
		switch {
		case d.ID == "" || len(d.ID) > maxDishIDLen || strings.TrimSpace(d.ID) != d.ID:
			return invalid(f+".id", "missing, too long or padded with spaces")
		case seen[d.ID]:
			return invalid(f+".id", "%q is used by two dishes", clip(d.ID))
		case strings.TrimSpace(d.Name["zh-CN"]) == "":
			return invalid(f+".name", "the zh-CN name is missing")
		case d.PriceFen < 1 || d.PriceFen > MaxDishPriceFen:
			return invalid(f+".price_fen", "%d is not a price from 1 fen to %d fen", d.PriceFen, MaxDishPriceFen)
		case len(d.Windows) > 16:
			return invalid(f+".windows", "too many windows")
		}
		seen[d.ID] = true
		for lang, n := range d.Name {
			if !knownLanguage(lang) {
				return invalid(f+".name", "unknown language %q (zh-CN, zh-HK or en)", clip(lang))
			}
			if utf8.RuneCountInString(n) > maxDishNameRunes || !utf8.ValidString(n) {
				return invalid(f+".name."+lang, "longer than %d characters or not valid text", maxDishNameRunes)
			}
		}
		for _, w := range d.Windows {
			if w == "" || len(w) > maxTextFieldSize {
				return invalid(f+".windows", "empty or too long window name")
			}
		}
	}
	return nil
}

// ValidateLines checks the lines of a meal: at most MaxMealItems, each
// with a dish id, a quantity from 1 to MaxDishQty and a price in range.
func ValidateLines(lines []MenuLine) error {
	if len(lines) > MaxMealItems {
		return invalid("items", "%d lines exceed the limit of %d", len(lines), MaxMealItems)
	}
	for i, l := range lines {
		f := fmt.Sprintf("items[%d]", i)
		switch {
		case l.Dish == "" || len(l.Dish) > maxDishIDLen:
			return invalid(f+".dish", "missing or too long")
		case utf8.RuneCountInString(l.Name) > maxDishNameRunes:
			return invalid(f+".name", "too long")
		case l.Qty < 1 || l.Qty > MaxDishQty:
			return invalid(f+".qty", "%d is not a quantity from 1 to %d", l.Qty, MaxDishQty)
		case l.PriceFen < 1 || l.PriceFen > MaxDishPriceFen:
			return invalid(f+".price_fen", "%d is out of range", l.PriceFen)
		}
	}
	return nil
}

func knownLanguage(l string) bool {
	for _, x := range Languages {
		if x == l {
			return true
		}
	}
	return false
}
