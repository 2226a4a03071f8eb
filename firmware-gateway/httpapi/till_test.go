package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
)

// tillBackend records the amounts that pass the API's checks.
type tillBackend struct {
	backend
	got    []httpapi.TillRequest
	tills  []string
	keyed  []int64
	answer error
}

func (b *tillBackend) TillAmount(_ context.Context, till string, req httpapi.TillRequest) (any, error) {
	if b.answer != nil {
		return nil, b.answer
	}
	b.tills = append(b.tills, till)
	b.got = append(b.got, req)
	return map[string]string{"state": "pending"}, nil
}

func (b *tillBackend) CashierAmount(_ context.Context, tok string, fen int64) (any, error) {
	if tok != "staff-ok" {
		return nil, httpapi.ErrUnauthorized
	}
	b.keyed = append(b.keyed, fen)
	return map[string]string{"state": "pending"}, nil
}

func (b *tillBackend) CancelAmount(context.Context, string) (any, error) { return nil, nil }
func (b *tillBackend) TillState(context.Context, string) (any, error)    { return struct{}{}, nil }

const (
	till1Token = "till-one-secret-0123456789"
	till2Token = "till-two-secret-9876543210"
)

func tillServer(t *testing.T) (*tillBackend, http.Handler) {
	t.Helper()
	b := &tillBackend{}
	s := httpapi.New(httpapi.Config{TillTokens: map[string]string{"till-1": till1Token, "till-2": till2Token}}, b, nil, nil)
	return b, s.Handler()
}

