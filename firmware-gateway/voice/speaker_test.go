package voice

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// needEspeak skips when espeak-ng is not installed
// (deploy/scripts/install-test-deps.sh installs it).
func needEspeak(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed: run deploy/scripts/install-test-deps.sh")
	}
}

// checkAudio asserts that data is valid PCM WAV, at least 0.3 s long and
// not silent.
func checkAudio(t *testing.T, name string, data []byte) WAV {
	t.Helper()
	w, err := ParseWAV(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if w.SampleRate <= 0 || w.Bits != 16 || w.Channels != 1 {
		t.Errorf("%s: %d Hz, %d bits, %d channels", name, w.SampleRate, w.Bits, w.Channels)
	}
	if d := w.Duration(); d < 300*time.Millisecond {
		t.Errorf("%s: only %s of audio", name, d)
	}
	if rms := w.RMS(); rms < 0.01 {
		t.Errorf("%s: silent (RMS %.4f)", name, rms)
	}
	return w
}

// TestRenderEveryKindAndLanguage is the acceptance test: a WAV for each
// kind in each language, valid and not silent, made offline by espeak-ng.
func TestRenderEveryKindAndLanguage(t *testing.T) {
	needEspeak(t)
	s, err := New(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); !st.Connected {
		t.Errorf("status before any synthesis = %+v", st)
	}
	ctx := context.Background()
	for _, l := range Langs {
		var total time.Duration
		for _, k := range Kinds {
			p := Phrase{Lang: l, Kind: k, PayFen: 350, Reason: "not_eligible"}
			start := time.Now()
			clip, err := s.Render(ctx, p)
			took := time.Since(start)
			total += took
			if err != nil {
				t.Fatalf("%s/%s: %v", l, k, err)
			}
			w := checkAudio(t, string(l)+"/"+string(k), clip.Data)
			t.Logf("%s/%-9s %6.2fs of audio, RMS %.3f, synthesized in %s: %s", l, k, w.Duration().Seconds(), w.RMS(), took.Round(time.Millisecond), clip.Text)
		}
		t.Logf("%s: %s per phrase on average", l, (total / time.Duration(len(Kinds))).Round(time.Millisecond))
	}
	if st := s.Status(); !st.Connected || st.Err != "" {
		t.Errorf("status = %+v", st)
	}
	if n := s.Runs(); n != int64(len(Langs)*len(Kinds)) {
		t.Errorf("%d runs of espeak-ng", n)
	}
}

func TestCacheHitDoesNotRunEspeak(t *testing.T) {
	needEspeak(t)
	dir := t.TempDir()
	s, err := New(Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := Phrase{Lang: LangZhCN, Kind: KindApproved, PayFen: 1205}
	first, err := s.Render(ctx, p)
	if err != nil || first.Cached {
		t.Fatalf("first render: cached=%v err=%v", first.Cached, err)
	}
	// The same phrase from many requests at once: still one file, one run.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			c, err := s.Render(ctx, p)
			if err != nil || !c.Cached || c.Path != first.Path || string(c.Data) != string(first.Data) {
				t.Errorf("again: cached=%v path=%s err=%v", c.Cached, c.Path, err)
			}
		})
	}
	wg.Wait()
	if n := s.Runs(); n != 1 {
		t.Errorf("%d runs of espeak-ng, want 1", n)
	}
	// A new speaker on the same directory (a restart) finds the file.
	s2, _ := New(Config{Dir: dir})
	if c, err := s2.Render(ctx, p); err != nil || !c.Cached || s2.Runs() != 0 {
		t.Errorf("after restart: cached=%v runs=%d err=%v", c.Cached, s2.Runs(), err)
	}
}

func TestConcurrentFirstRendersRunOnce(t *testing.T) {
	needEspeak(t)
	s, _ := New(Config{Dir: t.TempDir()})
	p := Phrase{Lang: LangEn, Kind: KindCalling}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := s.Render(context.Background(), p); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := s.Runs(); n != 1 {
		t.Errorf("%d runs of espeak-ng, want 1", n)
	}
}

