package domain

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestRedactJSON: passwords, tokens, secrets and the enrollment URL are
// replaced at any depth; other fields, numbers and order-independent
// content stay; a non-JSON body is nil.
func TestRedactJSON(t *testing.T) {
	in := `{"username":"li","password":"hunter2","nested":{"new_password":"x","csrf_token":"abc","webhook_secret":"s"},
		"list":[{"token":"egt_1"},{"name":"ok"}],"enroll_url":"https://x/enroll?t=1","amount":12345678901234567890,"secret":"",
		"channels":[{"url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecomkey1"}]}`
	got := string(RedactJSON([]byte(in)))
	for _, leak := range []string{"hunter2", `"x"`, "abc", `"s"`, "egt_1", "enroll?t", "wecomkey1"} {
		if strings.Contains(got, leak) {
			t.Errorf("redacted JSON still holds %s: %s", leak, got)
		}
	}
	for _, keep := range []string{`"username":"li"`, `"name":"ok"`, "12345678901234567890", `"secret":""`, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?"} {
		if !strings.Contains(got, keep) {
			t.Errorf("redacted JSON lost %s: %s", keep, got)
		}
	}
	if RedactJSON([]byte("id,name\n1,张三")) != nil || RedactJSON([]byte(`{"a":1} {"b":2}`)) != nil {
		t.Error("non-JSON body redacted to something")
	}
}

// TestAuditChain: a chain of rows verifies; a changed field, a changed
// previous hash and a missing row each break it at that row.
func TestAuditChain(t *testing.T) {
	var rows []AuditEntry
	prev := AuditGenesis
	for i := range 4 {
		e := AuditEntry{ID: int64(i + 1), At: time.Date(2026, 12, 6, 10, i, 0, 0, time.UTC), Method: "PUT", Route: "PUT /x", Status: 200, After: []byte(`{"n":1}`)}
		e.PrevHash = prev
		e.Hash = AuditHash(prev, e)
		prev = e.Hash
		rows = append(rows, e)
	}
	walk := func(rows []AuditEntry) (int64, string) {
		c := AuditChain{PrevHash: AuditGenesis}
		for _, e := range rows {
			if r := c.Next(e); r != "" {
				return e.ID, r
			}
		}
		return 0, ""
	}
	if id, r := walk(rows); id != 0 {
		t.Fatalf("intact chain broken at %d: %s", id, r)
	}
	edited := append([]AuditEntry(nil), rows...)
	edited[2].After = []byte(`{"n":2}`)
	if id, r := walk(edited); id != 3 || !strings.Contains(r, "changed") {
		t.Errorf("edited row: %d %q", id, r)
	}
	removed := append(append([]AuditEntry(nil), rows[:1]...), rows[2:]...)
	if id, r := walk(removed); id != 3 || !strings.Contains(r, "missing") {
		t.Errorf("removed row: %d %q", id, r)
	}
	rehashed := append([]AuditEntry(nil), rows...)
	rehashed[1].Status = 500
	rehashed[1].Hash = AuditHash(rehashed[1].PrevHash, rehashed[1]) // recomputed, but row 3 still names the old hash
	if id, _ := walk(rehashed); id != 3 {
		t.Errorf("rehashed row: broken at %d, want 3", id)
	}
}

// FuzzRedactJSON: whatever the body, the result is nil or valid JSON that
// redacting again leaves as it is, and a password planted in an object
// never survives.
func FuzzRedactJSON(f *testing.F) {
	f.Add([]byte(`{"password":"p","a":[{"x_token":"t"}],"url":"https://h/p?key=k"}`))
	f.Add([]byte(`[1,"two",null,{"secret":{"nested":"s"}}]`))
	f.Add([]byte(`"just a string"`))
	f.Fuzz(func(t *testing.T, body []byte) {
		out := RedactJSON(body)
		if out == nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("RedactJSON(%q) = %q: not JSON", body, out)
		}
		if again := RedactJSON(out); string(again) != string(out) {
			t.Fatalf("not idempotent: %q then %q", out, again)
		}
		planted := RedactJSON([]byte(`{"password":"PLANTED-SECRET","body":` + string(out) + `}`))
		if strings.Contains(string(planted), "PLANTED-SECRET") {
			t.Fatalf("password kept next to %q", out)
		}
	})
}
