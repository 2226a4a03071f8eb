package cloudhttp

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/cloud/domain"
	"github.com/eldergate/eldergate/deploy/testenv"
)

const testPW = "correct horse battery"

// TestCSRF: a change made with the session cookie needs its X-CSRF-Token
// and the page's own origin; bearer requests carry no ambient credential
// and need neither; reads need neither.
func TestCSRF(t *testing.T) {
	f := newOrgFixture(t)
	addUser(t, f.st, "staff", domain.RoleStaff, "st-a", testPW)
	se := signIn(t, f.h, "staff", testPW)
	ack := "/api/v1/alerts/" + f.alerts["gw-a1"] + "/ack"
	send := func(hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", ack, strings.NewReader(`{"via":"console"}`))
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: se.cookie})
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, req)
		return w
	}
	for _, c := range []struct {
		name string
		hdr  map[string]string
	}{
		{"no token", map[string]string{"Origin": "http://example.com"}},
		{"wrong token", map[string]string{CSRFHeader: se.csrf + "x", "Origin": "http://example.com"}},
		{"another origin", map[string]string{CSRFHeader: se.csrf, "Origin": "http://evil.example"}},
		{"null origin", map[string]string{CSRFHeader: se.csrf, "Origin": "null"}},
		{"cross-site fetch", map[string]string{CSRFHeader: se.csrf, "Sec-Fetch-Site": "cross-site"}},
		{"another referer", map[string]string{CSRFHeader: se.csrf, "Referer": "http://evil.example/x"}},
		{"no origin at all", map[string]string{CSRFHeader: se.csrf}},
	} {
		if w := send(c.hdr); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "refused") {
			t.Errorf("%s: %d %s, want 403 in words", c.name, w.Code, w.Body)
		}
	}
	if a := f.alertJSON(t, f.alerts["gw-a1"]); a["state"] != "open" {
		t.Fatalf("a refused change acked the alert: %v", a["state"])
	}
	w := send(map[string]string{CSRFHeader: se.csrf, "Sec-Fetch-Site": "same-origin"})
	if w.Code != http.StatusOK {
		t.Fatalf("token and same-origin fetch: %d %s", w.Code, w.Body)
	}
	// The acknowledger is the signed-in person's display name.
	if a := f.alertJSON(t, f.alerts["gw-a1"]); a["acked_by"] != "名staff" {
		t.Errorf("acked by %v, want the user's name", a["acked_by"])
	}
	if w := se.do(f.h, "POST", "/api/v1/alerts/"+f.alerts["gw-a2"]+"/ack", `{"via":"console"}`, true); w.Code != http.StatusOK {
		t.Errorf("token and Origin: %d %s", w.Code, w.Body)
	}
	req := httptest.NewRequest("POST", "/api/v1/alerts/"+f.alerts["gw-b1"]+"/ack", nil)
	req.Header.Set("Authorization", "Bearer adm")
	req.Header.Set("Origin", "http://evil.example")
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf("bearer request from anywhere: %d %s", rec.Code, rec.Body)
	}
	if w := se.do(f.h, "GET", "/api/v1/alerts", "", false); w.Code != http.StatusOK {
		t.Errorf("a read without the CSRF token: %d", w.Code)
	}
	// The sign-in itself refuses another origin.
	if w := post(f.h, "/api/v1/session", `{"login":"staff","password":"`+testPW+`"}`, "http://evil.example"); w.Code != http.StatusForbidden {
		t.Errorf("sign-in from another origin: %d %s", w.Code, w.Body)
	}
}