func TestCacheIsBoundedLeastRecentlyUsedFirst(t *testing.T) {
	needEspeak(t)
	dir := t.TempDir()
	s, _ := New(Config{Dir: dir, MaxFiles: 3})
	ctx := context.Background()
	render := func(fen int64) Clip {
		t.Helper()
		c, err := s.Render(ctx, Phrase{Lang: LangEn, Kind: KindApproved, PayFen: fen})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	old := time.Now().Add(-time.Hour)
	a := render(100)
	os.Chtimes(a.Path, old, old)
	b := render(200)
	os.Chtimes(b.Path, old.Add(time.Minute), old.Add(time.Minute))
	render(300)
	render(100) // a used again: now the most recent
	render(400) // four files: the least recently used (b) goes
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	if len(files) != 3 {
		t.Errorf("%d files, want 3", len(files))
	}
	if _, err := os.Stat(b.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("least recently used file kept: %v", err)
	}
	if _, err := os.Stat(a.Path); err != nil {
		t.Errorf("recently used file removed: %v", err)
	}
}

func TestMissingEspeak(t *testing.T) {
	s, err := New(Config{Dir: t.TempDir(), Binary: filepath.Join(t.TempDir(), "no-espeak-ng")})
	if err != nil {
		t.Fatal(err)
	}
	st := s.Status()
	if st.Connected || st.Name != "voice" || st.Driver != "espeak-ng" || st.Err == "" {
		t.Errorf("status = %+v", st)
	}
	_, err = s.Render(context.Background(), Phrase{Lang: LangZhCN, Kind: KindCalling})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	t.Log(err)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/voice?lang=zh-CN&kind=calling", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("HTTP %d, want 503", rec.Code)
	}
}

func TestSynthesisTimeout(t *testing.T) {
	dir := t.TempDir()
	slow := filepath.Join(dir, "slow-espeak")
	if err := os.WriteFile(slow, []byte("#!/bin/sh\nexec sleep 10\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, _ := New(Config{Dir: filepath.Join(dir, "cache"), Binary: slow, Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err := s.Render(context.Background(), Phrase{Lang: LangEn, Kind: KindDone})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
	if st := s.Status(); st.Err == "" {
		t.Errorf("status = %+v", st)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "cache", "*")); len(files) != 0 {
		t.Errorf("left behind: %v", files)
	}
}

func TestHandler(t *testing.T) {
	needEspeak(t)
	s, _ := New(Config{Dir: t.TempDir()})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/voice?lang=zh-HK&kind=approved&pay=350")
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 0, 1<<20)
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "audio/wav" || res.Header.Get("ETag") == "" ||
		res.Header.Get("Cache-Control") != "public, max-age=86400" {
		t.Fatalf("HTTP %d %v", res.StatusCode, res.Header)
	}
	checkAudio(t, "http", body)

	req, _ := http.NewRequest("GET", srv.URL+"/api/voice?lang=zh-HK&kind=approved&pay=350", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if res2, err := http.DefaultClient.Do(req); err != nil || res2.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: %v %v", res2.StatusCode, err)
	}
	for _, q := range []string{"lang=fr&kind=approved&pay=1", "lang=en&kind=approved", "lang=en&kind=approved&pay=-5", "lang=en&kind=refused&reason=%3Cx%3E"} {
		res, err := http.Get(srv.URL + "/api/voice?" + q)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: HTTP %d, want 400", q, res.StatusCode)
		}
	}
}

// TestChineseReadAsChinese guards the choice of voices: espeak-ng's
// plain "cmn" voice reads many characters as English-spoken pinyin
// (its phonemes switch to "(en)"); every Chinese phrase must stay in
// its own language.
func TestChineseReadAsChinese(t *testing.T) {
	needEspeak(t)
	for _, l := range []Lang{LangZhCN, LangZhHK} {
		for _, k := range Kinds {
			for _, reason := range []string{"", "card_lost", "not_eligible", "disk_full"} {
				text, _ := Text(Phrase{Lang: l, Kind: k, PayFen: 1205, Reason: reason})
				out, err := exec.Command("espeak-ng", "-v", Voices[l], "-q", "-x", "-b", "1", text).Output()
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(out), "(en)") {
					t.Errorf("%s %q is read partly as English: %s", Voices[l], text, out)
				}
			}
		}
	}
}

// TestQuotaIsSpoken: the quota left is read after the result in every
// language: a valid, not silent WAV, longer than the result alone by
// more than half a second.
func TestQuotaIsSpoken(t *testing.T) {
	needEspeak(t)
	s, err := New(Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Langs {
		plain := Phrase{Lang: l, Kind: KindApproved, PayFen: 400}
		with := plain
		with.Left = Left{Period: PeriodMonth, Count: 18, Fen: 59200, Meals: true, Subsidy: true}
		a, err := s.Render(t.Context(), plain)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Render(t.Context(), with)
		if err != nil {
			t.Fatal(err)
		}
		wa, wb := checkAudio(t, string(l), a.Data), checkAudio(t, string(l)+" quota", b.Data)
		if wb.Duration() < wa.Duration()+500*time.Millisecond || a.Key == b.Key {
			t.Errorf("%s: %s for %q, %s with the quota %q", l, wa.Duration(), a.Text, wb.Duration(), b.Text)
		}
		t.Logf("%s: %.2fs: %s", l, wb.Duration().Seconds(), b.Text)
	}
}
