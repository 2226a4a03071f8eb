package gateway

import (
	"bytes"
	"strings"
	"testing"

	"github.com/eldergate/eldergate/docs/policies"
)

// TestSelfTest: every check of a build passes on this machine, one line each.
func TestSelfTest(t *testing.T) {
	var out bytes.Buffer
	if err := SelfTest(t.Context(), t.TempDir(), &out); err != nil {
		t.Fatalf("selftest: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"store", "roster", "policy", "meal", "read back", "usage", "reopen"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, name := range want {
		if !strings.HasPrefix(lines[i], "ok   "+name+": ") {
			t.Fatalf("line %d = %q, want check %q passed", i+1, lines[i], name)
		}
	}
	if !strings.Contains(out.String(), "20.00 − 6.00 − 1.40 = 12.60 to pay") {
		t.Fatalf("the meal's line does not show the sum:\n%s", out.String())
	}
}

// TestSelfTestFailsNamingTheCheck: a decision other than the expected
// one, or a store that is not fresh, fails the self-test with the check
// named and what was wanted, in words; no later check runs.
func TestSelfTestFailsNamingTheCheck(t *testing.T) {
	doc := bytes.Replace(policies.Zhuhai2024, []byte("percent: 10"), []byte("percent: 20"), 1)
	if bytes.Equal(doc, policies.Zhuhai2024) {
		t.Fatal("the Zhuhai policy has no 10% discount to change")
	}
	var out bytes.Buffer
	err := selfTest(t.Context(), t.TempDir(), &out, doc)
	if err == nil || !strings.HasPrefix(err.Error(), "selftest: meal: ") || !strings.Contains(err.Error(), "11.20 to pay of 20.00, want approved with 12.60") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out.String(), "FAIL meal: ") || strings.Contains(out.String(), "read back") {
		t.Fatalf("output:\n%s", out.String())
	}

	dir := t.TempDir()
	if err := SelfTest(t.Context(), dir, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = SelfTest(t.Context(), dir, &out) // the store of the first run is there
	if err == nil || !strings.HasPrefix(err.Error(), "selftest: store: ") || !strings.Contains(err.Error(), "not a fresh store") {
		t.Fatalf("second run in the same directory: err = %v", err)
	}
	if !strings.HasPrefix(out.String(), "FAIL store: ") {
		t.Fatalf("output:\n%s", out.String())
	}
}
