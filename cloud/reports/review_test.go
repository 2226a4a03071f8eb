package reports

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

var (
	revTZ, _ = time.LoadLocation("Asia/Shanghai")
	revFrom  = time.Date(2025, 3, 1, 0, 0, 0, 0, revTZ)
	revTo    = time.Date(2025, 4, 1, 0, 0, 0, 0, revTZ)
)

// local is a time in March 2025 in Shanghai.
func local(day, hour, min int) time.Time {
	return time.Date(2025, 3, day, hour, min, 0, 0, revTZ).UTC()
}

func meal(id, site, elder string, at time.Time) domain.ReviewMeal {
	return domain.ReviewMeal{EventID: id, Site: site, InScope: true, ElderID: elder, Credential: "****0001", Window: "lunch",
		Day: at.In(revTZ).Format(time.DateOnly), At: at, Decision: "approved", PriceFen: 1500, SubsidyFen: 500, PayFen: 1000}
}

func ids(f finding) string {
	var s []string
	for _, m := range f.meals {
		s = append(s, m.EventID)
	}
	return strings.Join(s, ",")
}

func TestTwoSites(t *testing.T) {
	a := meal("m1", "s1", "E1", local(4, 11, 30))
	b := meal("m2", "s2", "E1", local(4, 12, 10))
	other := meal("m3", "s2", "E1", local(5, 12, 10))  // another day
	dinner := meal("m4", "s2", "E1", local(4, 17, 30)) // another window
	dinner.Window = "dinner"
	refused := meal("m5", "s3", "E1", local(4, 12, 0)) // a refused tap is no meal
	refused.Decision = "refused"
	got := twoSites([]domain.ReviewMeal{a, b, other, dinner, refused}, revFrom, revTo)
	if len(got) != 1 || ids(got[0]) != "m1,m2" || got[0].params["sites"] != "2" {
		t.Fatalf("two sites: %+v", got)
	}
	// Negative: one site twice; and the other site's meal voided.
	same := meal("m6", "s1", "E1", local(4, 12, 20))
	vb := b
	vb.Voided = true
	if got := twoSites([]domain.ReviewMeal{a, same, vb}, revFrom, revTo); len(got) != 0 {
		t.Fatalf("one site, or the other voided: %+v", got)
	}
	// Neither meal the caller's: no item.
	oa, ob := a, b
	oa.InScope, ob.InScope = false, false
	if got := twoSites([]domain.ReviewMeal{oa, ob}, revFrom, revTo); len(got) != 0 {
		t.Fatalf("no meal in scope: %+v", got)
	}
}

func TestAfterCardLost(t *testing.T) {
	lostAt := local(10, 9, 0)
	ch := []domain.RosterChangeRow{{Site: "s1", ElderID: "E1", What: domain.RosterCredential, CredKind: "card", Credential: "****0001", State: "lost", At: lostAt}}
	before := meal("m1", "s1", "E1", local(9, 12, 0))
	after := meal("m2", "s2", "E1", local(11, 12, 0)) // another site: the card is lost everywhere
	otherCard := meal("m3", "s1", "E1", local(11, 12, 5))
	otherCard.Credential = "****0002"
	manual := meal("m4", "s1", "E1", local(12, 12, 0))
	manual.Manual, manual.Credential = true, ""
	got := afterCardLost([]domain.ReviewMeal{before, after, otherCard, manual}, ch, revFrom, revTo)
	if len(got) != 1 || ids(got[0]) != "m2" || got[0].params["state"] != "lost" || got[0].params["meals"] != "1" {
		t.Fatalf("after card lost: %+v", got)
	}
	// Active again before the meal: no item.
	ch = append(ch, domain.RosterChangeRow{Site: "s1", ElderID: "E1", What: domain.RosterCredential, Credential: "****0001", State: "active", At: local(11, 8, 0)})
	if got := afterCardLost([]domain.ReviewMeal{before, after}, ch, revFrom, revTo); len(got) != 0 {
		t.Fatalf("reactivated card: %+v", got)
	}
}

func TestAfterRemoved(t *testing.T) {
	ch := []domain.RosterChangeRow{{Site: "s1", ElderID: "E1", What: domain.RosterRemoved, At: local(10, 9, 0)}}
	before := meal("m1", "s1", "E1", local(9, 12, 0))
	after := meal("m2", "s1", "E1", local(11, 12, 0))
	elsewhere := meal("m3", "s2", "E1", local(11, 12, 0)) // still on s2's roster
	got := afterRemoved([]domain.ReviewMeal{before, after, elsewhere}, ch, revFrom, revTo)
	if len(got) != 1 || ids(got[0]) != "m2" {
		t.Fatalf("after removed: %+v", got)
	}
	ch = append(ch, domain.RosterChangeRow{Site: "s1", ElderID: "E1", What: domain.RosterRestored, At: local(11, 9, 0)})
	if got := afterRemoved([]domain.ReviewMeal{after}, ch, revFrom, revTo); len(got) != 0 {
		t.Fatalf("put back before the meal: %+v", got)
	}
}

