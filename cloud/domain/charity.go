package domain

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Charity transparency (issue 12, docs/charity.md, ADR 0020). A charity
// or enterprise fund is a funding layer of the policies (scope none: it
// pays wherever the meal is eaten) that is registered here: the fund's id
// is the layer's name, so a meal's funding share of that layer is money of
// that fund. The figures are cloud/reports.Charity; a published summary
// is a snapshot of them without personal data, kept with its SHA-256.

// CharityStore keeps the funds and the publications and reads the rows of
// a fund's month.
type CharityStore interface {
	// CreateCharityFund stores f (ValidateCharityFund accepts it).
	// ErrConflict when the id exists, ErrNotFound when f.Unit is no org
	// unit.
	CreateCharityFund(ctx context.Context, f CharityFund) error
	// CharityFund returns fund id or ErrNotFound.
	CharityFund(ctx context.Context, id string) (CharityFund, error)
	// ListCharityFunds returns every fund, by id.
	ListCharityFunds(ctx context.Context) ([]CharityFund, error)
	// CharityRows returns the funding shares of layer fund of the meals
	// whose event time lies in [from, to) at the sites in the subtree of
	// scope ("" = every site), grouped by site, elder, the meal's day and
	// whether the meal was voided; and the names of those elders on the
	// cloud rosters (elder id → name; an elder on no roster is missing).
	CharityRows(ctx context.Context, fund, scope string, from, to time.Time) ([]CharityRow, map[string]string, error)
	// AddCharityPublication stores p. ErrConflict when its id exists.
	AddCharityPublication(ctx context.Context, p CharityPublication) error
	// CharityPublication returns publication id or ErrNotFound.
	CharityPublication(ctx context.Context, id string) (CharityPublication, error)
	// ListCharityPublications returns the publications of fund ("" =
	// every fund), newest first.
	ListCharityPublications(ctx context.Context, fund string) ([]CharityPublication, error)
}

// CharityFund is a registered charity or enterprise fund.
type CharityFund struct {
	// ID is the fund's funding layer name in the policies.
	ID string `json:"id"`
	// Names in zh-CN, zh-HK and en.
	Names CharityNames `json:"names"`
	// Unit is the org unit that owns the fund (registers and publishes it).
	Unit      string    `json:"unit"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// CharityNames is a name in the three languages of the product.
type CharityNames struct {
	ZhCN string `json:"zh-CN"`
	ZhHK string `json:"zh-HK"`
	En   string `json:"en"`
}

// In returns the name in lang (zh-CN for an unknown language).
func (n CharityNames) In(lang string) string {
	switch lang {
	case "zh-HK":
		return n.ZhHK
	case "en":
		return n.En
	}
	return n.ZhCN
}

// MaxCharityNameLen bounds a fund's name in each language (characters).
const MaxCharityNameLen = 128

// ValidateCharityFund checks a fund's fields that do not need the store:
// the id (an org-style slug of 1-64 of [a-z0-9-], as a policy's layer name
// is written), the three names (1-128 characters, no control characters)
// and the owning unit's id. Errors wrap ErrInvalid and name the field.
func ValidateCharityFund(f CharityFund) error {
	if err := ValidateSlug(f.ID); err != nil {
		return fmt.Errorf("id: %v: %w", err, ErrInvalid)
	}
	for _, n := range []struct{ field, v string }{{"names.zh-CN", f.Names.ZhCN}, {"names.zh-HK", f.Names.ZhHK}, {"names.en", f.Names.En}} {
		if strings.TrimSpace(n.v) == "" || utf8.RuneCountInString(n.v) > MaxCharityNameLen || !utf8.ValidString(n.v) {
			return fmt.Errorf("%s: must be 1-%d characters: %w", n.field, MaxCharityNameLen, ErrInvalid)
		}
		for _, r := range n.v {
			if r < 0x20 || r == 0x7f {
				return fmt.Errorf("%s: control characters are not allowed: %w", n.field, ErrInvalid)
			}
		}
	}
	if err := ValidateSlug(f.Unit); err != nil {
		return fmt.Errorf("unit: %v: %w", err, ErrInvalid)
	}
	return nil
}

// CharityRow is one group of a fund's shares: the meals of one elder at
// one site on one day, voided or not.
type CharityRow struct {
	Site    string `json:"site"`
	ElderID string `json:"elder_id"`
	Day     string `json:"day"` // YYYY-MM-DD as the gateway decided it (the site's day)
	Voided  bool   `json:"voided"`
	Meals   int64  `json:"meals"`
	Fen     int64  `json:"fen"`
}

// CharityPublication is a published summary of a fund's month: Body is
// the exact JSON shown to donors (cloud/reports.CharityPublic), SHA256 the
// hex SHA-256 of Body.
type CharityPublication struct {
	ID          string    `json:"id"`
	Fund        string    `json:"fund"`
	Month       string    `json:"month"`
	Unit        string    `json:"unit"` // the org unit whose sites it covers; "" every site
	Body        []byte    `json:"-"`
	SHA256      string    `json:"sha256"`
	PublishedAt time.Time `json:"published_at"`
	PublishedBy string    `json:"published_by"`
}
