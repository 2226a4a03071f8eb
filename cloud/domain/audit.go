package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// The audit log (issue 13, docs/audit.md, ADR 0023): one row per change
// request the API answered (accepted or refused), appended by one hook in
// the HTTP layer, never updated or deleted (the database's triggers refuse
// both), and chained: each row's Hash is the SHA-256 of the previous row's
// hash and of the row's own canonical content, so that an edited or
// removed row breaks the chain at that point.

// AuditStore appends to the audit log, reads it and verifies its chain.
type AuditStore interface {
	// AppendAudit stores e as the newest row: it sets e.ID (the previous
	// row's + 1), e.PrevHash and e.Hash (AuditHash) and returns e as
	// stored (At truncated to the microsecond, UTC).
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// ListAudit returns the rows q selects, newest first, at most q.Limit
	// (ListLimit when 0 or more).
	ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
	// AuditEntry returns row id or ErrNotFound.
	AuditEntry(ctx context.Context, id int64) (AuditEntry, error)
	// VerifyAudit walks the whole chain in id order and reports the first
	// row whose hash, previous hash or id does not follow from the row
	// before it.
	VerifyAudit(ctx context.Context) (AuditVerification, error)
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	ActorKind string    `json:"actor_kind"` // "user", "token", or "" (no credentials: sign-in, enrollment, refused 401)
	ActorID   string    `json:"actor_id"`   // user id or token id
	ActorName string    `json:"actor_name"`
	Role      string    `json:"role"`
	Remote    string    `json:"remote"` // the client's address
	Method    string    `json:"method"`
	Route     string    `json:"route"` // the route pattern, e.g. "PATCH /api/v1/org/{id}"
	Path      string    `json:"path"`  // the path asked for
	// TargetType and TargetID name what was changed ("org_unit", "site-a").
	TargetType string `json:"target_type"`
	TargetID   string `json:"target_id"`
	// Unit is the org unit (often a site) the change concerns: an auditor
	// scoped to a subtree sees the rows whose unit lies in it.
	Unit   string `json:"unit"`
	Status int    `json:"status"`
	// Before and After are JSON with secrets redacted (RedactJSON); empty
	// when there is nothing to show.
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// AuditQuery selects rows of the audit log. Zero fields select everything.
type AuditQuery struct {
	Scope    string    // org unit subtree of Unit ("" = every row)
	From, To time.Time // At in [From, To)
	Actor    string    // ActorID or ActorName equal
	Route    string    // the Route contains it (e.g. "PATCH", "/org/")
	Target   string    // TargetID equal, or TargetType equal
	Status   int       // exactly this status; or the class of it: 2 = 2xx, 4 = 4xx, 5 = 5xx
	Text     string    // free text in actor name, route, path, target, before or after
	Before   int64     // keyset: only rows with ID < Before (0 = from the newest)
	Limit    int
}

// AuditVerification is the result of walking the chain.
type AuditVerification struct {
	OK      bool      `json:"ok"`
	Checked int       `json:"checked"`             // rows walked
	LastID  int64     `json:"last_id"`             // the newest row walked (0: empty log)
	Broken  int64     `json:"broken_id,omitempty"` // the first row that does not follow
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

// AuditGenesis is the PrevHash of the first row.
const AuditGenesis = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditCanonical is the content of e the hash covers: every field but
// PrevHash and Hash, in a fixed order, as a JSON array (strings escaped
// the one way encoding/json escapes them; At as RFC 3339 with nanoseconds
// in UTC).
func AuditCanonical(e AuditEntry) []byte {
	fields := []string{
		strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), e.ActorKind, e.ActorID, e.ActorName,
		e.Role, e.Remote, e.Method, e.Route, e.Path, e.TargetType, e.TargetID, e.Unit,
		strconv.Itoa(e.Status), string(e.Before), string(e.After),
	}
	b, _ := json.Marshal(fields) // strings only: cannot fail
	return b
}

// AuditHash is the hash of e following the row whose hash is prev:
// hex(SHA-256(prev || AuditCanonical(e))).
func AuditHash(prev string, e AuditEntry) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(AuditCanonical(e))
	return hex.EncodeToString(h.Sum(nil))
}

// AuditChain walks the rows of the log in id order: the zero value
// (with PrevHash AuditGenesis) starts before the first row.
type AuditChain struct {
	PrevID   int64
	PrevHash string
}

// Next checks e as the row after the chain so far; a non-empty reason
// says why it breaks the chain (and the chain stays where it was).
func (c *AuditChain) Next(e AuditEntry) (reason string) {
	switch {
	case e.ID != c.PrevID+1:
		return "id " + strconv.FormatInt(e.ID, 10) + " follows " + strconv.FormatInt(c.PrevID, 10) + ": a row is missing"
	case e.PrevHash != c.PrevHash:
		return "previous hash does not match the hash of row " + strconv.FormatInt(c.PrevID, 10)
	case e.Hash != AuditHash(e.PrevHash, e):
		return "hash does not match the row's content: the row was changed"
	}
	c.PrevID, c.PrevHash = e.ID, e.Hash
	return ""
}

// redactedKeys are JSON object keys whose values are never stored.
var redactedKeys = map[string]bool{
	"password": true, "old_password": true, "new_password": true, "passwd": true,
	"token": true, "secret": true, "authorization": true, "api_key": true,
	"enroll_url": true, "qr_png": true, "csrf": true,
}

// Redacted is what stands in for a redacted value.
const Redacted = "[redacted]"

// RedactKey reports whether the value of JSON key k is a secret: a
// password, a token, a secret, an enrollment URL or QR code (they carry a
// token), or any key ending in _token, _secret or _password. (RedactJSON
// also cuts the query off the value of a key url or *_url.)
func RedactKey(k string) bool {
	k = strings.ToLower(k)
	return redactedKeys[k] || strings.HasSuffix(k, "_token") || strings.HasSuffix(k, "_secret") ||
		strings.HasSuffix(k, "_password") || strings.HasSuffix(k, "password")
}

// RedactJSON returns doc with the value of every object key RedactKey
// names (at any depth) replaced by Redacted; nil when doc is not JSON.
func RedactJSON(doc []byte) json.RawMessage {
	var v any
	d := json.NewDecoder(strings.NewReader(string(doc)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil || d.More() {
		return nil
	}
	b, err := json.Marshal(redact(v))
	if err != nil {
		return nil
	}
	return b
}

func redact(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if RedactKey(k) {
				if val != nil && val != "" {
					x[k] = Redacted
				}
				continue
			}
			if u, ok := val.(string); ok && (strings.EqualFold(k, "url") || strings.HasSuffix(strings.ToLower(k), "_url")) {
				// A webhook's URL carries its key in the query (WeCom's
				// key=, DingTalk's access_token=).
				if i := strings.IndexAny(u, "?#"); i >= 0 {
					x[k] = u[:i] + "?" + Redacted
				}
				continue
			}
			x[k] = redact(val)
		}
	case []any:
		for i := range x {
			x[i] = redact(x[i])
		}
	}
	return v
}
