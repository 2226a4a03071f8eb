package storetest

import (
	"testing"

	"github.com/eldergate/eldergate/cloud/domain"
)

func testOrg(t *testing.T, s domain.Store) {
	t.Helper()
	_ = s // filled in with the feature
}
