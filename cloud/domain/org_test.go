package domain

import (
	"errors"
	"strings"
	"testing"
)

func TestRoleOrder(t *testing.T) {
	order := []Role{RoleViewer, RoleStaff, RoleOperator, RoleAdmin}
	for i, r := range order {
		for j, min := range order {
			if got := r.AtLeast(min); got != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v", r, min, got)
			}
		}
	}
	for _, min := range Roles {
		if !RoleAuditor.Permits(min, true) || RoleAuditor.Permits(min, false) {
			t.Errorf("the auditor: %s routes: reads %v, changes %v", min, RoleAuditor.Permits(min, true), RoleAuditor.Permits(min, false))
		}
	}
	for _, r := range order {
		if got := r.Permits(RoleAuditor, true); got != (r == RoleAdmin) {
			t.Errorf("%s reads the audit log: %v", r, got)
		}
		if r.Permits(RoleViewer, true) != true || r.Permits(RoleAdmin, false) != (r == RoleAdmin) {
			t.Errorf("%s: Permits disagrees with AtLeast", r)
		}
	}
	if !RoleAuditor.Valid() || RoleAuditor.AtLeast(RoleViewer) {
		t.Error("the auditor is not valid, or is in the order")
	}
	for _, r := range []Role{"", "root", "Admin"} {
		if r.Valid() || r.AtLeast(RoleViewer) {
			t.Errorf("role %q is accepted", r)
		}
	}
}

func TestCheckParent(t *testing.T) {
	d := OrgUnit{ID: "d", Level: LevelDistrict, Path: "/d/"}
	st := OrgUnit{ID: "st", ParentID: "d", Level: LevelStreet, Name: "x"}
	if p, err := CheckParent(st, &d); err != nil || p != "/d/st/" {
		t.Fatalf("street under district: %q, %v", p, err)
	}
	c := OrgUnit{ID: "c", ParentID: "d", Level: LevelCommunity, Name: "x"}
	if _, err := CheckParent(c, &d); !errors.Is(err, ErrInvalidOrg) {
		t.Fatalf("community under district: err = %v", err)
	}
	if p, err := CheckParent(d, nil); err != nil || p != "/d/" {
		t.Fatalf("district: %q, %v", p, err)
	}
}

// FuzzValidateSlug: an accepted id is 1-64 of [a-z0-9-], so it is safe in
// a LIKE prefix and a path segment.
func FuzzValidateSlug(f *testing.F) {
	for _, s := range []string{"st-a", "", "A", "a_b", "a%", "a/b", strings.Repeat("a", 65), "社区"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateSlug(s) != nil {
			return
		}
		if s == "" || len(s) > MaxOrgIDLen || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			t.Fatalf("ValidateSlug(%q) accepted", s)
		}
	})
}
