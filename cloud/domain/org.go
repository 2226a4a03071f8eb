package domain

// OrgStore is the organisation tree (district → street → community →
// site) and the API tokens with roles.
type OrgStore interface {
}

// Role is what an API token may do. Each role includes the ones before it.
type Role string

// The roles, from least to most.
const (
	RoleViewer   Role = "viewer"   // reads gateways, meals, alerts
	RoleStaff    Role = "staff"    // + acknowledges and resolves alerts
	RoleOperator Role = "operator" // + gateways, commands, configuration, rosters, policies
	RoleAdmin    Role = "admin"    // + organisation tree and API tokens
)
