// Package notify delivers alarm notifications to the channels district
// offices use: WeCom (企业微信) group robots, DingTalk (钉钉) robots and
// generic signed webhooks.
//
// A Dispatcher owns one goroutine per destination (kind and URL) that
// delivers that destination's messages in order, retrying transient
// failures with backoff, so a dead endpoint delays only its own channel.
// Send never waits on the network; every attempt is reported to
// Config.Record.
package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"unicode/utf8"
)

// Kind is the kind of a channel: which API its URL speaks.
type Kind string

// The kinds of channel.
const (
	KindWeCom    Kind = "wecom"    // WeCom group robot webhook
	KindDingTalk Kind = "dingtalk" // DingTalk custom robot webhook
	KindWebhook  Kind = "webhook"  // generic JSON webhook signed with HMAC-SHA256
)

// MaxChannels is how many channels ParseChannels accepts in one list.
const MaxChannels = 16

// Channel is one configured destination.
type Channel struct {
	// ID is unique within the org unit: [a-z0-9_-]{1,40}.
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Name is shown in the console.
	Name string `json:"name,omitempty"`
	// URL is https://; http:// is allowed only for the loopback hosts
	// 127.0.0.1, ::1 and localhost (tests and local relays).
	URL string `json:"url"`
	// Secret is the DingTalk signing secret (optional) or the webhook's
	// HMAC key (required for KindWebhook). Unused for WeCom, whose key is
	// in the URL.
	Secret string `json:"secret,omitempty"`
	// Lang is the language of the text: zh-CN (default), zh-HK or en.
	Lang string `json:"lang,omitempty"`
}

// Check reports the first thing wrong with c, naming the field.
func (c Channel) Check() error {
	if field, msg := c.check(); field != "" {
		return fmt.Errorf("notify: channel %s: %s", field, msg)
	}
	return nil
}

// check returns the field at fault and what is wrong with it, or "", "".
func (c Channel) check() (field, msg string) {
	if !validID(c.ID) {
		return "id", fmt.Sprintf("%q is not 1 to 40 of a-z, 0-9, _ and -", c.ID)
	}
	switch c.Kind {
	case KindWeCom, KindDingTalk, KindWebhook:
	default:
		return "kind", fmt.Sprintf("%q is not one of wecom, dingtalk, webhook", c.Kind)
	}
	if utf8.RuneCountInString(c.Name) > 100 || !utf8.ValidString(c.Name) {
		return "name", "must be valid UTF-8 of at most 100 characters"
	}
	if c.URL == "" {
		return "url", "is required"
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return "url", "does not parse"
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http":
		if h := u.Hostname(); h != "127.0.0.1" && h != "::1" && h != "localhost" {
			return "url", fmt.Sprintf("http:// is allowed only to a loopback host, not %q; use https://", h)
		}
	default:
		return "url", fmt.Sprintf("scheme %q is not https", u.Scheme)
	}
	if u.Host == "" {
		return "url", "has no host"
	}
	if u.User != nil {
		return "url", "must not carry a user name or password"
	}
	if c.Kind == KindWebhook && c.Secret == "" {
		return "secret", "is required for a webhook (it keys the signature)"
	}
	switch c.Lang {
	case "", "zh-CN", "zh-HK", "en":
	default:
		return "lang", fmt.Sprintf("%q is not one of zh-CN, zh-HK, en", c.Lang)
	}
	return "", ""
}

func validID(id string) bool {
	if len(id) < 1 || len(id) > 40 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// ParseChannels decodes a JSON array of channels and checks every one,
// that their IDs are unique and that there are at most MaxChannels.
// Unknown fields are refused (a misspelt "secret" must not pass). The
// error names the index and the field.
func ParseChannels(b []byte) ([]Channel, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var cs []Channel
	if err := dec.Decode(&cs); err != nil {
		return nil, fmt.Errorf("notify: channels: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("notify: channels: data after the array")
	}
	if len(cs) > MaxChannels {
		return nil, fmt.Errorf("notify: channels: %d channels, at most %d", len(cs), MaxChannels)
	}
	seen := make(map[string]int, len(cs))
	for i, c := range cs {
		if field, msg := c.check(); field != "" {
			return nil, fmt.Errorf("notify: channels[%d].%s: %s", i, field, msg)
		}
		if j, ok := seen[c.ID]; ok {
			return nil, fmt.Errorf("notify: channels[%d].id: duplicate id %q (also channels[%d])", i, c.ID, j)
		}
		seen[c.ID] = i
	}
	return cs, nil
}
