package kiosk_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
	"github.com/eldergate/eldergate/kiosk"
	"github.com/eldergate/eldergate/policy"
)

func TestFilesAndTestHooks(t *testing.T) {
	read := func(name string) string {
		b, err := fs.ReadFile(kiosk.FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	html, js := read("index.html"), read("app.js")
	read("style.css")
	for _, hook := range []string{`data-testid="staff-panel"`, `data-testid="staff-pin"`, `data-testid="staff-q"`,
		`data-testid="alert-banner"`, `id="alert-state"`, `data-testid="alert-where"`, `data-testid="alert-pressed-again"`, `data-testid="staff-alerts"`} {
		if !strings.Contains(html, hook) {
			t.Errorf("index.html lacks %s", hook)
		}
	}
	for _, hook := range []string{`"/api/staff/login"`, `"/api/staff/meal"`, `"/api/staff/void"`, `addEventListener("staff"`, "disk_full:", "Authorization",
		`"/api/alerts"`, `"/api/staff/alerts"`, `"/api/staff/alerts/ack"`, `"/api/staff/alerts/resolve"`, `addEventListener("alert"`,
		`"data-alert-id"`, `"staff-alert-ack"`, `"staff-alert-resolve"`, `id: "alert-by"`} {
		if !strings.Contains(js, hook) {
			t.Errorf("app.js lacks %s", hook)
		}
	}
	for _, hook := range []string{`data-testid="tap-result"`, `data-decision=""`, `data-testid="sim-button"`, `data-testid="alert-banner"`, `src="app.js"`} {
		if !strings.Contains(html, hook) {
			t.Errorf("index.html lacks %s", hook)
		}
	}
	for _, hook := range []string{`"data-testid", "sim-tap"`, "dataset.card", "dataset.decision", `"/api/events"`, `"/api/voice?"`, `"zh-HK"`} {
		if !strings.Contains(js, hook) {
			t.Errorf("app.js lacks %s", hook)
		}
	}
}

// TestLanguagesComplete: zh-CN, zh-HK and en have the same texts (the
// keys of their blocks, nested ones included) in app.js and in the
// results' texts it shares with the cashier's screen (results.js).
func TestLanguagesComplete(t *testing.T) {
	app := languageKeys(t, "app.js")
	for _, k := range []string{"alert_calling", "alert_acked", "alert_done", "helped_on_site", "kiosk_disconnected"} {
		if !app["zh-CN"][k] {
			t.Fatalf("zh-CN lacks %s: the key pattern is wrong", k)
		}
	}
	results := languageKeys(t, "results.js")
	for _, k := range []string{"approved", "to_pay", "unknown_card", "disk_full"} {
		if !results["zh-CN"][k] {
			t.Fatalf("results.js: zh-CN lacks %s: the key pattern is wrong", k)
		}
	}
	for file, langs := range map[string]map[string]map[string]bool{"app.js": app, "results.js": results} {
		for name, set := range langs {
			for other, oset := range langs {
				for k := range set {
					if !oset[k] {
						t.Errorf("%s: %s has %s, %s has not", file, name, k, other)
					}
				}
			}
		}
	}
}

// languageKeys returns the keys of the zh-CN, zh-HK and en blocks of the
// text table at the top of file (blocks "zh-CN": {, "zh-HK": {, en: {,
// closed by "};").
func languageKeys(t *testing.T, file string) map[string]map[string]bool {
	t.Helper()
	b, err := fs.ReadFile(kiosk.FS(), file)
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	start, hk, en := strings.Index(js, `"zh-CN": {`), strings.Index(js, `"zh-HK": {`), strings.Index(js, "\n  en: {")
	end := strings.Index(js[en:], "\n};") + en
	if start < 0 || hk < start || en < hk || end < en {
		t.Fatalf("language blocks not found in %s", file)
	}
	key := regexp.MustCompile(`(?:^|[{,]\s*)([a-z_0-9]+):\s`)
	keys := func(block string) map[string]bool {
		out := map[string]bool{}
		for _, line := range strings.Split(block, "\n") {
			for _, m := range key.FindAllStringSubmatch(strings.TrimSpace(line), -1) {
				out[m[1]] = true
			}
		}
		return out
	}
	return map[string]map[string]bool{"zh-CN": keys(js[start:hk]), "zh-HK": keys(js[hk:en]), "en": keys(js[en+len("\n  en: {") : end])}
}

// TestEveryReasonSaid: every reason code a decision or the tap desk can
// give has its words on the elder's screen (why), and a refusal has what
// to do next (the "next" block, or its general "_" entry). The languages
// have the same keys (TestLanguagesComplete), so zh-CN is checked here.
func TestEveryReasonSaid(t *testing.T) {
	block := func(file, name string) string {
		b, err := fs.ReadFile(kiosk.FS(), file)
		if err != nil {
			t.Fatal(err)
		}
		js := string(b)
		i := strings.Index(js, "\n    "+name+": {")
		if i < 0 {
			t.Fatalf("%s has no %s block", file, name)
		}
		j := strings.Index(js[i:], "},")
		return js[i : i+j]
	}
	reasons, next := block("results.js", "reasons"), block("app.js", "next")
	for _, code := range []string{eldergate.ReasonUnknownCard, eldergate.ReasonCardInactive, eldergate.ReasonCardLost,
		eldergate.ReasonCardCancelled, eldergate.ReasonOutsideWindow, eldergate.ReasonAlreadyServed, eldergate.ReasonNoSubsidyLimit,
		policy.ReasonNotEligible, policy.ReasonBelowMinSpend, policy.ReasonOutsideJurisdiction, policy.ReasonNoSubsidy,
		policy.ReasonUsageStale, policy.ReasonPriceUnknown, policy.ReasonInvalidInput,
		tapdesk.ReasonSystemError, tapdesk.ReasonDiskFull} {
		if !regexp.MustCompile(`\b` + code + `: "[^"]+"`).MatchString(reasons) {
			t.Errorf("reason %s has no words on the kiosk", code)
		}
	}
	if !strings.Contains(next, `_: "`) {
		t.Error("the next block has no general entry _")
	}
	for _, period := range []string{policy.PeriodWindow, policy.PeriodDay, policy.PeriodWeek, policy.PeriodMonth} {
		if !regexp.MustCompile(`\b` + period + `: "[^"]+"`).MatchString(block("app.js", "limits")) {
			t.Errorf("limit period %s has no words on the kiosk", period)
		}
	}
}

// TestReasonsForTheCloud: kiosk.Reasons (the words the cloud's meals list
// shows) reads every reason of results.js, in the three languages, as the
// kiosk writes them.
func TestReasonsForTheCloud(t *testing.T) {
	r := kiosk.Reasons()
	for _, lang := range []string{"zh-CN", "zh-HK", "en"} {
		if len(r[lang]) < 19 || len(r[lang]) != len(r["zh-CN"]) {
			t.Errorf("%s: %d reasons, zh-CN %d", lang, len(r[lang]), len(r["zh-CN"]))
		}
	}
	for code, want := range map[string]string{"unknown_card": "这张卡还没有登记", "disk_full": "存储已满，暂停记餐", "ok": ""} {
		if got, ok := r["zh-CN"][code]; !ok || got != want {
			t.Errorf("zh-CN %s = %q, want %q", code, got, want)
		}
	}
	if r["en"]["already_served"] != "You have had this meal already" || r["zh-HK"]["card_lost"] != "這張卡已報失" {
		t.Errorf("reasons: %v", r)
	}
}
