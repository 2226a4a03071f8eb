package domain

import (
	"errors"
	"fmt"
	"strings"

	"github.com/eldergate/eldergate/policy"
)

// Administrative division codes (GB/T 2260 and the statistical division
// codes of streets and towns) on the org tree: a district carries its
// 6-digit code (440304: province 44, city 4403, district 440304), a street
// (街道) or town (镇) its 9-digit code (440304001). They are the site's
// jurisdiction the policy engine compares with the elder's home and
// residence codes (policy.Place), as the gateway's area is (ADR 0018).

// ValidateOrgCode checks the administrative division code of a unit of
// level: "" (no code) always; a district 6 digits whose province (first
// two) is 11-82 and whose own two digits are not 00 (that is a city); a
// street 9 digits, a district's code followed by three digits other than
// 000. A community or a site carries no code.
func ValidateOrgCode(level, code string) error {
	if code == "" {
		return nil
	}
	digits := func(n int) bool {
		if len(code) != n {
			return false
		}
		for i := range len(code) {
			if code[i] < '0' || code[i] > '9' {
				return false
			}
		}
		return true
	}
	district := func() error {
		if p := code[:2]; p < "11" || p > "82" {
			return fmt.Errorf("%q: the province (first two digits) must be 11-82", clipCode(code))
		}
		if code[4:6] == "00" {
			return fmt.Errorf("%q is a city's code; a district's does not end in 00", clipCode(code))
		}
		return nil
	}
	switch level {
	case LevelDistrict:
		if !digits(6) {
			return fmt.Errorf("%q: a district's code is 6 digits, such as 440304", clipCode(code))
		}
		return district()
	case LevelStreet:
		if !digits(9) {
			return fmt.Errorf("%q: a street's code is 9 digits, such as 440304001", clipCode(code))
		}
		if code[6:] == "000" {
			return fmt.Errorf("%q: a street's own three digits are not 000", clipCode(code))
		}
		return district()
	case LevelCommunity, LevelSite:
		return fmt.Errorf("a %s carries no code; set it on its district or street", level)
	}
	return errors.New("unknown level")
}

func clipCode(c string) string {
	if len(c) > 16 {
		return c[:16] + "…"
	}
	return c
}

// CheckOrgCodes checks that the codes of a chain of units agree: every
// code begins with the code of the nearest unit above it that has one (a
// street's code with its district's). units is ordered from the root down
// (a unit's ancestors, the unit, its descendants in path order); only the
// codes and paths are read. Errors wrap ErrInvalidOrg.
func CheckOrgCodes(units []OrgUnit) error {
	for i, u := range units {
		if u.Code == "" {
			continue
		}
		for j := i - 1; j >= 0; j-- {
			a := units[j]
			if a.Code == "" || !strings.HasPrefix(u.Path, a.Path) {
				continue
			}
			if !strings.HasPrefix(u.Code, a.Code) {
				return fmt.Errorf("code: %s of %s does not begin with %s of %s above it: %w", u.Code, u.ID, a.Code, a.ID, ErrInvalidOrg)
			}
			break
		}
	}
	return nil
}

// SitePlace is the jurisdiction of site as the policy engine takes it,
// read from the codes of its ancestors in units (the tree, or at least the
// site and its ancestors): the district from the nearest district code
// (or the first six digits of a street code), the street from the street
// code, the city as the district code's first four digits and 00 (the
// city-level code of GB/T 2260). ok is false when site is not a site of
// units; a site under units without codes has an empty Place.
func SitePlace(units []OrgUnit, site string) (policy.Place, bool) {
	byID := make(map[string]OrgUnit, len(units))
	var s *OrgUnit
	for i, u := range units {
		byID[u.ID] = u
		if u.ID == site && u.Level == LevelSite {
			s = &units[i]
		}
	}
	if s == nil {
		return policy.Place{}, false
	}
	var p policy.Place
	for _, id := range strings.Split(strings.Trim(s.Path, "/"), "/") {
		u := byID[id]
		switch {
		case u.Code == "":
		case u.Level == LevelDistrict:
			p.District = u.Code
		case u.Level == LevelStreet:
			p.Street = u.Code
			if p.District == "" && len(u.Code) >= 6 {
				p.District = u.Code[:6]
			}
		}
	}
	if len(p.District) == 6 {
		p.City = p.District[:4] + "00"
	}
	return p, true
}
