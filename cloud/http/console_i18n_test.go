package cloudhttp

import (
	"regexp"
	"strings"
	"testing"
)

// consoleTexts returns the zh-CN, zh-HK and en dictionaries of the
// console's app.js: key -> text.
func consoleTexts(t *testing.T) map[string]map[string]string {
	t.Helper()
	js, err := consoleFS.ReadFile("console/app.js")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(js), "\n    en: {")
	if len(blocks) != 2 {
		t.Fatal("app.js: en block not found")
	}
	zh := strings.Split(blocks[0], `"zh-HK": {`)
	if len(zh) != 2 {
		t.Fatal("app.js: zh-HK block not found")
	}
	val := regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*): "((?:[^"\\]|\\.)*)"`)
	out := map[string]map[string]string{}
	for name, block := range map[string]string{"zh-CN": zh[0], "zh-HK": zh[1], "en": strings.SplitN(blocks[1], "\n    },", 2)[0]} {
		out[name] = map[string]string{}
		for _, m := range val.FindAllStringSubmatch(block, -1) {
			out[name][m[1]] = m[2]
		}
	}
	return out
}

// TestConsoleTextsTranslated: every text of the console (data-i18n in
// index.html, t("...") and fmt("...") in app.js) and the roster tab's
// state and credential names exist in zh-CN, zh-HK and en.
func TestConsoleTextsTranslated(t *testing.T) {
	js, _ := consoleFS.ReadFile("console/app.js")
	html, _ := consoleFS.ReadFile("console/index.html")
	used := map[string]bool{}
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`data-i18n="([^"]+)"`)} {
		for _, m := range re.FindAllStringSubmatch(string(html), -1) {
			used[m[1]] = true
		}
	}
	for _, m := range regexp.MustCompile(`\b(?:t|fmt|menuSay)\("([A-Za-z_][A-Za-z0-9_]*)"`).FindAllStringSubmatch(string(js), -1) {
		used[m[1]] = true
	}
	for _, k := range []string{"cs_active", "cs_lost", "cs_cancelled", "ck_card", "ck_resident_id", "ck_ssc",
		"o_helped_on_site", "o_sent_to_hospital", "o_family_contacted", "o_false_alarm", "o_test"} {
		used[k] = true
	}
	for _, k := range []string{"tabRoster", "rCheck", "rRefused", "rImported", "lostDone",
		"resolve", "resolveSubmit", "resolveFailed", "pressedAgain",
		"tabMenu", "mSaved", "mSame", "mRefused", "mBadPrice", "mPriceRange", "mNeedName", "mRemoved", "mSummary", "mNone"} {
		if !used[k] {
			t.Errorf("roster tab text %s is not used", k)
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

func sortedSet(xs []string) []string {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	out := make([]string, 0, len(m))
	for x := range m {
		out = append(out, x)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
