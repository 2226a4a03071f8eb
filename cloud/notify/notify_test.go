package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the tests need Asia/Shanghai wherever they run
)

var shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// msg is a message pressed at 2026-12-06 15:04:05 UTC (23:04:05 in Shanghai).
func msg() Message {
	return Message{AlertID: "al-1", Step: "raised", Type: "emergency", Site: "幸福长者食堂",
		Place: "二楼 201 室", Button: "餐桌呼叫", Level: "street",
		At: time.Date(2026, 12, 6, 15, 4, 5, 0, time.UTC), Zone: shanghai,
		Link: "https://console.example.cn/alerts/al-1"}
}

const localTime = "2026-12-06 23:04:05 CST (Asia/Shanghai)"

// recorder collects Deliveries.
type recorder struct {
	mu sync.Mutex
	ds []Delivery
	c  chan Delivery
}

func newRecorder() *recorder { return &recorder{c: make(chan Delivery, 1000)} }

func (r *recorder) record(d Delivery) {
	r.mu.Lock()
	r.ds = append(r.ds, d)
	r.mu.Unlock()
	r.c <- d
}

// final waits for the next final Delivery of channel id.
func (r *recorder) final(t *testing.T, id string) Delivery {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case d := <-r.c:
			if d.ChannelID == id && d.Final {
				return d
			}
		case <-timeout:
			t.Fatalf("no final delivery for %s", id)
		}
	}
}

func (r *recorder) all() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.ds...)
}

// server starts a loopback server that is closed at the end of the test.
func server(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func dispatcher(t *testing.T, c Config) *Dispatcher {
	t.Helper()
	d := New(c)
	t.Cleanup(d.Close)
	return d
}

func readJSON(t *testing.T, r *http.Request, v any) []byte {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Error(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Errorf("body %q: %v", b, err)
	}
	if ua := r.Header.Get("User-Agent"); ua != "eldergate-cloud" {
		t.Errorf("User-Agent %q", ua)
	}
	return b
}

func wantAll(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

func TestWeComFormat(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Msgtype  string
			Markdown struct{ Content string }
		}
		readJSON(t, r, &b)
		if b.Msgtype != "markdown" {
			t.Errorf("msgtype %q", b.Msgtype)
		}
		m := msg()
		wantAll(t, "content", b.Markdown.Content, m.Site, m.Place, m.Button, localTime, m.Link, "紧急呼叫", "街道")
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	})
	d := dispatcher(t, Config{})
	ch := Channel{ID: "wc", Kind: KindWeCom, URL: s.URL + "/cgi-bin/webhook/send?key=k"}
	if err := d.Deliver(context.Background(), ch, msg()); err != nil {
		t.Fatal(err)
	}
}

func dingSign(ts, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestDingTalkSignature(t *testing.T) {
	const secret = "SECgood"
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Msgtype  string
			Markdown struct{ Title, Text string }
		}
		readJSON(t, r, &b)
		q := r.URL.Query()
		if q.Get("access_token") != "tok" {
			t.Errorf("access_token lost: %q", r.URL.RawQuery)
		}
		if q.Get("timestamp") == "" || q.Get("sign") != dingSign(q.Get("timestamp"), secret) {
			io.WriteString(w, `{"errcode":310000,"errmsg":"sign not match"}`)
			return
		}
		if b.Msgtype != "markdown" {
			t.Errorf("msgtype %q", b.Msgtype)
		}
		m := msg()
		wantAll(t, "title", b.Markdown.Title, m.Site, "紧急呼叫")
		wantAll(t, "text", b.Markdown.Text, m.Site, m.Place, m.Button, localTime, m.Link)
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	})
	d := dispatcher(t, Config{})
	ch := Channel{ID: "dt", Kind: KindDingTalk, URL: s.URL + "/robot/send?access_token=tok", Secret: secret}
	if err := d.Deliver(context.Background(), ch, msg()); err != nil {
		t.Fatal(err)
	}
	ch.Secret = "SECwrong"
	err := d.Deliver(context.Background(), ch, msg())
	if err == nil || !strings.Contains(err.Error(), "dingtalk errcode 310000: sign not match") {
		t.Fatalf("wrong secret: %v", err)
	}
	if strings.Contains(err.Error(), "tok") {
		t.Errorf("error shows the access token: %v", err)
	}
}

