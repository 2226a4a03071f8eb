package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
)

// testEnrollment: a token creates a gateway, is consumed once (the second
// use is ErrTokenUsed), an expired one is ErrTokenExpired, an unknown one
// ErrNotFound; revocation clears the secret, keeps its first time, and
// stops a pending token.
func testEnrollment(t *testing.T, s domain.Store) {
	ctx := context.Background()
	exp := base.Add(time.Hour)
	if err := s.CreateEnrollment(ctx, domain.GatewayCredential{ID: "gw-new", Site: "site-9"}, domain.HashToken("tok-1"), base, exp); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateEnrollment(ctx, domain.GatewayCredential{ID: "gw-new", Site: "site-9"}, domain.HashToken("tok-2"), base, exp); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second create of gw-new: err = %v, want ErrConflict", err)
	}
	c, err := s.GatewayCredential(ctx, "gw-new")
	if err != nil || c.Site != "site-9" || c.SecretHash != "" || c.RevokedAt != nil {
		t.Fatalf("before enrollment: %+v, %v; want site-9, no secret, not revoked", c, err)
	}
	if _, err := s.ConsumeEnrollment(ctx, domain.HashToken("nope"), "h", base); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown token: err = %v, want ErrNotFound", err)
	}
	got, err := s.ConsumeEnrollment(ctx, domain.HashToken("tok-1"), "hash-1", base.Add(59*time.Minute))
	if err != nil || got.ID != "gw-new" || got.Site != "site-9" {
		t.Fatalf("consume: %+v, %v", got, err)
	}
	if c, _ := s.GatewayCredential(ctx, "gw-new"); c.SecretHash != "hash-1" {
		t.Fatalf("secret hash after enrollment = %q, want hash-1", c.SecretHash)
	}
	if _, err := s.ConsumeEnrollment(ctx, domain.HashToken("tok-1"), "hash-2", base.Add(time.Minute)); !errors.Is(err, domain.ErrTokenUsed) {
		t.Fatalf("reuse: err = %v, want ErrTokenUsed", err)
	}
	if c, _ := s.GatewayCredential(ctx, "gw-new"); c.SecretHash != "hash-1" {
		t.Fatalf("secret hash after refused reuse = %q, want hash-1 unchanged", c.SecretHash)
	}

	// Expiry is exclusive: at expiresAt the token is dead.
	if err := s.CreateEnrollment(ctx, domain.GatewayCredential{ID: "gw-late", Site: "site-9"}, domain.HashToken("tok-late"), base, exp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeEnrollment(ctx, domain.HashToken("tok-late"), "h", exp); !errors.Is(err, domain.ErrTokenExpired) {
		t.Fatalf("expired: err = %v, want ErrTokenExpired", err)
	}
	if c, _ := s.GatewayCredential(ctx, "gw-late"); c.SecretHash != "" {
		t.Fatalf("expired token set a secret: %q", c.SecretHash)
	}

	// Revocation.
	at := base.Add(2 * time.Hour)
	if err := s.RevokeGateway(ctx, "gw-new", at); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeGateway(ctx, "gw-new", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, err = s.GatewayCredential(ctx, "gw-new")
	if err != nil || c.SecretHash != "" || c.RevokedAt == nil || !c.RevokedAt.Equal(at) || c.RevokedAt.Location() != time.UTC {
		t.Fatalf("after revoke: %+v, %v; want no secret, revoked at %v UTC", c, err, at)
	}
	if err := s.RevokeGateway(ctx, "gw-none", at); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("revoke unknown: err = %v, want ErrNotFound", err)
	}
	if err := s.CreateEnrollment(ctx, domain.GatewayCredential{ID: "gw-rev", Site: "site-9"}, domain.HashToken("tok-rev"), base, exp); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeGateway(ctx, "gw-rev", base); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeEnrollment(ctx, domain.HashToken("tok-rev"), "h", base.Add(time.Minute)); !errors.Is(err, domain.ErrRevoked) {
		t.Fatalf("token of a revoked gateway: err = %v, want ErrRevoked", err)
	}
	// The list shows the enrolled gateways.
	gws, err := s.ListGateways(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(gws) != 3 {
		t.Fatalf("ListGateways = %d gateways, want 3", len(gws))
	}
}
