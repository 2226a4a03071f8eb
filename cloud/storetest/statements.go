package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/reports"
)

// testCloseMonth is acceptance test 2 of issue 12: November is closed for
// the district; a gateway offline over the month's end then delivers
// November 30 meals and voids. The closed statement's bytes and SHA-256
// do not change (and the month recomputed without the late events gives
// the same bytes); December lists the late events as adjustments labelled
// with their original date, and December's grand total is December's
// meals plus the adjustments. Also the refusals: a month not ended, a
// second close, an overlapping unit.
func testCloseMonth(t *testing.T, s domain.Store) {
	ctx := context.Background()
	for _, u := range settleTree {
		if _, err := s.CreateOrgUnit(ctx, u, base); err != nil {
			t.Fatalf("CreateOrgUnit(%s): %v", u.ID, err)
		}
	}
	e1 := settleElders[0]
	for _, gw := range []string{"gw-a1", "gw-b1"} {
		if _, err := s.ReplaceRoster(ctx, "site-"+gw, []eldergate.RosterElder{{Elder: e1.elder, Credentials: []eldergate.Credential{
			{Kind: eldergate.CredCard, Value: "C1", State: eldergate.CredActive}}}}, base); err != nil {
			t.Fatalf("ReplaceRoster: %v", err)
		}
	}
	tz, _ := time.LoadLocation("Asia/Shanghai")
	at := func(month time.Month, day, hour int) time.Time { return time.Date(2026, month, day, hour, 0, 0, 0, tz) }
	seq := map[string]uint64{}
	meal := func(gw string, when time.Time) eldergate.Envelope {
		seq[gw]++
		d := eldergate.MealData{ElderID: "E1", Window: "lunch", Day: when.In(tz).Format(time.DateOnly), Decision: eldergate.DecisionApproved,
			Reason: eldergate.ReasonOK, PriceFen: 1500, SubsidyFen: 400, PayFen: 1100, PolicyVer: "p1", Rule: e1.rule, Funding: e1.shares,
			OperatingFen: 100, OperatingBy: "district"}
		return envelope(t, gw, seq[gw], eldergate.KindMeal, when, d)
	}
	void := func(gw string, m eldergate.Envelope, when time.Time) eldergate.Envelope {
		seq[gw]++
		return envelope(t, gw, seq[gw], eldergate.KindAudit, when, map[string]any{"type": "meal_void", "staff": "staff-1", "meal_event_id": m.ID})
	}
	ingest := func(gw string, received time.Time, evs ...eldergate.Envelope) {
		t.Helper()
		if _, err := s.IngestBatch(ctx, gw, evs, received); err != nil {
			t.Fatalf("IngestBatch: %v", err)
		}
	}
	render := func(unit, month string) domain.StatementRender {
		return func(meals []domain.SettlementMealRow, funding []domain.SettlementFundingRow, adj []domain.SettlementAdjustment) ([]byte, error) {
			units, err := s.ListOrgUnits(ctx, unit)
			if err != nil {
				return nil, err
			}
			rep, err := reports.Settlement(month, tz, units, meals, funding, adj)
			if err != nil {
				return nil, err
			}
			return reports.StatementContent(rep)
		}
	}
	statement := func(unit, month string) domain.Statement {
		from, to, err := reports.ParseMonth(month, tz)
		if err != nil {
			t.Fatal(err)
		}
		return domain.Statement{Unit: unit, Month: month, TimeZone: tz.String(), From: from.UTC(), To: to.UTC(), ClosedBy: "admin"}
	}
	live := func(unit, month string) reports.SettlementReport {
		t.Helper()
		from, to, err := reports.ParseMonth(month, tz)
		if err != nil {
			t.Fatal(err)
		}
		units, _ := s.ListOrgUnits(ctx, unit)
		mr, fr, err := s.SettlementRows(ctx, unit, from, to)
		if err != nil {
			t.Fatalf("SettlementRows: %v", err)
		}
		adj, err := s.SettlementAdjustments(ctx, unit, month)
		if err != nil {
			t.Fatalf("SettlementAdjustments: %v", err)
		}
		rep, err := reports.Settlement(month, tz, units, mr, fr, adj)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	// November, delivered in time: m1, m2 (Nov 30, noon) at A1, m3 at
	// B1, m4 at A1 voided in time.
	m1, m2, m4 := meal("gw-a1", at(11, 10, 12)), meal("gw-a1", at(11, 30, 12)), meal("gw-a1", at(11, 15, 12))
	m3 := meal("gw-b1", at(11, 20, 12))
	ingest("gw-a1", at(11, 30, 13), m1, m2, m4, void("gw-a1", m4, at(11, 15, 13)))
	ingest("gw-b1", at(11, 30, 13), m3)
	closeAt := at(12, 1, 2)

	// Refusals: December has not ended; the unit is unknown.
	if _, err := s.CloseStatement(ctx, statement("d-settle", "2026-12"), closeAt, render("d-settle", "2026-12")); !errors.Is(err, domain.ErrInvalid) ||
		!strings.Contains(err.Error(), "has not ended") {
		t.Fatalf("closing December on December 1: %v, want ErrInvalid that says it has not ended", err)
	}
	if _, err := s.CloseStatement(ctx, statement("nowhere", "2026-11"), closeAt, render("nowhere", "2026-11")); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("closing an unknown unit: %v, want ErrInvalid", err)
	}
	st, err := s.CloseStatement(ctx, statement("d-settle", "2026-11"), closeAt, render("d-settle", "2026-11"))
	if err != nil {
		t.Fatalf("CloseStatement: %v", err)
	}
	sum := sha256.Sum256(st.Content)
	if st.Number != "JS-d-settle-202611-01" || st.SHA256 != hex.EncodeToString(sum[:]) || !st.ClosedAt.Equal(closeAt) || st.ClosedBy != "admin" {
		t.Fatalf("statement %s sha %s closed %v by %s", st.Number, st.SHA256, st.ClosedAt, st.ClosedBy)
	}
	frozen, err := reports.ReadStatement(st)
	if err != nil {
		t.Fatal(err)
	}
	if frozen.Total.Meals != 3 || frozen.Total.Voids != 1 || frozen.Total.SubsidyFen != 1200 || len(frozen.Adjustments) != 0 {
		t.Fatalf("November's statement: total %+v, %d adjustments", frozen.Total, len(frozen.Adjustments))
	}
	// A second close, and overlapping units.
	if _, err := s.CloseStatement(ctx, statement("d-settle", "2026-11"), closeAt, render("d-settle", "2026-11")); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("second close of November: %v, want ErrConflict", err)
	}
	for _, unit := range []string{"c1", "site-gw-b1", ""} {
		_, err := s.CloseStatement(ctx, statement(unit, "2026-11"), closeAt, render(unit, "2026-11"))
		if !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "twice") || !strings.Contains(err.Error(), st.Number) {
			t.Errorf("closing November for %q after the district: %v, want ErrInvalid naming %s", unit, err, st.Number)
		}
	}
	if cov, err := s.CoveringStatement(ctx, "c1", "2026-11"); err != nil || cov.Number != st.Number {
		t.Errorf("CoveringStatement(c1) = %s, %v", cov.Number, err)
	}
	if _, err := s.CoveringStatement(ctx, "c1", "2026-10"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("CoveringStatement(c1, October) = %v, want ErrNotFound", err)
	}

	// The gateway of A1 was offline over the month's end: on December 2 it
	// delivers L1 (Nov 30 18:00), L2 (Nov 30 19:00) with its void (a late
	// meal voided in time: nets to nothing), a void of m2 (in the
	// statement: a late void), and D1 of December 2.
	l1, l2, d1 := meal("gw-a1", at(11, 30, 18)), meal("gw-a1", at(11, 30, 19)), meal("gw-a1", at(12, 2, 11))
	v2, vm2 := void("gw-a1", l2, at(11, 30, 19).Add(time.Minute)), void("gw-a1", m2, at(11, 30, 20))
	ingest("gw-a1", at(12, 2, 12), l1, l2, v2, vm2, d1)

	// The statement is unchanged, and its bytes hash to the stored SHA-256.
	again, err := s.StatementByNumber(ctx, st.Number)
	if err != nil {
		t.Fatal(err)
	}
	sum = sha256.Sum256(again.Content)
	if !bytes.Equal(again.Content, st.Content) || again.SHA256 != st.SHA256 || hex.EncodeToString(sum[:]) != again.SHA256 {
		t.Fatalf("the closed statement changed: sha %s -> %s (hash of bytes %x)", st.SHA256, again.SHA256, sum)
	}
	if of, err := s.StatementOf(ctx, "d-settle", "2026-11"); err != nil || !bytes.Equal(of.Content, st.Content) {
		t.Fatalf("StatementOf: %v", err)
	}
	// November recomputed leaves the late events out: the same bytes.
	if b, err := reports.StatementContent(live("d-settle", "2026-11")); err != nil || !bytes.Equal(b, st.Content) {
		t.Fatalf("November recomputed after the late events differs from its statement:\n%s\n%s", b, st.Content)
	}

	// December: D1 in the rows; L1 (+) and the void of m2 (−) as
	// adjustments labelled November 30; the grand total is both.
	dec := live("d-settle", "2026-12")
	if dec.Total.Meals != 1 || dec.Total.SubsidyFen != 400 {
		t.Errorf("December's own meals: %+v", dec.Total)
	}
	var kinds []string
	for _, a := range dec.Adjustments {
		kinds = append(kinds, fmt.Sprintf("%s %s %s %s %d %d", a.Kind, a.MealEventID, a.Day, a.Site, a.Meals, a.SubsidyFen))
	}
	want := []string{
		fmt.Sprintf("late_meal %s 2026-11-30 site-gw-a1 1 400", l1.ID),
		fmt.Sprintf("late_void %s 2026-11-30 site-gw-a1 -1 -400", m2.ID),
	}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("December's adjustments:\n got %v\nwant %v", kinds, want)
	}
	if a := dec.Adjustments[1]; a.EventID != vm2.ID || !a.EventAt.Equal(at(11, 30, 20)) || !a.At.Equal(at(11, 30, 12)) || a.Funding["city"] != -200 {
		t.Errorf("late void line: event %s at %v meal at %v funding %v", a.EventID, a.EventAt, a.At, a.Funding)
	}
	if dec.AdjustmentTotal.Meals != 0 || dec.AdjustmentTotal.SubsidyFen != 0 {
		t.Errorf("adjustment total %+v, want one meal in and one out", dec.AdjustmentTotal)
	}
	g := dec.GrandTotal
	if g.Meals != dec.Total.Meals+dec.AdjustmentTotal.Meals || g.SubsidyFen != dec.Total.SubsidyFen+dec.AdjustmentTotal.SubsidyFen ||
		g.OperatingFen != dec.Total.OperatingFen+dec.AdjustmentTotal.OperatingFen || g.Funding["district"] != 150 || g.PriceFen != 1500 {
		t.Errorf("grand total %+v, month %+v, adjustments %+v", g, dec.Total, dec.AdjustmentTotal)
	}
	// No late meal counts in December's or November's rows.
	for _, r := range dec.Rows {
		if r.Unit == "site-gw-a1" && r.Meals != 1 {
			t.Errorf("December row of A1 counts %d meals, want D1 only", r.Meals)
		}
	}
	// Scoped: community c2 (B1) has no adjustment.
	if c2 := live("c2", "2026-12"); len(c2.Adjustments) != 0 {
		t.Errorf("c2's December has adjustments: %+v", c2.Adjustments)
	}

	// December closed on January 1 (with its adjustments); then, on
	// January 3, a void of L1 (paid by December's statement) and a meal of
	// November 29 (November and December both closed): both go to
	// January.
	decSt, err := s.CloseStatement(ctx, statement("d-settle", "2026-12"), time.Date(2027, 1, 1, 1, 0, 0, 0, tz), render("d-settle", "2026-12"))
	if err != nil {
		t.Fatalf("closing December: %v", err)
	}
	if rep, _ := reports.ReadStatement(decSt); len(rep.Adjustments) != 2 || rep.GrandTotal.Meals != 1 {
		t.Errorf("December's statement: %d adjustments, grand total %d meals", len(rep.Adjustments), rep.GrandTotal.Meals)
	}
	vl1, l3 := void("gw-a1", l1, time.Date(2027, 1, 3, 9, 0, 0, 0, tz)), meal("gw-a1", at(11, 29, 12))
	ingest("gw-a1", time.Date(2027, 1, 3, 10, 0, 0, 0, tz), vl1, l3)
	jan := live("d-settle", "2027-01")
	kinds = kinds[:0]
	for _, a := range jan.Adjustments {
		kinds = append(kinds, fmt.Sprintf("%s %s %s %d", a.Kind, a.MealEventID, a.Day, a.Meals))
	}
	want = []string{fmt.Sprintf("late_meal %s 2026-11-29 1", l3.ID), fmt.Sprintf("late_void %s 2026-11-30 -1", l1.ID)}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("January's adjustments:\n got %v\nwant %v", kinds, want)
	}
	if b, err := reports.StatementContent(live("d-settle", "2026-12")); err != nil || !bytes.Equal(b, decSt.Content) {
		t.Errorf("December recomputed after January's events differs from its statement")
	}

	// The list, scoped.
	if l, err := s.ListStatements(ctx, ""); err != nil || len(l) != 2 || l[0].Number != "JS-d-settle-202612-01" || l[0].Content != nil {
		t.Errorf("ListStatements: %v %v", l, err)
	}
	if l, err := s.ListStatements(ctx, "c1"); err != nil || len(l) != 0 {
		t.Errorf("ListStatements(c1) = %v, %v; want none (the district's is not within c1)", l, err)
	}
	if _, err := s.StatementByNumber(ctx, "JS-x-202611-01"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("StatementByNumber(unknown) = %v", err)
	}
	// Every site, for October: refused while no month of its sites is
	// closed? No: October is free, and closing it for every site works;
	// then a community's October overlaps.
	all, err := s.CloseStatement(ctx, statement("", "2026-10"), closeAt, render("", "2026-10"))
	if err != nil || all.Number != "JS-ALL-202610-01" {
		t.Fatalf("closing October for every site: %v %v", all.Number, err)
	}
	if _, err := s.CloseStatement(ctx, statement("c2", "2026-10"), closeAt, render("c2", "2026-10")); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("closing October for c2 under the all-sites statement: %v", err)
	}
}
