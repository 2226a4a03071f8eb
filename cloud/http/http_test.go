package cloudhttp

import (
	"strings"
	"testing"
)

func TestParseActor(t *testing.T) {
	for body, want := range map[string]string{"": "console", "  ": "console", `{}`: "console", `{"by":" 李 "}`: "李", `{"by":"x","z":1}`: "x"} {
		got, err := ParseActor([]byte(body))
		if err != nil || got != want {
			t.Errorf("ParseActor(%q) = %q, %v; want %q", body, got, err, want)
		}
	}
	for _, body := range []string{`{`, `[]`, `{"by":3}`, `{"by":"` + strings.Repeat("长", 65) + `"}`} {
		if got, err := ParseActor([]byte(body)); err == nil {
			t.Errorf("ParseActor(%q) = %q, want error", body, got)
		}
	}
}

func FuzzParseActor(f *testing.F) {
	f.Add([]byte(`{"by":"王护工"}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"by":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		by, err := ParseActor(body)
		if err != nil {
			return
		}
		if by == "" || len([]rune(by)) > 64 || strings.TrimSpace(by) != by {
			t.Fatalf("ParseActor(%q) = %q", body, by)
		}
	})
}

func TestBearer(t *testing.T) {
	for h, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", " Bearer x y": "x y"} {
		if got, ok := bearer(h); !ok || got != want {
			t.Errorf("bearer(%q) = %q, %v", h, got, ok)
		}
	}
	for _, h := range []string{"", "Bearer", "Bearer ", "Basic abc", "abc"} {
		if got, ok := bearer(h); ok {
			t.Errorf("bearer(%q) = %q, want not ok", h, got)
		}
	}
}

func FuzzBearer(f *testing.F) {
	f.Add("Bearer abc")
	f.Add("Basic x")
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok := bearer(h)
		if ok && (tok == "" || strings.TrimSpace(tok) != tok) {
			t.Fatalf("bearer(%q) = %q", h, tok)
		}
	})
}
