package config

import (
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// StaffConfig is one staff member allowed to record and void meals, by
// PIN (bcrypt hash, see `eldergate-gateway staff-pin`) or staff card.
// Role operator also opens the kiosk's operator screen (devices, outbox,
// clock, network, device tests); default staff.
type StaffConfig struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	PinHash string `yaml:"pin_hash"`
	Card    string `yaml:"card"`
	Role    string `yaml:"role,omitempty"`
}

// Staff roles.
const (
	RoleStaff    = "staff"    // meals by hand, voids, alarms, the cashier
	RoleOperator = "operator" // and the operator screen
)

// IsOperator reports whether s has the operator role.
func (s StaffConfig) IsOperator() bool { return s.Role == RoleOperator }

// RoleOrDefault is s's role, RoleStaff when none is set.
func (s StaffConfig) RoleOrDefault() string {
	if s.Role == "" {
		return RoleStaff
	}
	return s.Role
}

func validateStaff(staff []StaffConfig) error {
	ids, cards := map[string]bool{}, map[string]bool{}
	for i, s := range staff {
		switch {
		case s.ID == "":
			return fmt.Errorf("gateway: config: staff[%d]: id is missing", i)
		case s.Name == "":
			return fmt.Errorf("gateway: config: staff[%d] (%s): name is missing", i, s.ID)
		case s.PinHash == "" && s.Card == "":
			return fmt.Errorf("gateway: config: staff[%d] (%s): needs pin_hash or card", i, s.ID)
		case ids[s.ID]:
			return fmt.Errorf("gateway: config: staff[%d]: duplicate id %q", i, s.ID)
		case s.Role != "" && s.Role != RoleStaff && s.Role != RoleOperator:
			return fmt.Errorf("gateway: config: staff[%d] (%s): role %q is neither %s nor %s", i, s.ID, s.Role, RoleStaff, RoleOperator)
		case s.Card != "" && cards[s.Card]:
			return fmt.Errorf("gateway: config: staff[%d] (%s): card already held by other staff", i, s.ID)
		}
		if s.PinHash != "" {
			if _, err := bcrypt.Cost([]byte(s.PinHash)); err != nil {
				return fmt.Errorf("gateway: config: staff[%d] (%s): pin_hash is not a bcrypt hash: %w", i, s.ID, err)
			}
		}
		ids[s.ID] = true
		if s.Card != "" {
			cards[s.Card] = true
		}
	}
	return nil
}
