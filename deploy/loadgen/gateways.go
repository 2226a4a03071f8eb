package loadgen

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/cloud/domain"
)

// ReadGateways reads a gateways file: CSV lines "id,site,user,password"
// (a first line "id,site,user,password" is a header; lines starting with
// # are comments; an empty user is the id). WriteGateways writes one.
func ReadGateways(r io.Reader) ([]Gateway, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var gws []Gateway
	seen := map[string]bool{}
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("loadgen: gateways file: %v", err)
		}
		l, _ := cr.FieldPos(0)
		if len(gws) == 0 && len(rec) > 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "id") {
			continue // header
		}
		if len(rec) != 4 {
			return nil, fmt.Errorf("loadgen: gateways file, line %d: %d fields, want 4 (id,site,user,password)", l, len(rec))
		}
		g := Gateway{ID: strings.TrimSpace(rec[0]), Site: strings.TrimSpace(rec[1]), User: strings.TrimSpace(rec[2]), Pass: rec[3]}
		if err := eldergate.ValidateGatewayID(g.ID); err != nil {
			return nil, fmt.Errorf("loadgen: gateways file, line %d: %v", l, err)
		}
		if g.Site == "" {
			return nil, fmt.Errorf("loadgen: gateways file, line %d: gateway %q has no site", l, g.ID)
		}
		if seen[g.ID] {
			return nil, fmt.Errorf("loadgen: gateways file, line %d: gateway %q listed twice", l, g.ID)
		}
		if len(gws) == MaxGateways {
			return nil, fmt.Errorf("loadgen: gateways file: more than %d gateways", MaxGateways)
		}
		seen[g.ID] = true
		if g.User == "" {
			g.User = g.ID
		}
		gws = append(gws, g)
	}
	if len(gws) == 0 {
		return nil, errors.New("loadgen: gateways file lists no gateway")
	}
	return gws, nil
}

// WriteGateways writes gws in the format ReadGateways reads.
func WriteGateways(w io.Writer, gws []Gateway) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "site", "user", "password"})
	for _, g := range gws {
		_ = cw.Write([]string{g.ID, g.Site, g.User, g.Pass})
	}
	cw.Flush()
	return cw.Error()
}

// CredentialStore is the part of the cloud's store Register uses
// (domain.CredentialStore; cloud/sqlite and cloud/postgres have it).
type CredentialStore interface {
	UpsertGateway(ctx context.Context, c domain.GatewayCredential) error
}

// Register creates or updates every gateway of gws in the cloud's store,
// at its site, with its password as the broker secret: a salted SHA-256
// when the password is long enough to be a generated one (as enrollment
// stores it, ADR 0035), bcrypt otherwise. The gateway's user must be its
// id for the cloud's broker to find it.
func Register(ctx context.Context, st CredentialStore, gws []Gateway) error {
	for _, g := range gws {
		if g.User != g.ID {
			return fmt.Errorf("loadgen: register %q: the cloud's broker knows a gateway by its id, user is %q", g.ID, g.User)
		}
		var hash string
		var err error
		if len(g.Pass) >= domain.MinGeneratedSecret {
			hash, err = domain.HashGeneratedSecret(g.Pass)
		} else {
			hash, err = domain.HashSecret(g.Pass)
		}
		if err != nil {
			return fmt.Errorf("loadgen: register %q: %w", g.ID, err)
		}
		if err := st.UpsertGateway(ctx, domain.GatewayCredential{ID: g.ID, Site: g.Site, SecretHash: hash}); err != nil {
			return fmt.Errorf("loadgen: register %q: %w", g.ID, err)
		}
	}
	return nil
}
