package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCareRule(t *testing.T) {
	r, err := ParseCareRule([]byte(`{"weeks":2}`))
	if err != nil || r != (CareRule{MinMealsPerWeek: 3, Weeks: 2, AbsentDays: 7}) {
		t.Fatalf("partial rule: %+v, %v", r, err)
	}
	for doc, want := range map[string]string{
		`{"weeks":0}`:               "weeks is 0; it must be 1 to 12 weeks",
		`{"min_meals_per_week":22}`: "min_meals_per_week is 22",
		`{"absent_days":-1}`:        "absent_days is -1",
		`{"absent_days":1.5}`:       "whole numbers",
		`{"days":3}`:                "unknown field",
		`{"weeks":2} {"weeks":3}`:   "more than one JSON value",
		`[1]`:                       "not a JSON object",
	} {
		_, err := ParseCareRule([]byte(doc))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", doc, err, want)
		}
	}
}

func FuzzParseCareRule(f *testing.F) {
	for _, s := range []string{`{}`, `{"min_meals_per_week":3,"weeks":4,"absent_days":7}`, `{"weeks":99}`, `null`, `{"absent_days":"7"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseCareRule(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if r.Check() != nil {
			t.Fatalf("accepted a rule out of bounds: %+v", r)
		}
	})
}

func TestCheckVisit(t *testing.T) {
	if err := CheckVisit(CareVisit{Outcome: VisitNotHome, Note: strings.Repeat("访", 500)}); err != nil {
		t.Fatal(err)
	}
	if err := CheckVisit(CareVisit{Outcome: "gone"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown outcome: %v", err)
	}
	if err := CheckVisit(CareVisit{Outcome: VisitOther, Note: strings.Repeat("访", 501)}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("long note: %v", err)
	}
}
