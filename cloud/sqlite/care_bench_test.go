package sqlite_test

import (
	"context"
	"testing"

	"github.com/eldergate/eldergate/cloud/sqlite"
	"github.com/eldergate/eldergate/cloud/storetest"
)

// BenchmarkCareList: the visit list of a district of 100 sites × 100
// elders with 180 days of meals (docs/care.md, "Cost").
func BenchmarkCareList(b *testing.B) {
	s, err := sqlite.Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.BenchCareList(b, s, 100, 100, 180)
}
