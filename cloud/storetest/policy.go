package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// testPolicySites: PolicyAssignments lists each site's version, the
// latest assignment winning; a birth's price devices are kept with the
// reported configuration, an older boot's birth does not overwrite them.
func testPolicySites(t *testing.T, s domain.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	if m, err := s.PolicyAssignments(ctx); err != nil || len(m) != 0 {
		t.Fatalf("assignments before any: %v %v", m, err)
	}
	for _, v := range []string{"ps-1", "ps-2"} {
		if _, err := s.CreatePolicy(ctx, domain.StoredPolicy{Version: v, Body: "version: " + v, SHA256: v, CreatedAt: at, CreatedBy: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range [][2]string{{"site-p1", "ps-1"}, {"site-p2", "ps-1"}, {"site-p1", "ps-2"}} {
		if err := s.AssignPolicy(ctx, a[0], a[1], at); err != nil {
			t.Fatal(err)
		}
	}
	m, err := s.PolicyAssignments(ctx)
	if err != nil || len(m) != 2 || m["site-p1"] != "ps-2" || m["site-p2"] != "ps-1" {
		t.Fatalf("assignments = %v, %v", m, err)
	}

	const gw = "gw-prices"
	if _, err := s.ApplyGatewayState(ctx, gw, eldergate.State{Online: true, Boot: 4, PriceDevices: "scale,till"}, at); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyGatewayState(ctx, gw, eldergate.State{Online: true, Boot: 3, PriceDevices: "none"}, at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if r, err := s.ReportedConfig(ctx, gw); err != nil || r.PriceDevices != "scale,till" {
		t.Fatalf("reported after an older boot's birth = %+v, %v", r, err)
	}
	if _, err := s.ApplyGatewayState(ctx, gw, eldergate.State{Online: true, Boot: 5, PriceDevices: "none"}, at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if r, err := s.ReportedConfig(ctx, gw); err != nil || r.PriceDevices != "none" {
		t.Fatalf("reported after a new boot = %+v, %v", r, err)
	}
}