func TestManualBurst(t *testing.T) {
	var ms []domain.ReviewMeal
	// Staff st1: 10 meals one minute apart (a burst), then one 30 minutes
	// later (not in it). Staff st2: 10 meals two minutes apart (18
	// minutes: no burst).
	for i := range 10 {
		m := meal(fmt.Sprintf("a%02d", i), "s1", fmt.Sprintf("E%d", i), local(4, 11, i))
		m.Manual, m.Staff = true, "st1"
		ms = append(ms, m)
		n := meal(fmt.Sprintf("b%02d", i), "s1", fmt.Sprintf("E%d", i), local(5, 11, 2*i))
		n.Manual, n.Staff = true, "st2"
		ms = append(ms, n)
	}
	late := meal("a99", "s1", "E99", local(4, 11, 40))
	late.Manual, late.Staff = true, "st1"
	ms = append(ms, late)
	got := manualBurst(ms, revFrom, revTo, 10, 10*time.Minute)
	if len(got) != 1 || got[0].params["staff"] != "st1" || len(got[0].meals) != 10 || got[0].params["minutes"] != "9" {
		t.Fatalf("burst: %+v", got)
	}
	// Card meals never make a burst.
	for i := range ms {
		ms[i].Manual = false
	}
	if got := manualBurst(ms, revFrom, revTo, 10, 10*time.Minute); len(got) != 0 {
		t.Fatalf("card meals: %+v", got)
	}
}

func TestVoids(t *testing.T) {
	v := meal("m1", "s1", "E1", local(4, 12, 0))
	v.Voided, v.VoidedBy, v.VoidedAt = true, "st9", local(4, 12, 5)
	n := meal("m2", "s1", "E1", local(5, 12, 0))
	got := voids([]domain.ReviewMeal{v, n}, revFrom, revTo)
	if len(got) != 1 || ids(got[0]) != "m1" || got[0].params["voided_by"] != "st9" {
		t.Fatalf("voids: %+v", got)
	}
}

func TestUnusualHours(t *testing.T) {
	night := meal("m1", "s1", "E1", local(4, 23, 10))
	night2 := meal("m2", "s1", "E1", local(5, 2, 0)) // the same night
	night2.Decision = "refused"
	day := meal("m3", "s1", "E1", local(5, 12, 0))
	edge := meal("m4", "s1", "E1", local(5, 6, 0)) // 06:00 is day
	manual := meal("m5", "s1", "E1", local(5, 23, 0))
	manual.Manual, manual.Credential = true, ""
	got := unusualHours([]domain.ReviewMeal{night, night2, day, edge, manual}, revFrom, revTo, revTZ)
	if len(got) != 1 || ids(got[0]) != "m1,m2" || got[0].params["night"] != "2025-03-04" {
		t.Fatalf("unusual hours: %+v", got)
	}
}

func TestNightSpans(t *testing.T) {
	spans := NightSpans(revFrom, revTo, revTZ)
	// 31 nights: the first from the month's start to 06:00, then 21:00 to
	// 06:00, the last from 21:00 on the 31st to the month's end.
	if len(spans) != 32 || !spans[0][0].Equal(revFrom) || !spans[0][1].Equal(local(1, 6, 0)) || !spans[31][1].Equal(revTo.UTC()) {
		t.Fatalf("spans: %d %v … %v", len(spans), spans[0], spans[len(spans)-1])
	}
	for _, s := range spans {
		if !atNight(s[0], revTZ) || !atNight(s[1].Add(-time.Second), revTZ) || atNight(s[1], revTZ) && !s[1].Equal(revTo.UTC()) {
			t.Fatalf("span %v is not night", s)
		}
	}
}

func TestReviewReportAndTable(t *testing.T) {
	units := []domain.OrgUnit{{ID: "s1", Level: domain.LevelSite, Name: "一号食堂"}}
	a := meal("m1", "s1", "E1", local(4, 11, 30))
	a.Name = "张*"
	b := meal("m2", "s2", "E1", local(4, 12, 10))
	b.InScope = false // the other site is outside the caller's scope
	v := meal("m3", "s1", "E2", local(6, 12, 0))
	v.Voided, v.VoidedBy = true, "st1"
	for _, lang := range Langs {
		rep, err := Review("2025-03", revTZ, lang, units, []domain.ReviewMeal{a, b, v}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Items) != 2 || rep.Items[0].Kind != KindTwoSites || rep.Items[1].Kind != KindVoid || rep.Counts[KindTwoSites] != 1 || rep.Counts[KindManualBurst] != 0 {
			t.Fatalf("%s: %+v", lang, rep)
		}
		other := rep.Items[0].Meals[1]
		if !other.Withheld || other.Credential != "" || other.PriceFen != 0 || other.EventID != "m2" || other.Site != "s2" {
			t.Fatalf("%s: the other site's meal shows more than it should: %+v", lang, other)
		}
		if !strings.Contains(rep.Items[0].Text, "张*") || !strings.Contains(rep.Items[0].Text, "一号食堂") {
			t.Fatalf("%s: text %q", lang, rep.Items[0].Text)
		}
		tab, err := ReviewTable(rep, lang, "一号食堂")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := tab.WriteCSV(&buf); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF")))
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		// title, unit, period, header, 3 meals, total.
		if len(recs) < 8 || recs[4][3] != "m1" || recs[5][3] != "m2" || recs[6][3] != "m3" || recs[7][1] != "2" || recs[4][11] != "15.00" {
			t.Fatalf("%s: csv %q", lang, recs)
		}
	}
}
