package config_test

import (
	"strings"
	"testing"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

// A staff entry's role: staff by default, operator for the operator
// screen, nothing else.
func TestStaffRole(t *testing.T) {
	const hash = `"$2a$10$YaiV1kxKByJkRbgFIAG6PuU75uvrLo1JAaGwGL45WyCF0jcIxmFeK"`
	c := parse(t, minimal+"staff:\n  - {id: S1, name: 王, pin_hash: "+hash+"}\n  - {id: O1, name: 李, role: operator, card: OPCARD}\n")
	if len(c.Staff) != 2 || c.Staff[0].RoleOrDefault() != config.RoleStaff || c.Staff[0].IsOperator() ||
		c.Staff[1].RoleOrDefault() != config.RoleOperator || !c.Staff[1].IsOperator() {
		t.Fatalf("staff = %+v", c.Staff)
	}
	_, err := config.Parse([]byte(minimal + "staff:\n  - {id: S1, name: 王, role: admin, card: X1}\n"))
	if err == nil || !strings.Contains(err.Error(), `role "admin" is neither staff nor operator`) {
		t.Fatalf("role admin: %v", err)
	}
}
