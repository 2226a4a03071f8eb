package postgres_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// migrationVersions lists the versions of the migration files, in order,
// so that TestMigrate need not change with every new migration.
func migrationVersions(t *testing.T) []int32 {
	t.Helper()
	names, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v, %v", names, err)
	}
	out := make([]int32, 0, len(names))
	for _, n := range names { // Glob sorts
		num, _, _ := strings.Cut(filepath.Base(n), "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			t.Fatalf("migration %s: %v", n, err)
		}
		out = append(out, int32(v))
	}
	return out
}
