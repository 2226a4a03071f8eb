package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// OrgTree is the two-district tree of the org tests (ids of the units in
// creation order, each with its parent and level). The sites are named
// after the gateways of the test envelopes ("site-" + gateway id).
var OrgTree = []domain.OrgUnit{
	{ID: "d-north", Level: domain.LevelDistrict, Name: "北区"},
	{ID: "st-a", ParentID: "d-north", Level: domain.LevelStreet, Name: "A 街道"},
	{ID: "c-a1", ParentID: "st-a", Level: domain.LevelCommunity, Name: "A1 社区"},
	{ID: "site-gw-a1", ParentID: "c-a1", Level: domain.LevelSite, Name: "A1 食堂"},
	{ID: "site-gw-a2", ParentID: "c-a1", Level: domain.LevelSite, Name: "A2 食堂"},
	{ID: "st-b", ParentID: "d-north", Level: domain.LevelStreet, Name: "B 街道"},
	{ID: "c-b1", ParentID: "st-b", Level: domain.LevelCommunity, Name: "B1 社区"},
	{ID: "site-gw-b1", ParentID: "c-b1", Level: domain.LevelSite, Name: "B1 食堂"},
	{ID: "d-south", Level: domain.LevelDistrict, Name: "南区"},
	{ID: "st-s", ParentID: "d-south", Level: domain.LevelStreet, Name: "S 街道"},
	{ID: "c-s1", ParentID: "st-s", Level: domain.LevelCommunity, Name: "S1 社区"},
	{ID: "site-gw-s1", ParentID: "c-s1", Level: domain.LevelSite, Name: "S1 食堂"},
}

// CreateOrgTree creates OrgTree in s.
func CreateOrgTree(t testing.TB, s domain.Store) {
	t.Helper()
	for _, u := range OrgTree {
		if _, err := s.CreateOrgUnit(context.Background(), u, base); err != nil {
			t.Fatalf("CreateOrgUnit(%s): %v", u.ID, err)
		}
	}
}

func testOrg(t *testing.T, s domain.Store) {
	CreateOrgTree(t, s)
	t.Run("TreeRules", func(t *testing.T) { testOrgTreeRules(t, s) })
	t.Run("SubtreeScoping", func(t *testing.T) { testOrgScoping(t, s) })
	t.Run("APITokens", func(t *testing.T) { testAPITokens(t, s) })
	t.Run("DivisionCodes", func(t *testing.T) { testOrgCodes(t, s) })
}

// testOrgCodes: division codes are set at creation and by UpdateOrgUnit,
// checked by level and against the codes above and below the unit
// (ErrInvalidOrg, nothing changed), cleared with ""; the name changes
// alone; SitePlace reads a site's jurisdiction from them.
func testOrgCodes(t *testing.T, s domain.Store) {
	ctx := context.Background()
	code := func(c string) domain.OrgUnitChange { return domain.OrgUnitChange{Code: &c} }
	if u, err := s.UpdateOrgUnit(ctx, "d-south", code("440305")); err != nil || u.Code != "440305" || u.Path != "/d-south/" {
		t.Fatalf("district code: %+v, %v", u, err)
	}
	if _, err := s.UpdateOrgUnit(ctx, "st-s", code("440304001")); !errors.Is(err, domain.ErrInvalidOrg) {
		t.Errorf("street code outside its district's: %v", err)
	}
	if _, err := s.UpdateOrgUnit(ctx, "st-s", code("440305001")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateOrgUnit(ctx, "d-south", code("440306")); !errors.Is(err, domain.ErrInvalidOrg) {
		t.Errorf("district code its street's no longer begins with: %v", err)
	}
	for id, c := range map[string]string{"site-gw-s1": "440305", "c-s1": "440305001001", "st-s": "440305", "d-south": "4403050"} {
		if _, err := s.UpdateOrgUnit(ctx, id, code(c)); !errors.Is(err, domain.ErrInvalidOrg) {
			t.Errorf("%s code %q: %v", id, c, err)
		}
	}
	if _, err := s.UpdateOrgUnit(ctx, "nope", code("440305")); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown unit: %v", err)
	}
	name := "S 街道办事处"
	if u, err := s.UpdateOrgUnit(ctx, "st-s", domain.OrgUnitChange{Name: &name}); err != nil || u.Name != name || u.Code != "440305001" {
		t.Errorf("rename: %+v, %v", u, err)
	}
	if _, err := s.CreateOrgUnit(ctx, domain.OrgUnit{ID: "st-s2", ParentID: "d-south", Level: domain.LevelStreet, Name: "S2", Code: "440399002"}, base); !errors.Is(err, domain.ErrInvalidOrg) {
		t.Errorf("create a street outside its district's code: %v", err)
	}
	if u, err := s.CreateOrgUnit(ctx, domain.OrgUnit{ID: "st-s2", ParentID: "d-south", Level: domain.LevelStreet, Name: "S2", Code: "440305002"}, base); err != nil || u.Code != "440305002" {
		t.Errorf("create with a code: %+v, %v", u, err)
	}
	all, err := s.ListOrgUnits(ctx, "d-south")
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := domain.SitePlace(all, "site-gw-s1"); !ok || p.City != "440300" || p.District != "440305" || p.Street != "440305001" {
		t.Errorf("SitePlace(site-gw-s1) = %+v, %v", p, ok)
	}
	if u, err := s.UpdateOrgUnit(ctx, "st-s", code("")); err != nil || u.Code != "" {
		t.Errorf("clear: %+v, %v", u, err)
	}
	if u, _ := s.OrgUnit(ctx, "st-s"); u.Code != "" || u.Name != name {
		t.Errorf("stored %+v", u)
	}
}