func TestWebhookSignature(t *testing.T) {
	const secret = "hook-key"
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		var b map[string]string
		body := readJSON(t, r, &b)
		ts := r.Header.Get("X-Eldergate-Timestamp")
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "." + string(body)))
		if got, want := r.Header.Get("X-Eldergate-Signature"), "sha256="+hex.EncodeToString(mac.Sum(nil)); !hmac.Equal([]byte(got), []byte(want)) {
			t.Errorf("signature %q, want %q", got, want)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if k := r.Header.Get("Idempotency-Key"); k != "al-1:raised:street:hook" {
			t.Errorf("Idempotency-Key %q", k)
		}
		if b["at"] != "2026-12-06T15:04:05Z" || b["alert_id"] != "al-1" || b["site"] != "幸福长者食堂" || b["level"] != "street" {
			t.Errorf("body %v", b)
		}
		wantAll(t, "text", b["text"], "Emergency call", localTime, "https://console.example.cn/alerts/al-1")
		w.WriteHeader(http.StatusNoContent)
	})
	now := time.Date(2026, 12, 6, 15, 4, 6, 0, time.UTC)
	d := dispatcher(t, Config{Now: func() time.Time { return now }})
	ch := Channel{ID: "hook", Kind: KindWebhook, URL: s.URL, Secret: secret, Lang: "en"}
	if err := d.Deliver(context.Background(), ch, msg()); err != nil {
		t.Fatal(err)
	}
}

// sleeper records the waits asked of it and returns at once.
type sleeper struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func TestRetryThenSuccess(t *testing.T) {
	var mu sync.Mutex
	n := 0
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if k <= 2 {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	rec, sl := newRecorder(), &sleeper{}
	d := dispatcher(t, Config{Record: rec.record, Sleep: sl.sleep})
	if err := d.Send(Channel{ID: "hook", Kind: KindWebhook, URL: s.URL, Secret: "k"}, msg()); err != nil {
		t.Fatal(err)
	}
	last := rec.final(t, "hook")
	ds := rec.all()
	if len(ds) != 3 || !last.OK || last.Attempt != 3 {
		t.Fatalf("deliveries %+v", ds)
	}
	for i, dl := range ds[:2] {
		if dl.OK || dl.Final || dl.Attempt != i+1 || !strings.HasPrefix(dl.Error, "HTTP 500: busy") {
			t.Errorf("attempt %d: %+v", i+1, dl)
		}
	}
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if len(sl.ds) != 2 || !(sl.ds[0] < sl.ds[1]) || sl.ds[0] < 800*time.Millisecond || sl.ds[1] > 2400*time.Millisecond {
		t.Errorf("backoffs %v, want about 1s then 2s", sl.ds)
	}
}

func TestNoRetry(t *testing.T) {
	for _, tc := range []struct {
		name, kind, answer, want string
		status, attempts         int
	}{
		{"http 400", "webhook", "bad", "HTTP 400: bad", 400, 1},
		{"wecom errcode 93000", "wecom", `{"errcode":93000,"errmsg":"invalid webhook url"}`, "wecom errcode 93000: invalid webhook url", 200, 1},
		{"dingtalk unexpected answer", "dingtalk", `<html>`, "dingtalk: unexpected answer: <html>", 200, 1},
		{"wecom rate limit is retried", "wecom", `{"errcode":45009,"errmsg":"api freq out of limit"}`, "wecom errcode 45009", 200, 3},
		{"http 429 is retried", "dingtalk", `slow down`, "HTTP 429", 429, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := server(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.answer)
			})
			rec, sl := newRecorder(), &sleeper{}
			d := dispatcher(t, Config{Record: rec.record, Sleep: sl.sleep, Attempts: 3})
			ch := Channel{ID: "c", Kind: Kind(tc.kind), URL: s.URL, Secret: "k"}
			if err := d.Send(ch, msg()); err != nil {
				t.Fatal(err)
			}
			last := rec.final(t, "c")
			if last.OK || last.Attempt != tc.attempts || !strings.Contains(last.Error, tc.want) {
				t.Errorf("final %+v, want attempt %d error %q", last, tc.attempts, tc.want)
			}
			if n := len(rec.all()); n != tc.attempts {
				t.Errorf("%d deliveries, want %d", n, tc.attempts)
			}
		})
	}
}

func TestDeadEndpointDoesNotBlock(t *testing.T) {
	stop, arrived := make(chan struct{}), make(chan struct{}, 10)
	dead := server(t, func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-stop
	})
	t.Cleanup(func() { close(stop) }) // runs before dead.Close
	good := server(t, func(w http.ResponseWriter, r *http.Request) {})
	rec := newRecorder()
	d := dispatcher(t, Config{Record: rec.record, QueueLen: 2})
	a := Channel{ID: "a", Kind: KindWebhook, URL: dead.URL, Secret: "k"}
	b := Channel{ID: "b", Kind: KindWebhook, URL: good.URL, Secret: "k"}

	send := func(ch Channel) error {
		t0 := time.Now()
		err := d.Send(ch, msg())
		if el := time.Since(t0); el >= 50*time.Millisecond {
			t.Errorf("Send to %s took %s", ch.ID, el)
		}
		return err
	}
	t0 := time.Now()
	if err := send(a); err != nil {
		t.Fatal(err)
	}
	if err := send(b); err != nil {
		t.Fatal(err)
	}
	if dl := rec.final(t, "b"); !dl.OK || time.Since(t0) > time.Second {
		t.Errorf("b: %+v after %s", dl, time.Since(t0))
	}

	<-arrived // a's worker is stuck in its first request: fill its queue
	for range 2 {
		if err := send(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := send(a); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("full queue: %v", err)
	}
	if dl := rec.final(t, "a"); dl.OK || dl.Error != "queue full" {
		t.Errorf("queue full delivery %+v", dl)
	}
}

