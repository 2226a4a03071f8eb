package domain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// OrgStore is the organisation tree (district → street → community →
// site) and the API tokens with roles.
//
// Scopes: every List method that takes a scope returns only rows whose
// site is a site unit in the subtree of the org unit scope ("" = every
// row, including rows whose site is not in the tree).
type OrgStore interface {
	// CreateOrgUnit adds u under u.ParentID and returns it with its
	// materialised path and creation time set. ErrInvalidOrg when u breaks
	// the tree rules (ValidateOrgUnit, the parent's level), ErrNotFound
	// when the parent does not exist, ErrConflict when the id exists.
	CreateOrgUnit(ctx context.Context, u OrgUnit, at time.Time) (OrgUnit, error)
	// UpdateOrgUnit changes the name or the code of unit id (the fields
	// of ch that are set) and returns the unit. ErrNotFound for an unknown
	// id, ErrInvalidOrg when the result breaks ValidateOrgUnit or the codes
	// of the unit's ancestors and descendants disagree (CheckOrgCodes).
	UpdateOrgUnit(ctx context.Context, id string, ch OrgUnitChange) (OrgUnit, error)
	// OrgUnit returns unit id or ErrNotFound.
	OrgUnit(ctx context.Context, id string) (OrgUnit, error)
	// ListOrgUnits returns the units of the subtree of scope (the scope
	// unit included; "" = the whole tree), ordered by path.
	ListOrgUnits(ctx context.Context, scope string) ([]OrgUnit, error)
	// SiteInScope reports whether site is a site unit in the subtree of
	// scope; true for every site (in the tree or not) when scope is "".
	SiteInScope(ctx context.Context, scope, site string) (bool, error)
	// AlertSite returns the site of alert id or ErrNotFound.
	AlertSite(ctx context.Context, alertID string) (string, error)

	// CreateAPIToken stores t with the hash of its secret (HashToken).
	// ErrConflict when the id exists.
	CreateAPIToken(ctx context.Context, t APIToken, tokenHash string) error
	// AuthenticateAPIToken returns the token whose secret hashes to
	// tokenHash and records it as used at now. ErrNotFound for an unknown
	// hash, ErrRevoked for a revoked token, ErrTokenExpired when
	// expires_at <= now.
	AuthenticateAPIToken(ctx context.Context, tokenHash string, now time.Time) (APIToken, error)
	// ListAPITokens returns every token, oldest first (never the hash).
	ListAPITokens(ctx context.Context) ([]APIToken, error)
	// RevokeAPIToken marks token id revoked (ErrNotFound when there is no
	// such token); revoking twice keeps the first time.
	RevokeAPIToken(ctx context.Context, id string, at time.Time) error
}

// ErrInvalidOrg is returned for an org unit that breaks the tree rules.
var ErrInvalidOrg = errors.New("invalid org unit")

// The levels of the organisation tree, from the root down.
const (
	LevelDistrict  = "district"
	LevelStreet    = "street"
	LevelCommunity = "community"
	LevelSite      = "site"
)

// OrgLevels lists the levels from the root down.
var OrgLevels = []string{LevelDistrict, LevelStreet, LevelCommunity, LevelSite}

// ParentLevel returns the level a unit of level must hang under ("" for a
// district), and false for an unknown level.
func ParentLevel(level string) (string, bool) {
	for i, l := range OrgLevels {
		if l == level {
			if i == 0 {
				return "", true
			}
			return OrgLevels[i-1], true
		}
	}
	return "", false
}

