package reports

import (
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/policy"
)

// TestStoredUsage: the usage a preview decides with counts the elder's
// approved meals before the time at every site, as their gateways decided
// them; not another elder's, not a full-price meal, not a meal at or after
// the time, not a meal voided before the time (one voided after it still
// counts: it did when the meal would be eaten).
func TestStoredUsage(t *testing.T) {
	p := policy.MustFlat("pv-1", "Asia/Shanghai", policy.FlatWindow{Name: "lunch", Start: "10:00", End: "14:00", PriceFen: 1500, SubsidyFen: 500})
	at := time.Date(2026, 2, 10, 5, 0, 0, 0, time.UTC) // 13:00 in Shanghai, a Tuesday
	meal := func(id, elder string, when time.Time, decision string, sub int64, voided *time.Time) domain.ReconcileMeal {
		return domain.ReconcileMeal{EventID: id, ElderID: elder, Site: "s", At: when, Decision: decision, SubsidyFen: sub, VoidedAt: voided}
	}
	early, late := at.Add(-time.Minute), at.Add(time.Minute)
	meals := []domain.ReconcileMeal{
		meal("m1", "E1", at.Add(-time.Hour), eldergate.DecisionApproved, 500, nil),         // this lunch
		meal("m2", "E1", at.Add(-24*time.Hour), eldergate.DecisionApproved, 500, nil),      // yesterday: week and month
		meal("m3", "E1", at.Add(-6*24*time.Hour), eldergate.DecisionApproved, 500, nil),    // last week's: month only
		meal("m4", "E1", at.Add(-2*time.Hour), eldergate.DecisionFullPay, 0, nil),          // full price: not counted
		meal("m5", "E2", at.Add(-time.Hour), eldergate.DecisionApproved, 500, nil),         // another elder
		meal("m6", "E1", at.Add(-90*time.Minute), eldergate.DecisionApproved, 500, &early), // voided before
		meal("m7", "E1", at.Add(-100*time.Minute), eldergate.DecisionApproved, 500, &late), // voided after: counts
		meal("m8", "E1", at, eldergate.DecisionApproved, 500, nil),                         // at the time: not before
	}
	u := StoredUsage(&p, meals, "E1", at)
	want := policy.Usage{
		Window: policy.Counter{Count: 2, SubsidyFen: 1000},
		Day:    policy.Counter{Count: 2, SubsidyFen: 1000},
		Week:   policy.Counter{Count: 3, SubsidyFen: 1500},
		Month:  policy.Counter{Count: 4, SubsidyFen: 2000},
	}
	if u != want {
		t.Errorf("usage %+v, want %+v", u, want)
	}
	if s := PreviewSince(&p, at); !s.Equal(time.Date(2026, 1, 31, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("since %v, want the month's start in Shanghai", s)
	}
	mon := time.Date(2026, 3, 2, 4, 0, 0, 0, time.UTC) // Monday 2 March: the month began before the week
	if s := PreviewSince(&p, mon); !s.Equal(time.Date(2026, 2, 28, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("since %v for Monday 2 March", s)
	}
	sun := time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC) // Sunday 1 March: the ISO week began Monday 23 February
	if s := PreviewSince(&p, sun); !s.Equal(time.Date(2026, 2, 22, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("since %v for Sunday 1 March", s)
	}
}
