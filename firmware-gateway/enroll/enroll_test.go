package enroll_test

import (
	"testing"

	"github.com/eldergate/eldergate/firmware-gateway/enroll"
)

func TestParseLink(t *testing.T) {
	c, tok, err := enroll.ParseLink("eldergate://enroll?cloud=https%3A%2F%2Fcloud.example%3A8443&token=abc_-1")
	if err != nil || c != "https://cloud.example:8443" || tok != "abc_-1" {
		t.Fatalf("= %q, %q, %v", c, tok, err)
	}
	for _, bad := range []string{"https://x/enroll?cloud=a&token=b", "eldergate://other?cloud=a&token=b", "eldergate://enroll?cloud=a"} {
		if _, _, err := enroll.ParseLink(bad); err == nil {
			t.Errorf("ParseLink(%q): no error", bad)
		}
	}
}
