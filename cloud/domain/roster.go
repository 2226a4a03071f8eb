package domain

// RosterStore keeps the elders, their credentials and roster versions, and
// the versioned subsidy policies pushed to gateways.
type RosterStore interface {
}