func postTill(h http.Handler, token, contentType, body string) (int, string) {
	req := httptest.NewRequest(http.MethodPost, "/api/till/amount", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestTillAuth(t *testing.T) {
	b, h := tillServer(t)
	const body = `{"amount_fen":1250,"till":"till-1","ref":"S-1"}`
	for name, tok := range map[string]string{
		"no token":          "",
		"wrong token":       "not-a-till-token-at-all",
		"last byte changed": till1Token[:len(till1Token)-1] + "X",
		"first byte":        "X" + till1Token[1:],
		"prefix":            till1Token[:10],
		"longer":            till1Token + "0",
	} {
		code, out := postTill(h, tok, "application/json", body)
		if code != http.StatusUnauthorized || !strings.Contains(out, "missing or wrong till token") {
			t.Errorf("%s: %d %s", name, code, out)
		}
	}
	// A valid token of another till than the body names.
	if code, out := postTill(h, till2Token, "application/json", body); code != http.StatusForbidden || !strings.Contains(out, `not the token of till \"till-1\"`) {
		t.Errorf("other till's token: %d %s", code, out)
	}
	if len(b.got) != 0 {
		t.Fatalf("unauthenticated amounts reached the desk: %+v", b.got)
	}
	if code, out := postTill(h, till1Token, "application/json", body); code != http.StatusOK || !strings.Contains(out, "pending") {
		t.Fatalf("good request: %d %s", code, out)
	}
	// Without "till" the token's till is taken.
	if code, _ := postTill(h, till2Token, "application/json", `{"amount_fen":800}`); code != http.StatusOK {
		t.Fatalf("without till: %d", code)
	}
	if len(b.got) != 2 || b.got[0] != (httpapi.TillRequest{AmountFen: 1250, Till: "till-1", Ref: "S-1"}) || b.tills[1] != "till-2" || b.got[1].Till != "till-2" {
		t.Fatalf("got %+v from %v", b.got, b.tills)
	}
	// No tokens configured: every till request is refused.
	s := httpapi.New(httpapi.Config{}, &tillBackend{}, nil, nil)
	if code, _ := postTill(s.Handler(), till1Token, "application/json", body); code != http.StatusUnauthorized {
		t.Fatalf("no tokens configured: %d", code)
	}
	if code, _ := postTill(s.Handler(), "", "application/json", body); code != http.StatusUnauthorized {
		t.Fatalf("no tokens configured, no token: %d", code)
	}
}

func TestTillValidation(t *testing.T) {
	b, h := tillServer(t)
	for name, tc := range map[string]struct{ body, want string }{
		"zero":          {`{"amount_fen":0}`, "must be more than zero"},
		"negative":      {`{"amount_fen":-1250}`, "must be more than zero"},
		"decimal":       {`{"amount_fen":12.5}`, "must be an integer number of fen"},
		"exponent":      {`{"amount_fen":1e3}`, "must be an integer number of fen"},
		"string":        {`{"amount_fen":"1250"}`, "must be an integer number of fen"},
		"missing":       {`{"till":"till-1"}`, "amount_fen is missing"},
		"null":          {`{"amount_fen":null}`, "amount_fen is missing"},
		"huge":          {`{"amount_fen":99999999999999999999}`, "must be an integer number of fen"},
		"unknown field": {`{"amount_fen":1250,"amount":12.5}`, `unknown field \"amount\"`},
		"two objects":   {`{"amount_fen":1250}{"amount_fen":1}`, "a single JSON object"},
		"not JSON":      {`AMOUNT 1250`, "invalid JSON body"},
		"long ref":      {`{"amount_fen":1250,"ref":"` + strings.Repeat("r", 129) + `"}`, "ref is longer than 128 bytes"},
		"control":       {`{"amount_fen":1250,"ref":"a\u0007b"}`, "ref contains a control character"},
	} {
		code, out := postTill(h, till1Token, "application/json", tc.body)
		if code != http.StatusBadRequest || !strings.Contains(out, tc.want) {
			t.Errorf("%s: %d %s, want 400 %q", name, code, out, tc.want)
		}
	}
	if code, _ := postTill(h, till1Token, "text/plain", `{"amount_fen":1250}`); code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d", code)
	}
	// The desk's own checks (the maximum) come back as 400 with its words,
	// a second amount as 409.
	b.answer = fmt.Errorf("gateway: %w: amount_fen 20001 is above the most a meal may cost here", httpapi.ErrInvalid)
	if code, out := postTill(h, till1Token, "application/json", `{"amount_fen":20001}`); code != http.StatusBadRequest || !strings.Contains(out, "above the most") {
		t.Errorf("absurd amount: %d %s", code, out)
	}
	b.answer = fmt.Errorf("gateway: %w: an amount is already waiting", httpapi.ErrConflict)
	if code, _ := postTill(h, till1Token, "application/json", `{"amount_fen":1000}`); code != http.StatusConflict {
		t.Errorf("second amount: %d", code)
	}
}

func TestTillBodyLimit(t *testing.T) {
	b, h := tillServer(t)
	big := `{"amount_fen":1250,"ref":"` + strings.Repeat("r", 5000) + `"}`
	if code, out := postTill(h, till1Token, "application/json", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(out, "larger than") {
		t.Fatalf("large body: %d %s", code, out)
	}
	// The token is checked before the body is read.
	if code, _ := postTill(h, "", "application/json", big); code != http.StatusUnauthorized {
		t.Fatalf("large body without a token: %d", code)
	}
	if len(b.got) != 0 {
		t.Fatal("a large body reached the desk")
	}
}

func TestCashierAmount(t *testing.T) {
	b, h := tillServer(t)
	do := func(tok, body string) int {
		req := httptest.NewRequest(http.MethodPost, "/api/staff/amount", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := do("wrong", `{"amount_fen":1250}`); code != http.StatusUnauthorized {
		t.Fatalf("cashier without a session: %d", code)
	}
	if code := do("staff-ok", `{}`); code != http.StatusBadRequest {
		t.Fatalf("cashier without an amount: %d", code)
	}
	if code := do("staff-ok", `{"amount_fen":1250}`); code != http.StatusOK || len(b.keyed) != 1 || b.keyed[0] != 1250 {
		t.Fatalf("cashier amount: %d %v", code, b.keyed)
	}
}

// FuzzParseTillRequest: any body is either refused with an error or
// gives an amount above zero and bounded, printable text.
func FuzzParseTillRequest(f *testing.F) {
	for _, s := range []string{
		`{"amount_fen":1250,"till":"till-1","ref":"S-0042"}`, `{"amount_fen":0}`, `{"amount_fen":-1}`,
		`{"amount_fen":1.5}`, `{"amount_fen":"12"}`, `{}`, `[]`, `null`, `{"amount_fen":1}{}`,
		`{"amount_fen":9223372036854775807}`, `{"amount_fen":1,"ref":"\u0000"}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := httpapi.ParseTillRequest(body)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "httpapi: till: ") {
				t.Fatalf("error without its prefix: %v", err)
			}
			return
		}
		if req.AmountFen <= 0 || len(req.Till) > 64 || len(req.Ref) > 128 || !utf8.ValidString(req.Till) || !utf8.ValidString(req.Ref) {
			t.Fatalf("accepted %q as %+v", body, req)
		}
		if _, err := json.Marshal(req); err != nil {
			t.Fatal(err)
		}
	})
}
