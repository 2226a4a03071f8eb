package domain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The care signal (issue 12, docs/care.md): an elder who came regularly
// and has not been seen for some days is put on the visit list of the
// community of their home site; a worker marks the visit. The rule of
// "regularly" and "some days" is a CareRule stored per org unit and
// inherited down the tree (the nearest unit above with a rule of its own,
// else DefaultCareRule). The signal itself is package care.

// CareStore keeps the care rules, reads what the care signal needs and
// records the visits.
type CareStore interface {
	// PutCareRule stores the rule document of org unit (ParseCareRule
	// accepts it); ErrNotFound when there is no such unit.
	PutCareRule(ctx context.Context, unit string, body []byte, by string, at time.Time) error
	// CareRuleOf returns the stored rule document of unit, nil when none.
	CareRuleOf(ctx context.Context, unit string) ([]byte, error)
	// CareElders returns the elders on the roster (not removed) of the
	// sites in the subtree of scope, with their site, ordered by site and id.
	CareElders(ctx context.Context, scope string) ([]CareElder, error)
	// CareLastDays returns, for each elder of CareElders(scope) who has a
	// served (not refused) meal at any site, the day of the last one
	// (elder id → YYYY-MM-DD). One index seek per elder.
	CareLastDays(ctx context.Context, scope string) (map[string]string, error)
	// CareMealDays returns, per elder of elders, site and day, the served
	// meals on the days from through to (YYYY-MM-DD, inclusive), at any
	// site (an elder eats where they like).
	CareMealDays(ctx context.Context, elders []string, from, to string) ([]CareMealDay, error)
	// AddCareVisit records a visit (its ID and At set by the caller).
	AddCareVisit(ctx context.Context, v CareVisit) error
	// CareVisits returns the visits of the elders whose home site is in
	// the subtree of scope, oldest first.
	CareVisits(ctx context.Context, scope string) ([]CareVisit, error)
}

// CareElder is one elder on the roster of a site.
type CareElder struct {
	ID     string
	Name   string
	Site   string // the home site: the site whose roster lists the elder
	Active bool
}

// CareMealDay counts the served meals of one elder at one site on one day.
type CareMealDay struct {
	ElderID string
	Site    string
	Day     string    // YYYY-MM-DD as the gateway decided it (the site's day)
	Meals   int       // served meals that day at that site
	Last    time.Time // the last of them, UTC
}

// CareRule says who is a regular and when their absence is noticed: an
// elder who ate at least MinMealsPerWeek meals in each of the Weeks weeks
// before their last meal, and has not been seen for AbsentDays days.
type CareRule struct {
	MinMealsPerWeek int `json:"min_meals_per_week"`
	Weeks           int `json:"weeks"`
	AbsentDays      int `json:"absent_days"`
}

// DefaultCareRule is the rule of a unit with none above it: three meals a
// week for four weeks, then seven days away.
var DefaultCareRule = CareRule{MinMealsPerWeek: 3, Weeks: 4, AbsentDays: 7}

// The bounds of a care rule.
const (
	MaxCareMealsPerWeek = 21 // three meals a day
	MaxCareWeeks        = 12
	MaxCareAbsentDays   = 90
	MaxCareRuleBytes    = 4 << 10
)

// ParseCareRule reads and checks a rule document (JSON): a field it leaves
// out keeps DefaultCareRule's. Errors say in words what is wrong and wrap
// ErrInvalid.
func ParseCareRule(b []byte) (CareRule, error) {
	r := DefaultCareRule
	if len(b) > MaxCareRuleBytes {
		return CareRule{}, fmt.Errorf("care rule: %d bytes, more than %d: %w", len(b), MaxCareRuleBytes, ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return CareRule{}, fmt.Errorf("care rule: not a JSON object with min_meals_per_week, weeks and absent_days as whole numbers: %v: %w", err, ErrInvalid)
	}
	if dec.More() {
		return CareRule{}, fmt.Errorf("care rule: more than one JSON value: %w", ErrInvalid)
	}
	if err := r.Check(); err != nil {
		return CareRule{}, err
	}
	return r, nil
}

// Check checks the bounds of r; errors wrap ErrInvalid.
func (r CareRule) Check() error {
	bad := func(field string, v, max int, unit string) error {
		return fmt.Errorf("care rule: %s is %d; it must be 1 to %d %s: %w", field, v, max, unit, ErrInvalid)
	}
	switch {
	case r.MinMealsPerWeek < 1 || r.MinMealsPerWeek > MaxCareMealsPerWeek:
		return bad("min_meals_per_week", r.MinMealsPerWeek, MaxCareMealsPerWeek, "meals")
	case r.Weeks < 1 || r.Weeks > MaxCareWeeks:
		return bad("weeks", r.Weeks, MaxCareWeeks, "weeks")
	case r.AbsentDays < 1 || r.AbsentDays > MaxCareAbsentDays:
		return bad("absent_days", r.AbsentDays, MaxCareAbsentDays, "days")
	}
	return nil
}

// VisitOutcome is what a care visit found.
type VisitOutcome string

// The visit outcomes.
const (
	VisitVisited  VisitOutcome = "visited"  // seen at home
	VisitNotHome  VisitOutcome = "not_home" // nobody answered
	VisitHospital VisitOutcome = "hospital" // in hospital
	VisitMoved    VisitOutcome = "moved"    // moved away
	VisitOther    VisitOutcome = "other"    // see the note
)

// VisitOutcomes lists the outcomes.
var VisitOutcomes = []VisitOutcome{VisitVisited, VisitNotHome, VisitHospital, VisitMoved, VisitOther}

// MaxVisitNoteRunes bounds a visit's note.
const MaxVisitNoteRunes = 500

// CareVisit is one visit a worker marked.
type CareVisit struct {
	ID        string       `json:"id"`
	ElderID   string       `json:"elder_id"`
	Site      string       `json:"site"`      // the elder's home site
	Community string       `json:"community"` // its community ("" outside the tree)
	Outcome   VisitOutcome `json:"outcome"`
	Note      string       `json:"note"`
	MarkedBy  string       `json:"marked_by"`
	At        time.Time    `json:"at"`
}

// CheckVisit checks the outcome and note of v; errors wrap ErrInvalid.
func CheckVisit(v CareVisit) error {
	ok := false
	for _, o := range VisitOutcomes {
		ok = ok || v.Outcome == o
	}
	if !ok {
		names := make([]string, len(VisitOutcomes))
		for i, o := range VisitOutcomes {
			names[i] = string(o)
		}
		return fmt.Errorf("outcome %q is not one of %s: %w", v.Outcome, strings.Join(names, ", "), ErrInvalid)
	}
	if !utf8.ValidString(v.Note) {
		return fmt.Errorf("note is not valid UTF-8: %w", ErrInvalid)
	}
	if n := utf8.RuneCountInString(v.Note); n > MaxVisitNoteRunes {
		return fmt.Errorf("note has %d characters, more than %d: %w", n, MaxVisitNoteRunes, ErrInvalid)
	}
	return nil
}
