package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// testCharity: a fund's month equals the sums computed here from
// generated meals with mixed funding layers (the fund's, another fund's,
// none) and voids, per site, per day and per elder; a meal without the
// fund's layer is not counted; the funds and publications are kept.
func testCharity(t *testing.T, s domain.Store) {
	ctx := context.Background()
	for _, u := range settleTree {
		if _, err := s.CreateOrgUnit(ctx, u, base); err != nil {
			t.Fatalf("CreateOrgUnit(%s): %v", u.ID, err)
		}
	}
	names := map[string]string{"E0001": "张三明", "E0002": "李秀英", "E0003": "王建国", "E0004": "陈美玲"}
	gws := []string{"gw-a1", "gw-a2", "gw-b1"}
	for _, gw := range gws {
		var roster []eldergate.RosterElder
		for i, id := range []string{"E0001", "E0002", "E0003"} { // E0004 is on no roster
			roster = append(roster, eldergate.RosterElder{Elder: eldergate.Elder{ID: id, Name: names[id], Active: true},
				Credentials: []eldergate.Credential{{Kind: eldergate.CredCard, Value: fmt.Sprintf("C%d", i+1), State: eldergate.CredActive}}})
		}
		if _, err := s.ReplaceRoster(ctx, "site-"+gw, roster, base); err != nil {
			t.Fatalf("ReplaceRoster: %v", err)
		}
	}

	// Funds.
	fund := domain.CharityFund{ID: "fund-a", Names: domain.CharityNames{ZhCN: "爱心基金", ZhHK: "愛心基金", En: "Kind Hearts Fund"},
		Unit: "d-settle", CreatedAt: base, CreatedBy: "admin"}
	if err := s.CreateCharityFund(ctx, fund); err != nil {
		t.Fatalf("CreateCharityFund: %v", err)
	}
	if err := s.CreateCharityFund(ctx, fund); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("CreateCharityFund twice = %v, want ErrConflict", err)
	}
	other := fund
	other.ID, other.Unit = "fund-b", "nowhere"
	if err := s.CreateCharityFund(ctx, other); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("CreateCharityFund with an unknown unit = %v, want ErrNotFound", err)
	}
	other.Unit = "c2"
	if err := s.CreateCharityFund(ctx, other); err != nil {
		t.Fatal(err)
	}
	bad := fund
	bad.ID = "Fund A"
	if err := s.CreateCharityFund(ctx, bad); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("CreateCharityFund(bad id) = %v, want ErrInvalid", err)
	}
	got, err := s.CharityFund(ctx, "fund-a")
	if err != nil || got.Names != fund.Names || got.Unit != "d-settle" || !got.CreatedAt.Equal(base) || got.CreatedBy != "admin" {
		t.Errorf("CharityFund = %+v, %v", got, err)
	}
	if _, err := s.CharityFund(ctx, "fund-x"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("CharityFund(unknown) = %v", err)
	}
	list, err := s.ListCharityFunds(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "fund-a" || list[1].ID != "fund-b" {
		t.Errorf("ListCharityFunds = %+v, %v", list, err)
	}

	// Meals of March 2025 (and a few either side), with random layers.
	tz, _ := time.LoadLocation("Asia/Shanghai")
	from, to, err := reports.ParseMonth("2025-03", tz)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	seq := map[string]uint64{}
	type meal struct {
		e      eldergate.Envelope
		d      eldergate.MealData
		voided bool
	}
	var meals []meal
	batches := map[string][]eldergate.Envelope{}
	var voids []eldergate.Envelope
	elders := []string{"E0001", "E0002", "E0003", "E0004"}
	for i := range 160 {
		gw := gws[rng.IntN(len(gws))]
		at := from.Add(-30*time.Hour + time.Duration(i)*5*time.Hour + time.Duration(rng.IntN(3000))*time.Second)
		d := eldergate.MealData{ElderID: elders[rng.IntN(len(elders))], Window: "lunch", Day: at.In(tz).Format(time.DateOnly),
			Decision: eldergate.DecisionApproved, Reason: eldergate.ReasonOK, PriceFen: 1500, PolicyVer: "p1"}
		switch rng.IntN(5) {
		case 0: // no charity at all
			d.Funding = []eldergate.FundingShare{{Layer: "city", Code: "440300", Fen: 300}, {Layer: "district", Code: "440304", Fen: 500}}
		case 1: // the other fund
			d.Funding = []eldergate.FundingShare{{Layer: "fund-b", Fen: 200}, {Layer: "district", Code: "440304", Fen: 600}}
		case 2: // both funds
			d.Funding = []eldergate.FundingShare{{Layer: "fund-a", Fen: 100}, {Layer: "fund-b", Fen: 50}, {Layer: "district", Code: "440304", Fen: 650}}
		case 3: // refused: no meal, no share
			d.Decision, d.Reason, d.PriceFen = eldergate.DecisionRefused, "subsidy_limit_reached", 0
		default:
			d.Funding = []eldergate.FundingShare{{Layer: "city", Code: "440300", Fen: 300}, {Layer: "fund-a", Fen: int64Fen(100 + rng.IntN(4)*50)}, {Layer: "district", Code: "440304", Fen: 300}}
		}
		for _, f := range d.Funding {
			d.SubsidyFen += f.Fen
		}
		d.PayFen = d.PriceFen - d.SubsidyFen
		if d.Decision == eldergate.DecisionRefused {
			d.PayFen = 0
		}
		seq[gw]++
		e := envelope(t, gw, seq[gw], eldergate.KindMeal, at, d)
		m := meal{e: e, d: d}
		if d.Decision != eldergate.DecisionRefused && rng.IntN(6) == 0 {
			seq[gw]++
			voids = append(voids, envelope(t, gw, seq[gw], eldergate.KindAudit, at.Add(time.Minute), map[string]any{
				"type": "meal_void", "staff": "staff-1", "meal_event_id": e.ID}))
			m.voided = true
		}
		meals = append(meals, m)
		batches[gw] = append(batches[gw], e)
	}
	for _, gw := range gws {
		if _, err := s.IngestBatch(ctx, gw, batches[gw], base); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
	}
	for _, v := range voids {
		if _, err := s.IngestBatch(ctx, v.GW, []eldergate.Envelope{v}, base); err != nil {
			t.Fatalf("IngestBatch(void): %v", err)
		}
	}

	// The expected figures, from the meals as built.
	type fig struct {
		meals, fen int64
		elders     map[string]bool
	}
	newFig := func() *fig { return &fig{elders: map[string]bool{}} }
	inScope := map[string][]string{"d-settle": {"site-gw-a1", "site-gw-a2", "site-gw-b1"}, "c2": {"site-gw-b1"}}
	for _, scope := range []string{"d-settle", "c2"} {
		total, sites, days, perElder := newFig(), map[string]*fig{}, map[string]*fig{}, map[string]*fig{}
		var voided, voidFen, withoutFund int64
		add := func(m map[string]*fig, k string) *fig {
			if m[k] == nil {
				m[k] = newFig()
			}
			return m[k]
		}
		for _, m := range meals {
			if m.e.At.Before(from) || !m.e.At.Before(to) || !slices.Contains(inScope[scope], m.e.Site) || m.d.Decision == eldergate.DecisionRefused {
				continue
			}
			var fen int64
			has := false
			for _, f := range m.d.Funding {
				if f.Layer == "fund-a" {
					fen, has = int64(f.Fen), true
				}
			}
			if !has {
				withoutFund++
				continue
			}
			if m.voided {
				voided++
				voidFen += fen
				continue
			}
			for _, f := range []*fig{total, add(sites, m.e.Site), add(days, m.d.Day), add(perElder, m.d.ElderID)} {
				f.meals++
				f.fen += fen
				f.elders[m.d.ElderID] = true
			}
		}
		if scope == "d-settle" && (withoutFund == 0 || voided == 0 || total.meals == 0 || len(perElder) < 4) {
			t.Fatalf("the generated month lacks a case: without the fund %d, voided %d, meals %d, elders %d", withoutFund, voided, total.meals, len(perElder))
		}
		rows, gotNames, err := s.CharityRows(ctx, "fund-a", scope, from, to)
		if err != nil {
			t.Fatalf("CharityRows: %v", err)
		}
		units, err := s.ListOrgUnits(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.CharityFund(ctx, "fund-a")
		rep, err := reports.Charity(got, "2025-03", tz, units, rows, gotNames)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Meals != total.meals || rep.Fen != total.fen || rep.Elders != int64(len(total.elders)) || rep.Voids != voided || rep.VoidFen != voidFen {
			t.Errorf("%s: meals %d fen %d elders %d voids %d/%d, want %d %d %d %d/%d", scope, rep.Meals, rep.Fen, rep.Elders, rep.Voids, rep.VoidFen,
				total.meals, total.fen, len(total.elders), voided, voidFen)
		}
		if len(rep.Sites) != len(sites) {
			t.Errorf("%s: %d sites, want %d", scope, len(rep.Sites), len(sites))
		}
		for _, st := range rep.Sites {
			w := sites[st.Site]
			if w == nil || st.Meals != w.meals || st.Fen != w.fen || st.Elders != int64(len(w.elders)) || st.District != "结算区" || !st.InTree {
				t.Errorf("%s: site %+v, want %+v", scope, st, w)
			}
		}
		if len(rep.Days) != len(days) {
			t.Errorf("%s: %d days, want %d", scope, len(rep.Days), len(days))
		}
		for _, d := range rep.Days {
			w := days[d.Day]
			if w == nil || d.Meals != w.meals || d.Fen != w.fen || d.Elders != int64(len(w.elders)) {
				t.Errorf("%s: day %+v, want %+v", scope, d, w)
			}
		}
		if len(rep.ElderLines) != len(perElder) {
			t.Errorf("%s: %d elders, want %d", scope, len(rep.ElderLines), len(perElder))
		}
		for _, e := range rep.ElderLines {
			var id string
			for k := range perElder {
				if eldergate.MaskID(k) == e.ID {
					id = k
				}
			}
			w := perElder[id]
			if w == nil || e.Meals != w.meals || e.Fen != w.fen || e.Name != eldergate.MaskName(names[id]) && id != "E0004" || id == "E0004" && e.Name != "" {
				t.Errorf("%s: elder %+v, want %s %+v", scope, e, id, w)
			}
		}
	}

	// A fund no meal has: nothing.
	rows, _, err := s.CharityRows(ctx, "fund-z", "", from, to)
	if err != nil || len(rows) != 0 {
		t.Errorf("CharityRows(fund-z) = %v, %v", rows, err)
	}

	// Publications.
	p1 := domain.CharityPublication{ID: "AAAAAAAAAAAAAAAAAAAAAA", Fund: "fund-a", Month: "2025-03", Unit: "d-settle",
		Body: []byte(`{"id":"AAAAAAAAAAAAAAAAAAAAAA"}`), SHA256: "ab", PublishedAt: base, PublishedBy: "admin"}
	p2 := p1
	p2.ID, p2.Fund, p2.PublishedAt, p2.Unit = "BBBBBBBBBBBBBBBBBBBBBB", "fund-b", base.Add(time.Hour), ""
	for _, p := range []domain.CharityPublication{p1, p2} {
		if err := s.AddCharityPublication(ctx, p); err != nil {
			t.Fatalf("AddCharityPublication: %v", err)
		}
	}
	if err := s.AddCharityPublication(ctx, p1); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("AddCharityPublication twice = %v, want ErrConflict", err)
	}
	gp, err := s.CharityPublication(ctx, p1.ID)
	if err != nil || string(gp.Body) != string(p1.Body) || gp.SHA256 != "ab" || !gp.PublishedAt.Equal(base) || gp.Unit != "d-settle" {
		t.Errorf("CharityPublication = %+v, %v", gp, err)
	}
	if _, err := s.CharityPublication(ctx, "CCCCCCCCCCCCCCCCCCCCCC"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("CharityPublication(unknown) = %v", err)
	}
	all, err := s.ListCharityPublications(ctx, "")
	if err != nil || len(all) != 2 || all[0].ID != p2.ID {
		t.Errorf("ListCharityPublications = %+v, %v (want newest first)", all, err)
	}
	some, err := s.ListCharityPublications(ctx, "fund-a")
	if err != nil || len(some) != 1 || some[0].ID != p1.ID {
		t.Errorf("ListCharityPublications(fund-a) = %+v, %v", some, err)
	}
}

func int64Fen(n int) eldergate.Fen { return eldergate.Fen(n) }