func TestCloseWaitsForWorkers(t *testing.T) {
	stop := make(chan struct{})
	dead := server(t, func(w http.ResponseWriter, r *http.Request) { <-stop })
	good := server(t, func(w http.ResponseWriter, r *http.Request) {})
	base := runtime.NumGoroutine()

	rec := newRecorder()
	d := New(Config{Record: rec.record})
	for i := range 3 {
		for _, u := range []string{dead.URL, good.URL} {
			if err := d.Send(Channel{ID: "c", Kind: KindWebhook, URL: u + "/" + string(rune('a'+i)), Secret: "k"}, msg()); err != nil {
				t.Fatal(err)
			}
		}
	}
	time.Sleep(50 * time.Millisecond) // let the requests start
	d.Close()
	close(stop) // the dead server's handlers return, and their connections end
	shut := 0
	for _, dl := range rec.all() {
		if !dl.Final {
			t.Errorf("not final after Close: %+v", dl)
		}
		if strings.HasPrefix(dl.Error, "shutting down") {
			shut++
		}
	}
	if shut != 3 {
		t.Errorf("%d deliveries shut down, want 3: %+v", shut, rec.all())
	}
	if err := d.Send(Channel{ID: "c", Kind: KindWebhook, URL: good.URL, Secret: "k"}, msg()); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMessageText(t *testing.T) {
	m := msg()
	m.Detail = "30 分钟无人响应"
	for lang, words := range map[string][]string{
		"zh-CN": {"紧急呼叫", "新告警", "站点：", "位置：", "时间：", "街道"},
		"zh-HK": {"緊急呼叫", "新警報", "站點：", "位置：", "時間：", "街道"},
		"en":    {"Emergency call", "raised", "Site: ", "Place: ", "Time: ", "street"},
		"":      {"紧急呼叫", "站点："},
	} {
		text := m.Text(lang)
		wantAll(t, lang, text, append(words, m.Site, m.Place, m.Button, localTime, m.Link, m.Detail)...)
	}
	m.Place, m.Step, m.Type, m.Zone = "", "cleared", "supervision", nil
	text := m.Text("en")
	wantAll(t, "en cleared", text, "Supervision alert · cleared", "2026-12-06 15:04:05 UTC (UTC)")
	if strings.Contains(text, "Place") {
		t.Errorf("empty place shown:\n%s", text)
	}
}

func TestChannelCheck(t *testing.T) {
	ok := Channel{ID: "dist-1", Kind: KindWebhook, URL: "https://hooks.example.cn/x", Secret: "k"}
	for _, tc := range []struct {
		name string
		edit func(*Channel)
		want string // "" is valid
	}{
		{"valid", func(c *Channel) {}, ""},
		{"http loopback", func(c *Channel) { c.URL = "http://127.0.0.1:8080/x" }, ""},
		{"http ::1", func(c *Channel) { c.URL = "http://[::1]:8080/x" }, ""},
		{"http localhost", func(c *Channel) { c.URL = "http://localhost/x" }, ""},
		{"wecom without secret", func(c *Channel) { c.Kind, c.Secret = KindWeCom, "" }, ""},
		{"bad id", func(c *Channel) { c.ID = "Dist 1" }, "channel id:"},
		{"empty id", func(c *Channel) { c.ID = "" }, "channel id:"},
		{"bad kind", func(c *Channel) { c.Kind = "sms" }, `channel kind: "sms" is not one of`},
		{"missing url", func(c *Channel) { c.URL = "" }, "channel url: is required"},
		{"ftp url", func(c *Channel) { c.URL = "ftp://example.cn/x" }, `channel url: scheme "ftp" is not https`},
		{"http non-loopback", func(c *Channel) { c.URL = "http://example.cn/x" }, "channel url: http:// is allowed only to a loopback host"},
		{"http loopback lookalike", func(c *Channel) { c.URL = "http://127.0.0.1.example.cn/x" }, "channel url: http://"},
		{"no host", func(c *Channel) { c.URL = "https:///x" }, "channel url: has no host"},
		{"webhook without secret", func(c *Channel) { c.Secret = "" }, "channel secret: is required"},
		{"bad lang", func(c *Channel) { c.Lang = "fr" }, "channel lang:"},
	} {
		c := ok
		tc.edit(&c)
		err := c.Check()
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestParseChannels(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[{"id":"a","kind":"wecom","url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}]`, ""},
		{`[]`, ""},
		{`[{"id":"a","kind":"wecom","url":"https://x.cn"},{"id":"a","kind":"dingtalk","url":"https://y.cn"}]`,
			`channels[1].id: duplicate id "a" (also channels[0])`},
		{`[{"id":"a","kind":"wecom","url":"https://x.cn"},{"id":"b","kind":"webhook","url":"https://y.cn"}]`,
			"channels[1].secret: is required"},
		{`[{"id":"a","kind":"wecom","url":"https://x.cn","secert":"x"}]`, `unknown field "secert"`},
		{`[{"id":"a","kind":"wecom","url":"ftp://x.cn"}]`, "channels[0].url:"},
		{`{}`, "channels:"},
		{`[] []`, "data after the array"},
		{"[" + strings.Repeat(`{"id":"a","kind":"wecom","url":"https://x.cn"},`, 16) + `{"id":"a","kind":"wecom","url":"https://x.cn"}]`,
			"17 channels, at most 16"},
	} {
		_, err := ParseChannels([]byte(tc.in))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.in, err, tc.want)
		}
	}
}

func FuzzParseChannels(f *testing.F) {
	f.Add([]byte(`[{"id":"a","kind":"wecom","url":"https://x.cn/send?key=k","lang":"en"}]`))
	f.Add([]byte(`[{"id":"b-1","kind":"webhook","url":"http://[::1]:80/","secret":"s"},{"id":"c","kind":"dingtalk","url":"https://d.cn","secret":"SEC"}]`))
	f.Add([]byte(`[{"id":"a","kind":"wecom","url":"http://localhost:0"}]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := ParseChannels(b)
		if err != nil {
			return
		}
		if len(cs) > MaxChannels {
			t.Fatalf("%d channels accepted", len(cs))
		}
		seen := map[string]bool{}
		for _, c := range cs {
			if err := c.Check(); err != nil {
				t.Fatalf("accepted %+v: %v", c, err)
			}
			if seen[c.ID] {
				t.Fatalf("duplicate %q accepted", c.ID)
			}
			seen[c.ID] = true
		}
	})
}

func TestTimeoutIsRetried(t *testing.T) {
	stop := make(chan struct{})
	dead := server(t, func(w http.ResponseWriter, r *http.Request) { <-stop })
	t.Cleanup(func() { close(stop) })
	d := dispatcher(t, Config{Timeout: 50 * time.Millisecond})
	err := d.Deliver(context.Background(), Channel{ID: "a", Kind: KindWebhook, URL: dead.URL, Secret: "k"}, msg())
	var de *deliverError
	if !errors.As(err, &de) || !de.retry || de.msg != "no answer within 50ms" {
		t.Fatalf("timeout: %v", err)
	}
}

func TestCloseAbandonsRetry(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	rec := newRecorder()
	d := New(Config{Record: rec.record, Backoff: func(int) time.Duration { return time.Hour }})
	if err := d.Send(Channel{ID: "a", Kind: KindWebhook, URL: s.URL, Secret: "k"}, msg()); err != nil {
		t.Fatal(err)
	}
	if first := <-rec.c; first.Final || first.Attempt != 1 {
		t.Fatalf("first attempt %+v", first)
	}
	d.Close() // returns although the worker sleeps an hour
	if last := rec.final(t, "a"); last.OK || last.Error != "shutting down" || last.Attempt != 1 {
		t.Errorf("abandoned retry %+v", last)
	}
}

func TestIdleWorkerExits(t *testing.T) {
	defer func(d time.Duration) { idleExit = d }(idleExit)
	idleExit = 20 * time.Millisecond
	s := server(t, func(w http.ResponseWriter, r *http.Request) {})
	rec := newRecorder()
	d := dispatcher(t, Config{Record: rec.record})
	ch := Channel{ID: "a", Kind: KindWebhook, URL: s.URL, Secret: "k"}
	for range 2 {
		if err := d.Send(ch, msg()); err != nil {
			t.Fatal(err)
		}
		if dl := rec.final(t, "a"); !dl.OK {
			t.Fatalf("%+v", dl)
		}
		deadline := time.Now().Add(time.Second)
		for {
			d.mu.Lock()
			n := len(d.workers)
			d.mu.Unlock()
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("idle worker did not exit")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
