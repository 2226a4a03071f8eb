// Package voice speaks the kiosk's results offline: it turns a tap result
// or an alarm state into a sentence in the site's language (Mandarin,
// Cantonese, English; sums read as money from integer fen), renders it to
// a WAV file with espeak-ng on the gateway, and keeps the files in a
// bounded cache on disk. Handler serves them to the kiosk as
// GET /api/voice?lang=..&kind=..&pay=..&reason=.. (see ParseQuery).
//
// Without espeak-ng the speaker reports itself as a device that is not
// connected and every request fails with ErrUnavailable: the kiosk stays
// silent, nothing else changes.
package voice

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eldergate/eldergate/drivers"
)

// ErrUnavailable is returned (wrapped) when espeak-ng cannot be run.
var ErrUnavailable = errors.New("voice: espeak-ng unavailable")

// Voices are the espeak-ng voices of each language. On Debian 12
// (espeak-ng 1.51) "cmn" and "zh" read many characters as English-spoken
// pinyin with tone digits (元 becomes "yuan two"); "cmn-latn-pinyin"
// reads them as Mandarin.
var Voices = map[Lang]string{LangZhCN: "cmn-latn-pinyin", LangZhHK: "yue", LangEn: "en"}

// Config configures a Speaker.
type Config struct {
	Dir      string        // cache directory, e.g. DATA_DIR/voice (required)
	Binary   string        // espeak-ng, by name on PATH or by path; default "espeak-ng"
	MaxFiles int           // cached files kept, least recently used removed first; default 500
	Timeout  time.Duration // per synthesis; default 10s
	Speed    int           // words per minute (espeak-ng -s); default 150, a little slower than espeak's 175
	Parallel int           // syntheses run at once; default 2
	Log      *slog.Logger
	Now      func() time.Time // default time.Now; used for the device state
}

// Clip is one rendered phrase.
type Clip struct {
	Text   string
	Path   string // the cached file
	Data   []byte // its content
	Key    string // cache key: hex of SHA-256 over language and text
	Cached bool   // served from the cache, espeak-ng not run
}

// Speaker renders phrases to WAV and caches them. It is safe for
// concurrent use.
type Speaker struct {
	cfg     Config
	log     *slog.Logger
	tracker *drivers.Tracker
	sem     chan struct{}
	runs    atomic.Int64

	mu       sync.Mutex // guards inflight and the directory's pruning
	inflight map[string]*call
}

type call struct {
	done chan struct{}
	clip Clip
	err  error
}

