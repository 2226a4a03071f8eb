package main

import (
	"bytes"
	"testing"
)

// TestVersion: "version" prints the version stamped at build time.
func TestVersion(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v1.2.3-4-gabcdef0"
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"version"}, &out, &errOut); err != nil || out.String() != "v1.2.3-4-gabcdef0\n" {
		t.Fatalf("version: %q, %v", out.String(), err)
	}
}
