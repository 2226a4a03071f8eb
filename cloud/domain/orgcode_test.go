package domain

import (
	"errors"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/policy"
)

func TestValidateOrgCode(t *testing.T) {
	for _, c := range []struct {
		level, code string
		ok          bool
	}{
		{LevelDistrict, "", true}, {LevelSite, "", true},
		{LevelDistrict, "440304", true}, {LevelDistrict, "110101", true},
		{LevelDistrict, "440300", false}, {LevelDistrict, "000304", false}, {LevelDistrict, "990304", false},
		{LevelDistrict, "44030", false}, {LevelDistrict, "4403041", false}, {LevelDistrict, "44O304", false}, {LevelDistrict, "４４０３０４", false},
		{LevelStreet, "440304001", true}, {LevelStreet, "440304000", false}, {LevelStreet, "440300001", false}, {LevelStreet, "440304", false},
		{LevelCommunity, "440304001001", false}, {LevelSite, "440304", false}, {"city", "440300", false},
	} {
		if err := ValidateOrgCode(c.level, c.code); (err == nil) != c.ok {
			t.Errorf("ValidateOrgCode(%s, %q) = %v", c.level, c.code, err)
		}
	}
	if err := ValidateOrgUnit(OrgUnit{ID: "s", ParentID: "c", Level: LevelSite, Name: "x", Code: "440304"}); !errors.Is(err, ErrInvalidOrg) || !strings.HasPrefix(err.Error(), "code: ") {
		t.Errorf("site with a code: %v", err)
	}
}

func TestCheckOrgCodes(t *testing.T) {
	d := OrgUnit{ID: "d", Level: LevelDistrict, Path: "/d/", Code: "440304"}
	st := OrgUnit{ID: "st", Level: LevelStreet, Path: "/d/st/", Code: "440304001"}
	bad := OrgUnit{ID: "sx", Level: LevelStreet, Path: "/d/sx/", Code: "440305001"}
	other := OrgUnit{ID: "e", Level: LevelDistrict, Path: "/e/", Code: "440305"}
	if err := CheckOrgCodes([]OrgUnit{d, st}); err != nil {
		t.Error(err)
	}
	if err := CheckOrgCodes([]OrgUnit{d, bad}); !errors.Is(err, ErrInvalidOrg) {
		t.Errorf("street outside its district's code: %v", err)
	}
	if err := CheckOrgCodes([]OrgUnit{other, d, st}); err != nil { // a unit that is not an ancestor is not compared
		t.Error(err)
	}
	noCode := d
	noCode.Code = ""
	if err := CheckOrgCodes([]OrgUnit{noCode, bad}); err != nil {
		t.Error(err)
	}
}

func TestSitePlace(t *testing.T) {
	units := []OrgUnit{
		{ID: "d", Level: LevelDistrict, Path: "/d/", Code: "440304"},
		{ID: "st", Level: LevelStreet, Path: "/d/st/", Code: "440304001"},
		{ID: "c", Level: LevelCommunity, Path: "/d/st/c/"},
		{ID: "s1", Level: LevelSite, Path: "/d/st/c/s1/"},
		{ID: "d2", Level: LevelDistrict, Path: "/d2/"},
		{ID: "st2", Level: LevelStreet, Path: "/d2/st2/", Code: "440305002"},
		{ID: "s2", Level: LevelSite, Path: "/d2/st2/s2/"},
		{ID: "s3", Level: LevelSite, Path: "/d3/s3/"},
	}
	for site, want := range map[string]policy.Place{
		"s1": {City: "440300", District: "440304", Street: "440304001"},
		"s2": {City: "440300", District: "440305", Street: "440305002"},
		"s3": {},
	} {
		if got, ok := SitePlace(units, site); !ok || got != want {
			t.Errorf("SitePlace(%s) = %+v, %v; want %+v", site, got, ok, want)
		}
	}
	if _, ok := SitePlace(units, "st"); ok {
		t.Error("a street is not a site")
	}
}

// FuzzValidateOrgCode: an accepted code is all ASCII digits of the
// level's length, and SitePlace over a unit carrying it builds a city
// code of six digits ending in 00 that begins the district code.
func FuzzValidateOrgCode(f *testing.F) {
	for _, s := range []string{"440304", "440304001", "440300", "", "４４０３０４", "44030400a", "\x00"} {
		f.Add(LevelDistrict, s)
		f.Add(LevelStreet, s)
	}
	f.Fuzz(func(t *testing.T, level, code string) {
		if ValidateOrgCode(level, code) != nil || code == "" {
			return
		}
		n := map[string]int{LevelDistrict: 6, LevelStreet: 9}[level]
		if len(code) != n || strings.Trim(code, "0123456789") != "" {
			t.Fatalf("accepted %s %q", level, code)
		}
		u := []OrgUnit{{ID: "u", Level: level, Path: "/u/", Code: code}, {ID: "s", Level: LevelSite, Path: "/u/s/"}}
		p, ok := SitePlace(u, "s")
		if !ok || len(p.City) != 6 || !strings.HasSuffix(p.City, "00") || p.District[:4] != p.City[:4] || !strings.HasPrefix(code, p.District) {
			t.Fatalf("%s %q: place %+v", level, code, p)
		}
	})
}
