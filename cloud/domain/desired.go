package domain

// ConfigStore keeps the desired configuration of each gateway and what the
// gateway reports it runs.
type ConfigStore interface {
}
