package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/care"
	"github.com/eldergate/eldergate/cloud/domain"
)

// BenchCareList fills s with a district of sites × elders elders who ate
// lunch on Monday, Wednesday and Friday for days days (one in ten
// stopped ten days before the end), then times care.List of the whole
// district. It reports the meals stored and the elders flagged.
func BenchCareList(b *testing.B, s domain.Store, sites, elders, days int) {
	ctx := context.Background()
	end := time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC) // noon in Shanghai
	units := []domain.OrgUnit{{ID: "d-bench", Level: domain.LevelDistrict, Name: "区"},
		{ID: "s-bench", ParentID: "d-bench", Level: domain.LevelStreet, Name: "街道"}}
	for c := 0; c < sites/5+1; c++ {
		units = append(units, domain.OrgUnit{ID: fmt.Sprintf("c-bench-%d", c), ParentID: "s-bench", Level: domain.LevelCommunity, Name: "社区"})
	}
	for i := 0; i < sites; i++ {
		units = append(units, domain.OrgUnit{ID: fmt.Sprintf("site-g%03d", i), ParentID: fmt.Sprintf("c-bench-%d", i/5), Level: domain.LevelSite, Name: "站点"})
	}
	for _, u := range units {
		if _, err := s.CreateOrgUnit(ctx, u, end.AddDate(-1, 0, 0)); err != nil {
			b.Fatal(err)
		}
	}
	meals := 0
	for i := 0; i < sites; i++ {
		gw := fmt.Sprintf("g%03d", i)
		site := "site-" + gw
		var roster []eldergate.RosterElder
		for e := 0; e < elders; e++ {
			id := fmt.Sprintf("E%03d-%03d", i, e)
			roster = append(roster, eldergate.RosterElder{Elder: eldergate.Elder{ID: id, Name: "老人" + id, Card: "C" + id, Active: true},
				Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: "C" + id, State: eldergate.CredActive}}})
		}
		if _, err := s.ReplaceRoster(ctx, site, roster, end.AddDate(-1, 0, 0)); err != nil {
			b.Fatal(err)
		}
		var batch []eldergate.Envelope
		seq := uint64(0)
		flush := func() {
			if len(batch) == 0 {
				return
			}
			if _, err := s.IngestBatch(ctx, gw, batch, end); err != nil {
				b.Fatal(err)
			}
			meals += len(batch)
			batch = batch[:0]
		}
		for d := days; d >= 0; d-- {
			at := end.AddDate(0, 0, -d)
			if wd := at.Weekday(); wd != time.Monday && wd != time.Wednesday && wd != time.Friday {
				continue
			}
			for e := 0; e < elders; e++ {
				if e%10 == 0 && d < 10 {
					continue // stopped
				}
				seq++
				batch = append(batch, Meal(b, gw, seq, fmt.Sprintf("E%03d-%03d", i, e), at.Add(time.Duration(e)*time.Second)))
				if len(batch) == 500 {
					flush()
				}
			}
		}
		flush()
	}
	now := end.Add(6 * time.Hour)
	var flagged int
	b.ResetTimer()
	for b.Loop() {
		es, err := care.List(ctx, s, "d-bench", now)
		if err != nil {
			b.Fatal(err)
		}
		flagged = len(es)
	}
	b.ReportMetric(float64(meals), "meals")
	b.ReportMetric(float64(flagged), "flagged")
	if want := sites * ((elders + 9) / 10); flagged != want {
		b.Fatalf("flagged %d, want %d", flagged, want)
	}
}