// OrgUnit is one node of the organisation tree.
type OrgUnit struct {
	ID       string `json:"id"`
	ParentID string `json:"parent,omitempty"` // "" for a district
	Level    string `json:"level"`
	Name     string `json:"name"`
	Path     string `json:"path"` // "/district/street/community/site/" of ids
	// Code is the unit's administrative division code (ValidateOrgCode):
	// a district's 6 digits, a street's 9; "" when not set, and always for
	// a community or a site. A site's jurisdiction is read from its
	// ancestors' codes (SitePlace).
	Code      string    `json:"code,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// OrgUnitChange is what UpdateOrgUnit changes: the fields that are not
// nil ("" clears the code).
type OrgUnitChange struct {
	Name *string `json:"name,omitempty"`
	Code *string `json:"code,omitempty"`
}

// MaxOrgIDLen bounds org unit ids.
const MaxOrgIDLen = 64

// ValidateSlug checks an org unit id: 1-64 of [a-z0-9-].
func ValidateSlug(id string) error {
	if id == "" || len(id) > MaxOrgIDLen {
		return fmt.Errorf("must be 1-%d characters", MaxOrgIDLen)
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%q: only a-z, 0-9 and - are allowed", c)
		}
	}
	return nil
}

// ValidateOrgUnit checks the fields of u that do not need the store: the
// id, the level, the name and whether a parent is given (a district has
// none, every other level has one). Errors wrap ErrInvalidOrg.
func ValidateOrgUnit(u OrgUnit) error {
	if err := ValidateSlug(u.ID); err != nil {
		return fmt.Errorf("id: %v: %w", err, ErrInvalidOrg)
	}
	pl, ok := ParentLevel(u.Level)
	if !ok {
		return fmt.Errorf("level: must be one of %s: %w", strings.Join(OrgLevels, ", "), ErrInvalidOrg)
	}
	if pl == "" && u.ParentID != "" {
		return fmt.Errorf("parent: a district has no parent: %w", ErrInvalidOrg)
	}
	if pl != "" && u.ParentID == "" {
		return fmt.Errorf("parent: a %s needs a %s as parent: %w", u.Level, pl, ErrInvalidOrg)
	}
	if n := utf8.RuneCountInString(u.Name); strings.TrimSpace(u.Name) == "" || n > 128 {
		return fmt.Errorf("name: must be 1-128 characters: %w", ErrInvalidOrg)
	}
	if err := ValidateOrgCode(u.Level, u.Code); err != nil {
		return fmt.Errorf("code: %v: %w", err, ErrInvalidOrg)
	}
	return nil
}

// CheckParent checks that parent may hold u and returns u's path. The
// codes are checked by CheckOrgCodes.
func CheckParent(u OrgUnit, parent *OrgUnit) (string, error) {
	pl, _ := ParentLevel(u.Level)
	if parent == nil {
		return "/" + u.ID + "/", nil
	}
	if parent.Level != pl {
		return "", fmt.Errorf("parent: %s is a %s; a %s needs a %s: %w", parent.ID, parent.Level, u.Level, pl, ErrInvalidOrg)
	}
	return parent.Path + u.ID + "/", nil
}

// Role is what a user or an API token may do. Viewer, staff, operator
// and admin are ordered: each includes the ones before it. The auditor
// stands aside: it reads everything in its scope, the audit log included,
// and changes nothing (Permits).
type Role string

// The roles, from least to most, and the auditor.
const (
	RoleViewer   Role = "viewer"   // reads gateways, meals, alerts
	RoleStaff    Role = "staff"    // + acknowledges and resolves alerts
	RoleOperator Role = "operator" // + gateways, commands, configuration, rosters, policies
	RoleAdmin    Role = "admin"    // + organisation tree, users and API tokens
	RoleAuditor  Role = "auditor"  // reads every route and the audit log; changes nothing
)

// Roles lists every role.
var Roles = []Role{RoleViewer, RoleStaff, RoleOperator, RoleAdmin, RoleAuditor}

// rank orders the roles; 0 is not a role.
func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleStaff:
		return 2
	case RoleOperator:
		return 3
	case RoleAdmin:
		return 4
	}
	return 0
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r.rank() > 0 || r == RoleAuditor }

// AtLeast reports whether r includes min in the order viewer < staff <
// operator < admin (false for an unknown role, and for the auditor, which
// is outside the order: see Permits).
func (r Role) AtLeast(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// Permits reports whether r may use a route that needs min; read is true
// for a route that changes nothing (GET, HEAD). The auditor may use every
// read route and no other; a route that needs RoleAuditor (the audit log)
// is for the auditor and the admin only.
func (r Role) Permits(min Role, read bool) bool {
	switch {
	case r == RoleAuditor:
		return read
	case min == RoleAuditor:
		return r == RoleAdmin
	}
	return r.AtLeast(min)
}

// APIToken is an API bearer token with a role, limited to the subtree of
// Scope ("" = everything). The secret itself is never stored.
type APIToken struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Scope      string     `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}
