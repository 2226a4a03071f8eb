package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSelftestCommand: the subcommand names the build, runs the checks in
// a directory of its own and refuses a directory that already holds
// something (exit code 2, in words).
func TestSelftestCommand(t *testing.T) {
	var out, errb bytes.Buffer
	dir := filepath.Join(t.TempDir(), "new")
	if err := runSelftest(t.Context(), []string{"--dir", dir}, &out, &errb); err != nil {
		t.Fatalf("selftest: %v\n%s%s", err, out.String(), errb.String())
	}
	if !strings.HasPrefix(out.String(), "build: eldergate-gateway "+version+", ") || !strings.HasSuffix(out.String(), "selftest: all checks passed\n") {
		t.Fatalf("output:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "gateway.db")); err != nil {
		t.Fatalf("the store is not in --dir: %v", err)
	}

	err := runSelftest(t.Context(), []string{"--dir", dir}, &out, &errb)
	if code := exitCode(err, &errb); code != 2 || !strings.Contains(err.Error(), "is not empty") {
		t.Fatalf("a used directory: exit code %d, err %v", code, err)
	}
	err = runSelftest(t.Context(), []string{"now"}, &out, &errb)
	if code := exitCode(err, &errb); code != 2 {
		t.Fatalf("an extra argument: exit code %d, err %v", code, err)
	}

	out.Reset()
	if err := runSelftest(t.Context(), nil, &out, &errb); err != nil || !strings.Contains(out.String(), "ok   reopen: ") {
		t.Fatalf("selftest in a temporary directory: %v\n%s", err, out.String())
	}
}