// testOrgTreeRules: the level order is enforced (a district has no
// parent, every other level hangs under the level above it), ids are
// slugs of at most 64 characters and unique, paths are materialised.
func testOrgTreeRules(t *testing.T, s domain.Store) {
	ctx := context.Background()
	u, err := s.OrgUnit(ctx, "site-gw-a1")
	if err != nil || u.Path != "/d-north/st-a/c-a1/site-gw-a1/" || u.ParentID != "c-a1" || u.Level != "site" ||
		u.Name != "A1 食堂" || !u.CreatedAt.Equal(base) {
		t.Fatalf("OrgUnit(site-gw-a1) = %+v, %v", u, err)
	}
	if d, _ := s.OrgUnit(ctx, "d-north"); d.Path != "/d-north/" || d.ParentID != "" {
		t.Fatalf("district = %+v", d)
	}
	if _, err := s.OrgUnit(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("OrgUnit(nope): err = %v, want ErrNotFound", err)
	}
	bad := []struct {
		u    domain.OrgUnit
		want error
	}{
		{domain.OrgUnit{ID: "d-x", ParentID: "d-north", Level: "district", Name: "x"}, domain.ErrInvalidOrg},
		{domain.OrgUnit{ID: "st-x", Level: "street", Name: "x"}, domain.ErrInvalidOrg},
		{domain.OrgUnit{ID: "st-x", ParentID: "st-a", Level: "street", Name: "x"}, domain.ErrInvalidOrg},
		{domain.OrgUnit{ID: "site-x", ParentID: "d-north", Level: "site", Name: "x"}, domain.ErrInvalidOrg},
		{domain.OrgUnit{ID: "c-x", ParentID: "site-gw-a1", Level: "community", Name: "x"}, domain.ErrInvalidOrg},
		{domain.OrgUnit{ID: "c-x", ParentID: "st-nope", Level: "community", Name: "x"}, domain.ErrNotFound},
		{domain.OrgUnit{ID: "Bad_ID", Level: "district", Name: "x"}, domain.ErrInvalidOrg},
		{domain.OrgUnit{ID: strings.Repeat("a", 65), Level: "district", Name: "x"}, domain.ErrInvalidOrg},
		{domain.OrgUnit{ID: "d-y", Level: "city", Name: "x"}, domain.ErrInvalidOrg},
		{domain.OrgUnit{ID: "d-y", Level: "district", Name: " "}, domain.ErrInvalidOrg},
		{domain.OrgUnit{ID: "st-a", ParentID: "d-south", Level: "street", Name: "again"}, domain.ErrConflict},
	}
	for _, b := range bad {
		if _, err := s.CreateOrgUnit(ctx, b.u, base); !errors.Is(err, b.want) {
			t.Errorf("CreateOrgUnit(%+v): err = %v, want %v", b.u, err, b.want)
		}
	}
	if _, err := s.CreateOrgUnit(ctx, domain.OrgUnit{ID: strings.Repeat("a", 64), Level: "district", Name: "x"}, base); err != nil {
		t.Errorf("64-character id: %v", err)
	}
	all, err := s.ListOrgUnits(ctx, "")
	if err != nil || len(all) != len(OrgTree)+1 {
		t.Fatalf("ListOrgUnits(\"\") = %d units, %v; want %d", len(all), err, len(OrgTree)+1)
	}
	if !slices.IsSortedFunc(all, func(a, b domain.OrgUnit) int { return strings.Compare(a.Path, b.Path) }) {
		t.Errorf("ListOrgUnits not ordered by path")
	}
	sub, _ := s.ListOrgUnits(ctx, "st-a")
	var got []string
	for _, u := range sub {
		got = append(got, u.ID)
	}
	if want := []string{"st-a", "c-a1", "site-gw-a1", "site-gw-a2"}; !slices.Equal(got, want) {
		t.Errorf("ListOrgUnits(st-a) = %v, want %v", got, want)
	}
	if none, err := s.ListOrgUnits(ctx, "nope"); err != nil || len(none) != 0 {
		t.Errorf("ListOrgUnits(nope) = %v, %v; want none", none, err)
	}
}

