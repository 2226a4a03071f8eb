package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/policy"
)

// TestDemoCharityFund: the demo gateway's configuration is valid with its
// charity layer, a subsidised lunch carries a share of it, and the fund
// the demo registers in the cloud is that layer (scope none), so the
// console's charity pages have real figures.
func TestDemoCharityFund(t *testing.T) {
	raw, err := os.ReadFile("gateway.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yml := strings.NewReplacer("@SECRET@", "demo-gateway-secret", "@TILL_TOKEN@", demoTillToken, "@MQTT_PORT@", "1883", "@KIOSK_PORT@", "8081",
		"@DATA@", t.TempDir()).Replace(string(raw))
	cfg, err := config.Parse([]byte(yml))
	if err != nil {
		t.Fatalf("demo gateway.yaml: %v", err)
	}
	var fund struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(demoFund), &fund); err != nil {
		t.Fatal(err)
	}
	var layer *policy.Layer
	for i, l := range cfg.Policy.Funding {
		if l.Layer == fund.ID {
			layer = &cfg.Policy.Funding[i]
		}
	}
	if layer == nil || layer.Scope != policy.ScopeNone {
		t.Fatalf("the demo policy has no layer %q with scope none: %+v", fund.ID, cfg.Policy.Funding)
	}
	if err := cfg.Policy.Validate(); err != nil {
		t.Fatal(err)
	}
	tz, _ := time.LoadLocation("Asia/Shanghai")
	for _, e := range cfg.Roster[:3] { // elders over 60: every meal is subsidised
		for _, hour := range []int{8, 12, 18} { // breakfast, lunch, dinner: a browser test may run at any hour
			d := cfg.Policy.Decide(policy.Input{Elder: policy.FromRoster(e), Site: policy.Site{ID: cfg.Site, Place: cfg.Area},
				At: time.Date(2026, 12, 2, hour, 0, 0, 0, tz)})
			var fen int64
			for _, s := range d.Funding {
				if s.Layer == fund.ID {
					fen = int64(s.Fen)
				}
			}
			if fen != int64(layer.Fen) {
				t.Errorf("%s at %d:00: %+v: the fund's share is %d fen, want %d", e.ID, hour, d, fen, layer.Fen)
			}
		}
	}
}

// TestDemoUsers: the demo's people are valid users with valid passwords,
// one of each role, and the first (EG_USER of -run) is an admin.
func TestDemoUsers(t *testing.T) {
	seen := map[domain.Role]bool{}
	for _, u := range demoUsers {
		du := domain.User{Login: u.Login, Name: u.Name, Role: domain.Role(u.Role), Scope: u.Scope}
		if err := domain.ValidateUser(du); err != nil {
			t.Errorf("%s: %v", u.Login, err)
		}
		if err := domain.ValidatePassword(u.Password); err != nil {
			t.Errorf("%s: %v", u.Login, err)
		}
		seen[du.Role] = true
	}
	for _, r := range domain.Roles {
		if !seen[r] {
			t.Errorf("no demo user has the role %s", r)
		}
	}
	if demoUsers[0].Role != "admin" {
		t.Errorf("the first demo user is %s, want the admin", demoUsers[0].Role)
	}
}