// New returns a speaker caching in cfg.Dir, which it creates. A missing
// espeak-ng is not an error here: it is reported by Status and by Render.
func New(cfg Config) (*Speaker, error) {
	if cfg.Dir == "" {
		return nil, errors.New("voice: no cache directory")
	}
	if cfg.Binary == "" {
		cfg.Binary = "espeak-ng"
	}
	if cfg.MaxFiles <= 0 {
		cfg.MaxFiles = 500
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Speed <= 0 {
		cfg.Speed = 150
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 2
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("voice: cache: %w", err)
	}
	s := &Speaker{
		cfg: cfg, log: cfg.Log.With("component", "voice"),
		tracker:  drivers.NewTracker("voice", "espeak-ng", cfg.Now, nil),
		sem:      make(chan struct{}, cfg.Parallel),
		inflight: map[string]*call{},
	}
	if tmps, _ := filepath.Glob(filepath.Join(cfg.Dir, "tmp-*.wav")); len(tmps) > 0 {
		for _, t := range tmps { // left by a crash during a synthesis
			_ = os.Remove(t)
		}
	}
	if _, err := s.binary(); err != nil {
		s.log.Warn("voice: the kiosk stays silent", "err", err)
	} else {
		s.tracker.Set(true, nil)
	}
	return s, nil
}

// Status is the speaker's device state: connected while espeak-ng can be
// run, with the last error otherwise.
func (s *Speaker) Status() drivers.Status { return s.tracker.Status() }

// Runs counts the times espeak-ng was started.
func (s *Speaker) Runs() int64 { return s.runs.Load() }

// binary finds espeak-ng and records the device state.
func (s *Speaker) binary() (string, error) {
	path, err := exec.LookPath(s.cfg.Binary)
	if err != nil {
		err = fmt.Errorf("%w: %s: %w", ErrUnavailable, s.cfg.Binary, err)
		s.tracker.Set(false, err)
		return "", err
	}
	return path, nil
}

// Key is the cache key of a text in a language.
func Key(lang Lang, text string) string {
	h := sha256.Sum256([]byte(string(lang) + "\x00" + text))
	return hex.EncodeToString(h[:16])
}

// Render returns the WAV of p: from the cache, or rendered by espeak-ng
// (one run per key at a time, at most Parallel runs at once, each within
// Timeout and ctx). The cached file is marked used (its mtime).
func (s *Speaker) Render(ctx context.Context, p Phrase) (Clip, error) {
	text, err := Text(p)
	if err != nil {
		return Clip{}, err
	}
	key := Key(p.Lang, text)
	path := filepath.Join(s.cfg.Dir, key+".wav")
	if data, err := os.ReadFile(path); err == nil {
		now := time.Now()
		_ = os.Chtimes(path, now, now) // least recently used goes first
		return Clip{Text: text, Path: path, Data: data, Key: key, Cached: true}, nil
	}
	s.mu.Lock()
	c, ok := s.inflight[key]
	if !ok {
		c = &call{done: make(chan struct{})}
		s.inflight[key] = c
		s.mu.Unlock()
		c.clip, c.err = s.synthesize(ctx, p.Lang, text, key, path)
		s.mu.Lock()
		delete(s.inflight, key)
		close(c.done)
	}
	s.mu.Unlock()
	select {
	case <-c.done:
	case <-ctx.Done():
		return Clip{}, fmt.Errorf("voice: %w", ctx.Err())
	}
	if c.err != nil {
		return Clip{}, c.err
	}
	clip := c.clip
	clip.Cached = ok
	return clip, nil
}

func (s *Speaker) synthesize(ctx context.Context, lang Lang, text, key, path string) (Clip, error) {
	bin, err := s.binary()
	if err != nil {
		return Clip{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return Clip{}, fmt.Errorf("voice: waiting to synthesize: %w", ctx.Err())
	}
	tmp, err := os.CreateTemp(s.cfg.Dir, "tmp-*.wav")
	if err != nil {
		return Clip{}, fmt.Errorf("voice: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName) // gone once renamed

	// The text goes on stdin (-b 1: UTF-8), never as an argument.
	cmd := exec.CommandContext(ctx, bin, "-v", Voices[lang], "-s", strconv.Itoa(s.cfg.Speed), "-b", "1", "-w", tmpName, "--stdin")
	cmd.Stdin = strings.NewReader(text)
	cmd.WaitDelay = time.Second
	start := time.Now()
	s.runs.Add(1)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("voice: espeak-ng timed out after %s: %w", time.Since(start).Round(time.Millisecond), ctx.Err())
			s.tracker.Set(true, err)
			return Clip{}, err
		}
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.Is(err, exec.ErrNotFound) {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
			s.tracker.Set(false, err)
			return Clip{}, err
		}
		err = fmt.Errorf("voice: espeak-ng -v %s: %w: %s", Voices[lang], err, strings.TrimSpace(string(out)))
		s.tracker.Set(true, err)
		return Clip{}, err
	}
	data, err := os.ReadFile(tmpName)
	if err != nil {
		return Clip{}, fmt.Errorf("voice: %w", err)
	}
	w, err := ParseWAV(data)
	if err != nil || len(w.Data) == 0 {
		err = fmt.Errorf("voice: espeak-ng -v %s wrote no audio: %v", Voices[lang], err)
		s.tracker.Set(true, err)
		return Clip{}, err
	}
	if err := os.Rename(tmpName, path); err != nil {
		return Clip{}, fmt.Errorf("voice: %w", err)
	}
	s.tracker.Set(true, nil)
	s.log.Debug("voice: synthesized", "lang", lang, "text", text, "took", time.Since(start), "bytes", len(data))
	s.prune(key)
	return Clip{Text: text, Path: path, Data: data, Key: key}, nil
}

// prune removes the least recently used files beyond MaxFiles, never keep.
func (s *Speaker) prune(keep string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		s.log.Warn("voice: prune", "err", err)
		return
	}
	type file struct {
		name string
		mod  time.Time
	}
	var files []file
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".wav") || strings.HasPrefix(name, "tmp-") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		files = append(files, file{name, info.ModTime()})
	}
	if len(files) <= s.cfg.MaxFiles {
		return
	}
	slices.SortFunc(files, func(a, b file) int { return a.mod.Compare(b.mod) })
	for _, f := range files[:len(files)-s.cfg.MaxFiles] {
		if f.name == keep+".wav" {
			continue
		}
		if err := os.Remove(filepath.Join(s.cfg.Dir, f.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("voice: prune", "err", err)
		}
	}
}