// testOrgScoping: with gateways at sites of two districts (and one at a
// site outside the tree), every List returns exactly the rows of the
// scope's subtree; "" returns all of them.
func testOrgScoping(t *testing.T, s domain.Store) {
	ctx := context.Background()
	gws := []string{"gw-a1", "gw-a2", "gw-b1", "gw-s1", "gw-x"} // gw-x: site-gw-x is not in the tree
	for _, gw := range gws {
		if err := s.UpsertGateway(ctx, domain.GatewayCredential{ID: gw, Site: "site-" + gw}); err != nil {
			t.Fatal(err)
		}
	}
	meals := map[string]int{"gw-a1": 2, "gw-a2": 1, "gw-b1": 1, "gw-s1": 1, "gw-x": 1}
	alerts := map[string]int{"gw-a1": 1, "gw-b1": 1, "gw-s1": 1, "gw-x": 1}
	for _, gw := range gws {
		var batch []eldergate.Envelope
		seq := uint64(1)
		for i := range meals[gw] {
			batch = append(batch, Meal(t, gw, seq, "E1", base.Add(time.Duration(i)*time.Second)))
			seq++
		}
		for range alerts[gw] {
			batch = append(batch, Alert(t, gw, seq, "al-"+gw, eldergate.AlertRaised, "btn-1", base))
			seq++
		}
		if _, err := s.IngestBatch(ctx, gw, batch, base.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordRejection(ctx, gw, "bad", "", []byte("x"), base); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordRejection(ctx, "gw-unknown", "bad", "", nil, base); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		scope                    string
		gws, meals, alerts, rejs int
	}{
		{"", 5, 6, 4, 6},
		{"d-north", 3, 4, 2, 3},
		{"st-a", 2, 3, 1, 2},
		{"c-b1", 1, 1, 1, 1},
		{"site-gw-a2", 1, 1, 0, 1},
		{"d-south", 1, 1, 1, 1},
		{"nope", 0, 0, 0, 0},
	}
	for _, c := range cases {
		g, err := s.ListGateways(ctx, c.scope)
		if err != nil || len(g) != c.gws {
			t.Errorf("ListGateways(%q) = %d, %v; want %d", c.scope, len(g), err, c.gws)
		}
		m, err := s.ListMeals(ctx, c.scope)
		if err != nil || len(m) != c.meals {
			t.Errorf("ListMeals(%q) = %d, %v; want %d", c.scope, len(m), err, c.meals)
		}
		a, err := s.ListAlerts(ctx, c.scope)
		if err != nil || len(a) != c.alerts {
			t.Errorf("ListAlerts(%q) = %d, %v; want %d", c.scope, len(a), err, c.alerts)
		}
		r, err := s.ListRejections(ctx, c.scope)
		if err != nil || len(r) != c.rejs {
			t.Errorf("ListRejections(%q) = %d, %v; want %d", c.scope, len(r), err, c.rejs)
		}
		if c.scope == "st-a" {
			for _, x := range g {
				if x.Site != "site-gw-a1" && x.Site != "site-gw-a2" {
					t.Errorf("ListGateways(st-a) holds %s at %s", x.ID, x.Site)
				}
			}
			for _, x := range m {
				if x.GW != "gw-a1" && x.GW != "gw-a2" {
					t.Errorf("ListMeals(st-a) holds a meal of %s", x.GW)
				}
			}
		}
	}
	for _, c := range []struct {
		scope, site string
		want        bool
	}{
		{"", "anything", true}, {"st-a", "site-gw-a1", true}, {"d-north", "site-gw-b1", true},
		{"st-a", "site-gw-b1", false}, {"st-a", "c-a1", false}, {"nope", "site-gw-a1", false},
		{"d-north", "site-gw-x", false},
	} {
		if got, err := s.SiteInScope(ctx, c.scope, c.site); err != nil || got != c.want {
			t.Errorf("SiteInScope(%q, %q) = %v, %v; want %v", c.scope, c.site, got, err, c.want)
		}
	}
	as, _ := s.ListAlerts(ctx, "c-b1")
	if site, err := s.AlertSite(ctx, as[0].ID); err != nil || site != "site-gw-b1" {
		t.Errorf("AlertSite = %q, %v; want site-gw-b1", site, err)
	}
	if _, err := s.AlertSite(ctx, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("AlertSite(nope): err = %v, want ErrNotFound", err)
	}
}

// testAPITokens: a token is found by the hash of its secret (and marked
// used), unknown hashes are ErrNotFound, expiry is exclusive, revocation
// keeps its first time, and the list never carries the hash.
func testAPITokens(t *testing.T, s domain.Store) {
	ctx := context.Background()
	exp := base.Add(time.Hour)
	t1 := domain.APIToken{ID: "tok-1", Name: "A 街道值班", Role: domain.RoleStaff, Scope: "st-a", CreatedAt: base}
	t2 := domain.APIToken{ID: "tok-2", Name: "admin 2", Role: domain.RoleAdmin, CreatedAt: base.Add(time.Second), ExpiresAt: &exp}
	if err := s.CreateAPIToken(ctx, t1, domain.HashToken("secret-1")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAPIToken(ctx, t2, domain.HashToken("secret-2")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAPIToken(ctx, t1, domain.HashToken("secret-3")); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("duplicate id: err = %v, want ErrConflict", err)
	}
	got, err := s.AuthenticateAPIToken(ctx, domain.HashToken("secret-1"), base.Add(time.Minute))
	if err != nil || got.ID != "tok-1" || got.Role != domain.RoleStaff || got.Scope != "st-a" || got.Name != t1.Name {
		t.Fatalf("authenticate secret-1 = %+v, %v", got, err)
	}
	if _, err := s.AuthenticateAPIToken(ctx, domain.HashToken("secret-x"), base); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown secret: err = %v, want ErrNotFound", err)
	}
	if _, err := s.AuthenticateAPIToken(ctx, domain.HashToken("secret-2"), exp.Add(-time.Second)); err != nil {
		t.Fatalf("secret-2 before expiry: %v", err)
	}
	if _, err := s.AuthenticateAPIToken(ctx, domain.HashToken("secret-2"), exp); !errors.Is(err, domain.ErrTokenExpired) {
		t.Fatalf("secret-2 at expiry: err = %v, want ErrTokenExpired", err)
	}
	rev := base.Add(2 * time.Minute)
	if err := s.RevokeAPIToken(ctx, "tok-1", rev); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIToken(ctx, "tok-1", rev.Add(time.Hour)); err != nil {
		t.Fatalf("revoke twice: %v", err)
	}
	if err := s.RevokeAPIToken(ctx, "tok-nope", rev); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("revoke unknown: err = %v, want ErrNotFound", err)
	}
	if _, err := s.AuthenticateAPIToken(ctx, domain.HashToken("secret-1"), rev); !errors.Is(err, domain.ErrRevoked) {
		t.Fatalf("revoked token: err = %v, want ErrRevoked", err)
	}
	list, err := s.ListAPITokens(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "tok-1" || list[1].ID != "tok-2" {
		t.Fatalf("ListAPITokens = %+v, %v", list, err)
	}
	if list[0].RevokedAt == nil || !list[0].RevokedAt.Equal(rev) {
		t.Errorf("tok-1 revoked_at = %v, want %v (the first revocation)", list[0].RevokedAt, rev)
	}
	if list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(base.Add(time.Minute)) {
		t.Errorf("tok-1 last_used_at = %v, want %v", list[0].LastUsedAt, base.Add(time.Minute))
	}
	if list[1].ExpiresAt == nil || !list[1].ExpiresAt.Equal(exp) || list[1].RevokedAt != nil || list[1].Scope != "" {
		t.Errorf("tok-2 = %+v", list[1])
	}
}