// TestLockout: the fifth wrong password locks the login for 15 minutes;
// the right one is refused until then with the time in words; an admin
// unlocks; unknown logins are refused in the same words after the same
// work; one address gets LoginsPerAddress attempts a minute.
func TestLockout(t *testing.T) {
	f := newOrgFixture(t)
	addUser(t, f.st, "li", domain.RoleViewer, "st-a", testPW)
	addUser(t, f.st, "boss", domain.RoleAdmin, "", testPW)
	login := func(l, pw string) *httptest.ResponseRecorder {
		return post(f.h, "/api/v1/session", `{"login":"`+l+`","password":"`+pw+`"}`, "")
	}
	for i := 1; i <= 4; i++ {
		if w := login("li", "wrong password"); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "wrong login or password") {
			t.Fatalf("wrong password %d: %d %s", i, w.Code, w.Body)
		}
	}
	start := time.Now()
	w := login("nobody", "wrong password")
	if took := time.Since(start); took < 20*time.Millisecond {
		t.Errorf("an unknown login took %v: no hash was computed", took)
	}
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "wrong login or password") {
		t.Fatalf("unknown login: %d %s", w.Code, w.Body)
	}
	w = login("LI ", "wrong password") // logins are trimmed and lower case
	var locked struct {
		Error       string    `json:"error"`
		LockedUntil time.Time `json:"locked_until"`
	}
	if w.Code != http.StatusForbidden || json.Unmarshal(w.Body.Bytes(), &locked) != nil || !locked.LockedUntil.Equal(f.clock().Add(LockFor)) {
		t.Fatalf("fifth wrong password: %d %s", w.Code, w.Body)
	}
	if want := "try again at 11:19 (Asia/Shanghai)"; !strings.Contains(locked.Error, want) { // 03:04 UTC + 15 min
		t.Errorf("locked message %q lacks %q", locked.Error, want)
	}
	if w := login("li", testPW); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "locked") {
		t.Fatalf("right password while locked: %d %s", w.Code, w.Body)
	}
	admin := signIn(t, f.h, "boss", testPW)
	if w := admin.do(f.h, "POST", "/api/v1/users/usr-li/unlock", "", true); w.Code != http.StatusOK {
		t.Fatalf("unlock: %d %s", w.Code, w.Body)
	}
	signIn(t, f.h, "li", testPW)
	// Locked again, the lock ends by itself after 15 minutes.
	for range MaxLoginFailures {
		login("li", "wrong password")
	}
	f.advance(LockFor - time.Second)
	if w := login("li", testPW); w.Code != http.StatusForbidden {
		t.Fatalf("a second before the end of the lock: %d", w.Code)
	}
	f.advance(time.Second)
	signIn(t, f.h, "li", testPW)
	// The per-address limit (the attempts above were from the same address
	// but in earlier minutes of the fake clock... the limiter runs on it).
	f.advance(time.Minute)
	n := 0
	for ; n < 2*LoginsPerAddress; n++ {
		if w := login("nobody", "x"); w.Code == http.StatusTooManyRequests {
			break
		}
	}
	if n != LoginsPerAddress {
		t.Errorf("refused after %d attempts, want %d", n, LoginsPerAddress)
	}
}

