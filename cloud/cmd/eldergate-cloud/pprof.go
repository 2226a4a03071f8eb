package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// startPprof serves Go's profiler (net/http/pprof) on addr, which must be
// a loopback address: heap, CPU, block and mutex profiles of a running
// cloud,
// for measuring it under load (deploy/bench/fleet). It returns the
// address it listens on.
func startPprof(addr string, log *slog.Logger) (string, func(), error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("pprof address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", nil, fmt.Errorf("pprof address %q: must be a loopback address such as 127.0.0.1:6060 (the profiler has no login)", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("pprof: %w", err)
	}
	// Where goroutines wait (locks, channels, the store's connections),
	// sampled: blocking events of 100 µs and more, every tenth mutex
	// contention.
	runtime.SetBlockProfileRate(100_000)
	runtime.SetMutexProfileFraction(10)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	log.Info("pprof: listening", "addr", l.Addr().String())
	return l.Addr().String(), func() { srv.Close() }, nil
}
