package eldergate

// Elder is one person on the roster as the decision needs them.
type Elder struct {
	ID       string `json:"id" yaml:"id"`
	Name     string `json:"name" yaml:"name"`
	Card     string `json:"card" yaml:"card"` // canonical credential
	Birth    string `json:"birth,omitempty" yaml:"birth"`
	Category string `json:"category,omitempty" yaml:"category"`
	Active   bool   `json:"active" yaml:"active"`

	// What the subsidy policy (package policy) needs beyond birth and
	// category: more categories (低保, 特困, disability, ...; Category is
	// counted as one of them), whether the hukou is local, and the home
	// jurisdiction as administrative division codes (city, district,
	// street/town), compared with the site's for out-of-jurisdiction rules.
	Categories   []string `json:"categories,omitempty" yaml:"categories"`
	HukouLocal   bool     `json:"hukou_local,omitempty" yaml:"hukou_local"`
	HomeCity     string   `json:"home_city,omitempty" yaml:"home_city"`
	HomeDistrict string   `json:"home_district,omitempty" yaml:"home_district"`
	HomeStreet   string   `json:"home_street,omitempty" yaml:"home_street"`

	// Where the elder lives (常住地, e.g. with a residence permit), as
	// division codes, when rules look at residence rather than hukou
	// (ADR 0015). Empty: unknown, matches no residence condition.
	ResidenceCity     string `json:"residence_city,omitempty" yaml:"residence_city"`
	ResidenceDistrict string `json:"residence_district,omitempty" yaml:"residence_district"`
	ResidenceStreet   string `json:"residence_street,omitempty" yaml:"residence_street"`
}

// Reason codes of a decision; the kiosk translates them. The subsidy
// policy engine (package policy) adds its own.
const (
	ReasonOK             = "ok"
	ReasonUnknownCard    = "unknown_card"
	ReasonCardInactive   = "card_inactive"
	ReasonCardLost       = "card_lost"      // the credential was reported lost (roster)
	ReasonCardCancelled  = "card_cancelled" // the credential was cancelled (roster)
	ReasonOutsideWindow  = "outside_meal_window"
	ReasonAlreadyServed  = "already_served"
	ReasonNoSubsidyLimit = "subsidy_limit_reached"
)