// TestSessionLifecycle: a session ends after 30 idle minutes, after 12
// hours whatever its use, and at sign-out; a person whose password an
// admin reset can only change it; the change ends its other sessions.
func TestSessionLifecycle(t *testing.T) {
	f := newOrgFixture(t)
	addUser(t, f.st, "li", domain.RoleViewer, "st-a", testPW)
	addUser(t, f.st, "boss", domain.RoleAdmin, "", testPW)
	se := signIn(t, f.h, "li", testPW)
	me := func(s session) int { return s.do(f.h, "GET", "/api/v1/me", "", false).Code }
	f.advance(29 * time.Minute)
	if c := me(se); c != http.StatusOK {
		t.Fatalf("after 29 minutes: %d", c)
	}
	f.advance(29 * time.Minute)
	if c := me(se); c != http.StatusOK {
		t.Fatalf("used 29 minutes ago: %d", c)
	}
	f.advance(30 * time.Minute)
	if c := me(se); c != http.StatusUnauthorized {
		t.Fatalf("idle 30 minutes: %d, want 401", c)
	}
	se = signIn(t, f.h, "li", testPW)
	for range 12 * 60 / 20 {
		if c := me(se); c != http.StatusOK {
			t.Fatalf("used every 20 minutes: %d", c)
		}
		f.advance(20 * time.Minute)
	}
	if c := me(se); c != http.StatusUnauthorized {
		t.Fatalf("after 12 hours: %d, want 401", c)
	}
	se = signIn(t, f.h, "li", testPW)
	if w := se.do(f.h, "DELETE", "/api/v1/session", "", false); w.Code != http.StatusForbidden {
		t.Errorf("sign-out without the CSRF token: %d", w.Code)
	}
	w := se.do(f.h, "DELETE", "/api/v1/session", "", true)
	if w.Code != http.StatusNoContent || !strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign-out: %d %v", w.Code, w.Header())
	}
	if c := me(se); c != http.StatusUnauthorized {
		t.Fatalf("after sign-out: %d", c)
	}

	// An admin reset: the old password and sessions are gone; the
	// temporary one opens a session that can only change it.
	se = signIn(t, f.h, "li", testPW)
	admin := signIn(t, f.h, "boss", testPW)
	w = admin.do(f.h, "POST", "/api/v1/users/usr-li/password", "", true)
	var reset UserWithPassword
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &reset) != nil || len(reset.Password) != 12 || !reset.MustChangePassword {
		t.Fatalf("reset: %d %s", w.Code, w.Body)
	}
	if c := me(se); c != http.StatusUnauthorized {
		t.Errorf("a session survived the reset: %d", c)
	}
	if w := post(f.h, "/api/v1/session", `{"login":"li","password":"`+testPW+`"}`, ""); w.Code != http.StatusUnauthorized {
		t.Errorf("the old password after a reset: %d", w.Code)
	}
	tmp := signIn(t, f.h, "li", reset.Password)
	if w := tmp.do(f.h, "GET", "/api/v1/meals", "", false); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "choose your own") {
		t.Errorf("meals before the change: %d %s", w.Code, w.Body)
	}
	if w := tmp.do(f.h, "POST", "/api/v1/me/password", `{"old_password":"wrong one!!","new_password":"a new password 1"}`, true); w.Code != http.StatusForbidden {
		t.Errorf("change with a wrong current password: %d %s", w.Code, w.Body)
	}
	if w := tmp.do(f.h, "POST", "/api/v1/me/password", `{"old_password":"`+reset.Password+`","new_password":"short"}`, true); w.Code != http.StatusBadRequest {
		t.Errorf("too short: %d %s", w.Code, w.Body)
	}
	if w := tmp.do(f.h, "POST", "/api/v1/me/password", `{"old_password":"`+reset.Password+`","new_password":"a new password 1"}`, true); w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"must_change_password":true`) {
		t.Fatalf("change: %d %s", w.Code, w.Body)
	}
	if w := tmp.do(f.h, "GET", "/api/v1/meals", "", false); w.Code != http.StatusOK {
		t.Errorf("meals after the change, same session: %d %s", w.Code, w.Body)
	}
	signIn(t, f.h, "li", "a new password 1")
	// A token has no password; the auditor signs out too.
	if w := do(f.h, "POST", "/api/v1/me/password", "adm", `{"old_password":"x","new_password":"y"}`); w.Code != http.StatusBadRequest {
		t.Errorf("a token changes its password: %d", w.Code)
	}
	// The audit log holds the changes above, never a password.
	if w := do(f.h, "GET", "/api/v1/audit?limit=200", "adm", ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "/api/v1/me/password") {
		t.Errorf("audit: %d %.300s", w.Code, w.Body)
	} else {
		for _, pw := range []string{testPW, reset.Password, "a new password 1", "wrong one!!"} {
			if strings.Contains(w.Body.String(), pw) {
				t.Errorf("the audit log holds the password %q", pw)
			}
		}
	}
	addUser(t, f.st, "aud", domain.RoleAuditor, "st-a", testPW)
	if w := signIn(t, f.h, "aud", testPW).do(f.h, "DELETE", "/api/v1/session", "", true); w.Code != http.StatusNoContent {
		t.Errorf("the auditor signs out: %d %s", w.Code, w.Body)
	}
}

// TestUserAdmin: an admin of street st-a creates, lists, changes, resets
// and unlocks the users of its subtree only, grants no wider scope, and
// does not demote or disable itself; a disabled user cannot sign in.
func TestUserAdmin(t *testing.T) {
	f := newOrgFixture(t)
	addUser(t, f.st, "adm-a", domain.RoleAdmin, "st-a", testPW)
	addUser(t, f.st, "b-op", domain.RoleOperator, "st-b", testPW)
	a := signIn(t, f.h, "adm-a", testPW)
	w := a.do(f.h, "POST", "/api/v1/users", `{"login":"Zhang.San","name":" 张三 ","role":"staff","scope":"c-a1"}`, true)
	var made UserWithPassword
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &made) != nil || made.Login != "zhang.san" || made.Name != "张三" ||
		len(made.Password) != 12 || !made.MustChangePassword || made.Scope != "c-a1" {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "argon2") {
		t.Fatal("the answer holds the hash")
	}
	for body, want := range map[string]int{
		`{"login":"x1","name":"x","role":"viewer","scope":"st-b"}`:                      http.StatusForbidden,
		`{"login":"x2","name":"x","role":"viewer","scope":"d-north"}`:                   http.StatusForbidden,
		`{"login":"x3","name":"x","role":"viewer","scope":"nope"}`:                      http.StatusBadRequest,
		`{"login":"zhang.san","name":"x","role":"viewer"}`:                              http.StatusConflict,
		`{"login":"x4","name":"x","role":"root"}`:                                       http.StatusBadRequest,
		`{"login":"x5","name":"x","role":"viewer","password":"short"}`:                  http.StatusBadRequest,
		`{"login":"x6","name":"x","role":"viewer","password":"long enough!","extra":1}`: http.StatusBadRequest,
		`{"login":"x7","name":"x","role":"admin","password":"long enough!"}`:            http.StatusCreated, // scope: the admin's own
	} {
		if w := a.do(f.h, "POST", "/api/v1/users", body, true); w.Code != want {
			t.Errorf("create %s: %d %s, want %d", body, w.Code, w.Body, want)
		}
	}
	w = a.do(f.h, "GET", "/api/v1/users", "", false)
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "b-op") || !strings.Contains(w.Body.String(), "zhang.san") {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	for _, p := range []string{"/api/v1/users/usr-b-op/password", "/api/v1/users/usr-b-op/unlock"} {
		if w := a.do(f.h, "POST", p, "", true); w.Code != http.StatusNotFound {
			t.Errorf("%s of another street: %d", p, w.Code)
		}
	}
	if w := a.do(f.h, "PATCH", "/api/v1/users/usr-b-op", `{"disabled":true}`, true); w.Code != http.StatusNotFound {
		t.Errorf("disable a user of another street: %d", w.Code)
	}
	if w := a.do(f.h, "PATCH", "/api/v1/users/"+made.ID, `{"scope":"st-b"}`, true); w.Code != http.StatusForbidden {
		t.Errorf("move a user out of the scope: %d %s", w.Code, w.Body)
	}
	if w := a.do(f.h, "PATCH", "/api/v1/users/usr-adm-a", `{"role":"viewer"}`, true); w.Code != http.StatusForbidden {
		t.Errorf("demote oneself: %d", w.Code)
	}
	if w := a.do(f.h, "PATCH", "/api/v1/users/usr-adm-a", `{"name":"A 管理员"}`, true); w.Code != http.StatusOK {
		t.Errorf("rename oneself: %d %s", w.Code, w.Body)
	}
	if w := a.do(f.h, "PATCH", "/api/v1/users/"+made.ID, `{"role":"operator","name":"张三丰"}`, true); w.Code != http.StatusOK ||
		!strings.Contains(w.Body.String(), `"role":"operator"`) || !strings.Contains(w.Body.String(), "张三丰") {
		t.Errorf("change: %d %s", w.Code, w.Body)
	}
	signIn(t, f.h, "zhang.san", made.Password)
	if w := a.do(f.h, "PATCH", "/api/v1/users/"+made.ID, `{"disabled":true}`, true); w.Code != http.StatusOK {
		t.Fatalf("disable: %d %s", w.Code, w.Body)
	}
	if w := post(f.h, "/api/v1/session", `{"login":"zhang.san","password":"`+made.Password+`"}`, ""); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "disabled") {
		t.Errorf("a disabled user signs in: %d %s", w.Code, w.Body)
	}
	// A viewer may not administer users.
	addUser(t, f.st, "vw", domain.RoleViewer, "st-a", testPW)
	if w := signIn(t, f.h, "vw", testPW).do(f.h, "GET", "/api/v1/users", "", false); w.Code != http.StatusForbidden {
		t.Errorf("a viewer lists users: %d", w.Code)
	}
}

// FuzzCreateUser: no body makes the user creation fail inside (5xx), and
// what it creates passes domain.ValidateUser.
func FuzzCreateUser(f *testing.F) {
	f.Add(`{"login":"li","name":"李","role":"viewer","scope":"st-a"}`)
	f.Add(`{"login":"li","name":"李","role":"admin","password":"0123456789"}`)
	f.Add(`{"login":"","role":"auditor","scope":"../"}`)
	fx := newOrgFixture(f)
	f.Fuzz(func(t *testing.T, body string) {
		w := do(fx.h, "POST", "/api/v1/users", "adm", body)
		if w.Code >= 500 {
			t.Fatalf("%s: %d %s", body, w.Code, w.Body)
		}
		if w.Code == http.StatusCreated {
			var u UserWithPassword
			if err := json.Unmarshal(w.Body.Bytes(), &u); err != nil || domain.ValidateUser(u.User) != nil {
				t.Fatalf("%s: created %s (%v)", body, w.Body, err)
			}
		}
	})
}

// FuzzSignIn: no body signs anyone in or fails inside.
func FuzzSignIn(f *testing.F) {
	f.Add(`{"login":"li","password":"correct horse battery"}`)
	f.Add(`{"login":"li","password":""}`)
	f.Add(`{"login":"` + strings.Repeat("x", 100) + `","password":"` + strings.Repeat("p", 200) + `"}`)
	fx := newOrgFixture(f)
	addUser(f, fx.st, "li", domain.RoleViewer, "st-a", testPW)
	f.Fuzz(func(t *testing.T, body string) {
		fx.advance(time.Minute) // past the per-address limit
		w := post(fx.h, "/api/v1/session", body, "")
		if w.Code >= 500 || (w.Code == http.StatusOK && !strings.Contains(body, testPW)) {
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		}
	})
}

// TestPasswordsNeverLogged: sign-ins (wrong, unknown, right), a user
// created with a password, a reset and a password change are logged with
// the login and never with a password.
func TestPasswordsNeverLogged(t *testing.T) {
	f := newOrgFixture(t)
	var buf testenv.SyncBuffer
	s, err := New(Config{Addr: "127.0.0.1:0", Token: "adm", Store: f.st, Now: f.clock,
		Logger: slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	addUser(t, f.st, "li", domain.RoleAdmin, "", testPW)
	post(h, "/api/v1/session", `{"login":"li","password":"wrong secret 1"}`, "")
	post(h, "/api/v1/session", `{"login":"nobody","password":"wrong secret 2"}`, "")
	se := signIn(t, h, "li", testPW)
	w := se.do(h, "POST", "/api/v1/users", `{"login":"wu","name":"吴","role":"viewer","scope":"st-a","password":"created secret 3"}`, true)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var reset UserWithPassword
	wu, _, _ := f.st.UserByLogin(context.Background(), "wu")
	w = se.do(h, "POST", "/api/v1/users/"+wu.ID+"/password", "", true)
	if json.Unmarshal(w.Body.Bytes(), &reset) != nil || reset.Password == "" {
		t.Fatalf("reset: %d %s", w.Code, w.Body)
	}
	tmp := signIn(t, h, "wu", reset.Password)
	if w := tmp.do(h, "POST", "/api/v1/me/password", `{"old_password":"`+reset.Password+`","new_password":"changed secret 4"}`, true); w.Code != http.StatusOK {
		t.Fatalf("change: %d %s", w.Code, w.Body)
	}
	log := buf.String()
	for _, want := range []string{"http: signed in", "http: sign-in refused", "http: password changed", "http: password reset"} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	for _, pw := range []string{testPW, "wrong secret 1", "wrong secret 2", "created secret 3", reset.Password, "changed secret 4", se.cookie, se.csrf} {
		if strings.Contains(log, pw) {
			t.Errorf("the log holds the secret %q", pw)
		}
	}
}
