package config

import (
	"fmt"
	"net"
	"strings"
	"time"
)

// StoreConfig configures retention and the full-disk guard of the store.
type StoreConfig struct {
	// RetentionDays keeps delivered events this many days (default 90).
	// Meals needed for the usage limits (the current and the previous
	// month) are kept whatever this says.
	RetentionDays int           `yaml:"retention_days"`
	PruneInterval time.Duration `yaml:"prune_interval"` // default 1h
	// ReserveBytes is pre-allocated in data_dir/reserve.space and released
	// when the disk is full, so that alarms and acks can still be written
	// (default 8 MiB; 0 takes the default, -1 disables the reserve).
	ReserveBytes int64 `yaml:"reserve_bytes"`
	// MinFreeBytes: below this much free space the disk counts as full and
	// new meals are refused with reason disk_full (default 16 MiB).
	MinFreeBytes int64 `yaml:"min_free_bytes"`
	// DiskCheck is how often free space is checked (default 10s).
	DiskCheck time.Duration `yaml:"disk_check"`
}

func (c *Config) applyOpsDefaults() {
	if c.Heartbeat == 0 {
		c.Heartbeat = 60 * time.Second
	}
	if c.StaffSession == 0 {
		c.StaffSession = 10 * time.Minute
	}
	if c.VoidWindow == 0 {
		c.VoidWindow = 15 * time.Minute
	}
	s := &c.Store
	if s.RetentionDays == 0 {
		s.RetentionDays = 90
	}
	if s.PruneInterval == 0 {
		s.PruneInterval = time.Hour
	}
	if s.ReserveBytes == 0 {
		s.ReserveBytes = 8 << 20
	}
	if s.MinFreeBytes == 0 {
		s.MinFreeBytes = 16 << 20
	}
	if s.DiskCheck == 0 {
		s.DiskCheck = 10 * time.Second
	}
}

func (c *Config) validateOps() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("gateway: config: "+format, args...)
	}
	if !c.HTTPPublic {
		host, _, _ := net.SplitHostPort(c.HTTPAddr)
		if !isLoopback(host) {
			return bad("http_addr %q: the local API must listen on a loopback address (127.0.0.1, ::1, localhost) unless http_public is true", c.HTTPAddr)
		}
	}
	for name, d := range map[string]time.Duration{"heartbeat": c.Heartbeat, "staff_session": c.StaffSession, "void_window": c.VoidWindow,
		"store.prune_interval": c.Store.PruneInterval, "store.disk_check": c.Store.DiskCheck} {
		if d < time.Second {
			return bad("%s %v: must be at least 1s", name, d)
		}
	}
	if c.Store.RetentionDays < 1 {
		return bad("store.retention_days %d: must be at least 1", c.Store.RetentionDays)
	}
	if c.Store.ReserveBytes < -1 || c.Store.MinFreeBytes < 0 {
		return bad("store.reserve_bytes and store.min_free_bytes must not be negative")
	}
	return validateStaff(c.Staff)
}

// isLoopback reports whether host (from http_addr) can only be reached
// from the gateway itself. An empty host means every interface.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
