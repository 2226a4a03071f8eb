package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func() domain.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMigrateTwice(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRejection(ctx, "gw-a", "r", "", nil, storetestTime); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	rs, err := s.ListRejections(ctx, "")
	if err != nil || len(rs) != 1 {
		t.Fatalf("after reopen: %v, %v", rs, err)
	}
}

var storetestTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
