package cloud

import (
	"context"
	"fmt"
	"os"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

// openStore opens the store the configuration names: PostgreSQL when
// StoreDSN is set, else SQLite in DataDir. It never returns a non-nil
// interface holding a nil store.
func (c *Cloud) openStore(ctx context.Context) (domain.Store, error) {
	if c.cfg.StoreDSN != "" {
		s, err := postgres.Open(ctx, c.cfg.StoreDSN)
		if err != nil {
			return nil, fmt.Errorf("cloud: %w", err)
		}
		return s, nil
	}
	if err := os.MkdirAll(c.cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("cloud: data dir: %w", err)
	}
	s, err := sqlite.Open(ctx, c.cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	return s, nil
}
