package storetest

import (
	"testing"

	"github.com/eldergate/eldergate/cloud/domain"
)

func testDesired(t *testing.T, s domain.Store) {
	t.Helper()
	_ = s // filled in with the feature
}
