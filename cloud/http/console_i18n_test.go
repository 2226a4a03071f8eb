package cloudhttp

import (
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// consoleScripts returns the console's scripts by path: app.js and every
// page under pages/.
func consoleScripts(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := fs.WalkDir(consoleFS, "console", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") || strings.HasPrefix(p, "console/vendor/") {
			return err
		}
		b, err := consoleFS.ReadFile(p)
		out[strings.TrimPrefix(p, "console/")] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if out["app.js"] == "" {
		t.Fatal("console/app.js not found")
	}
	return out
}

// consoleLangs are the console's languages as its dictionaries name them.
var consoleLangs = map[string]string{`"zh-CN": {`: "zh-CN", `"zh-HK": {`: "zh-HK", "en: {": "en"}

// dictionaries returns the zh-CN, zh-HK and en dictionaries of one
// script (key -> text): the objects opened by `"zh-CN": {`, `"zh-HK": {`
// and `en: {`, each read to its matching brace outside strings.
func dictionaries(js string) map[string]map[string]string {
	val := regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*): "((?:[^"\\]|\\.)*)"`)
	out := map[string]map[string]string{}
	for open, lang := range consoleLangs {
		for rest := js; ; {
			i := strings.Index(rest, open)
			if i < 0 {
				break
			}
			body := rest[i+len(open):]
			end := matchBrace(body)
			if out[lang] == nil {
				out[lang] = map[string]string{}
			}
			for _, m := range val.FindAllStringSubmatch(body[:end], -1) {
				out[lang][m[1]] = m[2]
			}
			rest = body[end:]
		}
	}
	return out
}

// matchBrace returns the index of the "}" closing an object whose "{" is
// just before s, skipping braces inside quoted strings ("{v}").
func matchBrace(s string) int {
	depth, quote := 1, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == '\\':
			i++
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '{':
			depth++
		case c == '}':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return len(s)
}

// consoleTexts returns the console's zh-CN, zh-HK and en dictionaries:
// app.js's and every page's, merged (key -> text). A key defined by two
// scripts with different texts fails the test.
func consoleTexts(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{"zh-CN": {}, "zh-HK": {}, "en": {}}
	from := map[string]string{}
	for path, js := range consoleScripts(t) {
		for lang, d := range dictionaries(js) {
			for k, v := range d {
				if old, ok := out[lang][k]; ok && old != v {
					t.Errorf("%s: %s %q is %q in %s", path, lang, k, old, from[lang+k])
				}
				out[lang][k] = v
				from[lang+k] = path
			}
		}
	}
	return out
}

// TestConsoleTextsTranslated: every text of the console (data-i18n in
// index.html and in the pages' HTML, t("...") and fmt("...") in the
// scripts) and the roster tab's state and credential names exist in
// zh-CN, zh-HK and en.
func TestConsoleTextsTranslated(t *testing.T) {
	scripts := consoleScripts(t)
	html, _ := consoleFS.ReadFile("console/index.html")
	used := map[string]bool{}
	i18n := regexp.MustCompile(`data-i18n="([^"]+)"`)
	call := regexp.MustCompile(`\b(?:t|fmt|menuSay)\("([A-Za-z_][A-Za-z0-9_]*)"`)
	for _, m := range i18n.FindAllStringSubmatch(string(html), -1) {
		used[m[1]] = true
	}
	for _, js := range scripts {
		for _, re := range []*regexp.Regexp{i18n, call} {
			for _, m := range re.FindAllStringSubmatch(js, -1) {
				used[m[1]] = true
			}
		}
		// A page's tab label is named by its tab: key.
		for _, m := range regexp.MustCompile(`\btab: "([A-Za-z_][A-Za-z0-9_]*)"`).FindAllStringSubmatch(js, -1) {
			used[m[1]] = true
		}
	}
	for _, k := range []string{"cs_active", "cs_lost", "cs_cancelled", "ck_card", "ck_resident_id", "ck_ssc",
		"o_helped_on_site", "o_sent_to_hospital", "o_family_contacted", "o_false_alarm", "o_test"} {
		used[k] = true
	}
	for _, k := range []string{"tabRoster", "rCheck", "rRefused", "rImported", "lostDone", "pRefused", "pAssigned",
		"resolve", "resolveSubmit", "resolveFailed", "pressedAgain", "pageDenied", "pageUnknown",
		"tabMenu", "mSaved", "mSame", "mRefused", "mBadPrice", "mPriceRange", "mNeedName", "mRemoved", "mSummary", "mNone"} {
		if !used[k] {
			t.Errorf("console text %s is not used", k)
		}
	}
	texts := consoleTexts(t)
	for lang, d := range texts {
		if len(d) < 50 {
			t.Fatalf("%s: only %d keys parsed", lang, len(d))
		}
		for k := range used {
			if _, ok := d[k]; !ok {
				t.Errorf("%s: no text for %q", lang, k)
			}
		}
	}
	// Every page defines its texts in all three languages.
	for path, js := range scripts {
		d := dictionaries(js)
		for k := range d["en"] {
			for _, lang := range []string{"zh-CN", "zh-HK"} {
				if _, ok := d[lang][k]; !ok {
					t.Errorf("%s: %s has no text for %q", path, lang, k)
				}
			}
		}
	}
	// Placeholders must match between languages, or a translation shows
	// "{v}" to the operator.
	ph := regexp.MustCompile(`\{(\w+)\}`)
	for k, en := range texts["en"] {
		want := strings.Join(sortedSet(ph.FindAllString(en, -1)), ",")
		for _, lang := range []string{"zh-CN", "zh-HK"} {
			if got := strings.Join(sortedSet(ph.FindAllString(texts[lang][k], -1)), ","); got != want {
				t.Errorf("%s %s: placeholders %q, en has %q", lang, k, got, want)
			}
		}
	}
}

// TestConsolePagesLoaded: every page under pages/ is loaded by
// index.html, and every page index.html loads exists.
func TestConsolePagesLoaded(t *testing.T) {
	html, _ := consoleFS.ReadFile("console/index.html")
	var loaded, have []string
	for _, m := range regexp.MustCompile(`<script src="(pages/[^"]+\.js)" defer></script>`).FindAllStringSubmatch(string(html), -1) {
		loaded = append(loaded, m[1])
	}
	for p := range consoleScripts(t) {
		if strings.HasPrefix(p, "pages/") {
			have = append(have, p)
		}
	}
	slices.Sort(loaded)
	slices.Sort(have)
	if !slices.Equal(loaded, have) {
		t.Errorf("index.html loads %v; pages/ has %v", loaded, have)
	}
}

func sortedSet(xs []string) []string {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	out := make([]string, 0, len(m))
	for x := range m {
		out = append(out, x)
	}
	slices.Sort(out)
	return out
}
