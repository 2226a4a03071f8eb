package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/firmware-gateway/config"
)

func TestParseTill(t *testing.T) {
	c, err := config.Parse([]byte(minimal + "till: {tokens: {till-1: 0123456789abcdef0123}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Till.Tokens["till-1"] != "0123456789abcdef0123" || c.Till.Timeout != time.Minute || c.Till.MaxFen != 20000 {
		t.Fatalf("till = %+v", c.Till)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"till: {tokens: {till-1: short}}", "till.tokens.till-1: the token must be at least 16 characters"},
		{"till: {tokens: {a: 0123456789abcdef, b: 0123456789abcdef}}", "each till needs its own"},
		{"till: {timeout: 10ms}", "till.timeout 10ms: must be between 1s"},
		{"till: {max_fen: -5}", "till.max_fen -5"},
		{"till: {token: x}", "field token not found"},
	} {
		if _, err := config.Parse([]byte(minimal + tc.yaml + "\n")); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.want)
		}
	}
	// The tokens are local secrets: a config command may not set them.
	var pushed config.Config
	pushed.Till.Tokens = map[string]string{"till-9": "0123456789abcdef"}
	if err := config.CheckLocalOnly(pushed, c); err == nil || !strings.Contains(err.Error(), "till.tokens") {
		t.Fatalf("pushed till tokens: %v", err)
	}
	config.LocalOnly(&pushed, c)
	if pushed.Till.Tokens["till-1"] == "" || pushed.Till.Tokens["till-9"] != "" {
		t.Fatalf("local-only tokens: %+v", pushed.Till.Tokens)
	}
}
