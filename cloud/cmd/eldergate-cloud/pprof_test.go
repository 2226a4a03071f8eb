package main

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestPprofLoopbackOnly: the profiler refuses an address other than
// loopback, and serves the heap profile on one.
func TestPprofLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "localhost"} {
		if _, _, err := startPprof(addr, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("pprof on %q: accepted", addr)
		}
	}
	l, stop, err := startPprof("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + l + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	if resp.StatusCode != 200 || !strings.Contains(b.String(), "heap profile") {
		t.Fatalf("heap profile: %d %q", resp.StatusCode, b.String()[:min(100, b.Len())])
	}
}
