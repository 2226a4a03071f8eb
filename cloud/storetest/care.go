package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/care"
	"github.com/eldergate/eldergate/cloud/domain"
)

// testCareSignal: the care signal (issue 12, acceptance 4) on the store's
// rows with an injected clock: of a regular who stops, a regular who
// still comes, an irregular who stops, a regular taken off the roster and
// a regular of another community, exactly the first is on the visit list
// of its community; a visit takes them off; rules are inherited.
func testCareSignal(t *testing.T, s domain.Store) {
	ctx := context.Background()
	for _, u := range []domain.OrgUnit{
		{ID: "d-care", Level: domain.LevelDistrict, Name: "区"},
		{ID: "s-care", ParentID: "d-care", Level: domain.LevelStreet, Name: "街道"},
		{ID: "c-ca", ParentID: "s-care", Level: domain.LevelCommunity, Name: "甲社区"},
		{ID: "c-cb", ParentID: "s-care", Level: domain.LevelCommunity, Name: "乙社区"},
		{ID: "site-ca1", ParentID: "c-ca", Level: domain.LevelSite, Name: "甲一"},
		{ID: "site-ca2", ParentID: "c-ca", Level: domain.LevelSite, Name: "甲二"},
		{ID: "site-cb1", ParentID: "c-cb", Level: domain.LevelSite, Name: "乙一"},
	} {
		if _, err := s.CreateOrgUnit(ctx, u, base); err != nil {
			t.Fatal(err)
		}
	}
	elder := func(id, name string) eldergate.RosterElder {
		return eldergate.RosterElder{Elder: eldergate.Elder{ID: id, Name: name, Card: "C" + id, Active: true},
			Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "C" + id, State: eldergate.CredActive}}}
	}
	ca := []eldergate.RosterElder{elder("e-stop", "张大爷"), elder("e-come", "李奶奶"), elder("e-irr", "王大爷"), elder("e-gone", "赵奶奶")}
	if _, err := s.ReplaceRoster(ctx, "site-ca1", ca, base); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReplaceRoster(ctx, "site-cb1", []eldergate.RosterElder{elder("e-other", "陈大爷")}, base); err != nil {
		t.Fatal(err)
	}

	sh := time.FixedZone("CST", 8*3600)
	at := func(day string, hh int) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, day, sh)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(time.Duration(hh) * time.Hour)
	}
	seq := map[string]uint64{}
	var batch []eldergate.Envelope
	eat := func(gw, elder string, t0 time.Time) {
		seq[gw]++
		batch = append(batch, Meal(t, gw, seq[gw], elder, t0.UTC()))
	}
	// Four weeks from Monday 2025-03-03: Monday, Wednesday and Friday
	// lunch for the regulars (e-stop's Fridays at the other site of the
	// community), Monday and Wednesday only for e-irr.
	first := at("2025-03-03", 12)
	for d := 0; d < 28; d++ {
		t0 := first.AddDate(0, 0, d)
		wd := t0.Weekday()
		if wd != time.Monday && wd != time.Wednesday && wd != time.Friday {
			continue
		}
		gwStop := "ca1"
		if wd == time.Friday {
			gwStop = "ca2"
		}
		eat(gwStop, "e-stop", t0)
		eat("ca1", "e-come", t0)
		eat("ca1", "e-gone", t0)
		eat("cb1", "e-other", t0)
		if wd != time.Friday {
			eat("ca1", "e-irr", t0)
		}
	}
	// e-come keeps coming; a refused tap of e-stop is no meal.
	for _, d := range []string{"2025-03-31", "2025-04-02", "2025-04-04"} {
		eat("ca1", "e-come", at(d, 12))
	}
	for gw := range seq {
		var mine []eldergate.Envelope
		for _, e := range batch {
			if e.GW == gw {
				mine = append(mine, e)
			}
		}
		if _, err := s.IngestBatch(ctx, gw, mine, at("2025-04-05", 0)); err != nil {
			t.Fatalf("ingest %s: %v", gw, err)
		}
	}
	refusedMeal(t, s, "ca1", at("2025-04-02", 12))
	// e-gone leaves the roster.
	if _, err := s.ReplaceRoster(ctx, "site-ca1", ca[:3], at("2025-04-01", 9)); err != nil {
		t.Fatal(err)
	}

	ids := func(es []care.Entry) []string {
		var out []string
		for _, e := range es {
			if !e.Visited {
				out = append(out, e.ElderID)
			}
		}
		return out
	}
	list := func(scope string, now time.Time) []care.Entry {
		t.Helper()
		es, err := care.List(ctx, s, scope, now)
		if err != nil {
			t.Fatalf("care list of %s: %v", scope, err)
		}
		return es
	}
	// Last meal Friday 2025-03-28: six days later nobody is flagged; at
	// 00:30 of the seventh day in Shanghai (still the sixth in UTC) e-stop is.
	if got := ids(list("c-ca", at("2025-04-03", 23).Add(30*time.Minute))); len(got) != 0 {
		t.Fatalf("six days away: flagged %v", got)
	}
	now := at("2025-04-04", 0).Add(30 * time.Minute)
	got := list("c-ca", now)
	if ids(got) == nil || len(ids(got)) != 1 || got[0].ElderID != "e-stop" {
		t.Fatalf("community c-ca at %v: %+v, want only e-stop", now, got)
	}
	e := got[0]
	if e.Name != eldergate.MaskName("张大爷") || e.Name == "张大爷" || e.Site != "site-ca1" || e.Community != "c-ca" ||
		e.LastSite != "site-ca2" || e.LastDay != "2025-03-28" || e.DaysAbsent != 7 ||
		!e.LastSeen.Equal(at("2025-03-28", 12)) || len(e.Weekly) != 4 || e.Weekly[0] != 3 || e.Weekly[3] != 3 ||
		e.Rule != domain.DefaultCareRule || e.LastVisit != nil {
		t.Fatalf("entry: %+v", e)
	}
	if got := ids(list("c-cb", now)); len(got) != 1 || got[0] != "e-other" {
		t.Fatalf("community c-cb: %v, want only e-other", got)
	}
	if got := ids(list("d-care", now)); len(got) != 2 || got[0] != "e-stop" || got[1] != "e-other" {
		t.Fatalf("district: %v, want e-stop (c-ca) then e-other (c-cb)", got)
	}

	// A visit marked after the last meal takes e-stop off the list.
	v := domain.CareVisit{ID: NewID(t), ElderID: "e-stop", Site: "site-ca1", Community: "c-ca",
		Outcome: domain.VisitHospital, Note: "住院了，女儿陪护", MarkedBy: "worker", At: now.Add(time.Hour)}
	if err := s.AddCareVisit(ctx, v); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCareVisit(ctx, v); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("same visit id again: %v, want ErrConflict", err)
	}
	later := now.Add(48 * time.Hour)
	got = list("c-ca", later)
	if len(ids(got)) != 0 || len(got) != 1 || !got[0].Visited || got[0].LastVisit == nil ||
		got[0].LastVisit.Note != v.Note || got[0].LastVisit.Outcome != domain.VisitHospital || !got[0].LastVisit.At.Equal(v.At) {
		t.Fatalf("after the visit: %+v", got)
	}
	if vs, err := s.CareVisits(ctx, "c-cb"); err != nil || len(vs) != 0 {
		t.Fatalf("visits of c-cb: %v, %v", vs, err)
	}

	// Rules are inherited: the district's 14 days hold everywhere below
	// it until a community sets its own.
	if err := s.PutCareRule(ctx, "d-care", []byte(`{"absent_days":14}`), "admin", now); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCareRule(ctx, "nowhere", []byte(`{}`), "admin", now); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("rule of no unit: %v", err)
	}
	if r, from, err := care.RuleOf(ctx, s, "site-cb1"); err != nil || from != "d-care" || r.AbsentDays != 14 || r.Weeks != 4 {
		t.Fatalf("inherited rule: %+v from %q, %v", r, from, err)
	}
	if got := ids(list("d-care", now)); len(got) != 0 {
		t.Fatalf("14 days rule after 7 days: %v", got)
	}
	if err := s.PutCareRule(ctx, "c-cb", []byte(`{"absent_days":5,"weeks":2}`), "admin", now); err != nil {
		t.Fatal(err)
	}
	if got := list("d-care", now); len(ids(got)) != 1 || got[0].ElderID != "e-other" || len(got[0].Weekly) != 2 {
		t.Fatalf("c-cb's own rule: %+v", got)
	}
}

// refusedMeal stores a refused tap of e-stop: not a meal for the signal.
func refusedMeal(t *testing.T, s domain.Store, gw string, at time.Time) {
	t.Helper()
	d := eldergate.MealData{ElderID: "e-stop", Window: "lunch", Day: at.In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly),
		Decision: eldergate.DecisionRefused, Reason: eldergate.ReasonAlreadyServed, PolicyVer: "p1"}
	e := envelope(t, gw, 200, eldergate.KindMeal, at.UTC(), d)
	if _, err := s.IngestBatch(context.Background(), gw, []eldergate.Envelope{e}, at.UTC()); err != nil {
		t.Fatalf("refused meal: %v", err)
	}
}
