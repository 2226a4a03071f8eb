package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/firmware-gateway/httpapi"
)

type backend struct{ taps chan string }

func (b *backend) Status(context.Context) (httpapi.Status, error) {
	return httpapi.Status{GatewayID: "gw"}, nil
}
func (b *backend) SimRoster(context.Context) ([]httpapi.SimCard, error) { return nil, nil }
func (b *backend) SimTap(card string) error                             { b.taps <- card; return nil }
func (b *backend) SimWeight(int64, bool) error                          { return nil }
func (b *backend) SimButton(string) error                               { return nil }

func TestSSEKeepaliveEventsAndShutdown(t *testing.T) {
	b := &backend{taps: make(chan string, 1)}
	s := httpapi.New(httpapi.Config{Addr: "127.0.0.1:0", Simulation: true, KeepAlive: 50 * time.Millisecond}, b, nil, nil)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()

	resp, err := http.Get(s.URL() + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	want := []string{"retry: 2000", ": connected", "", ": keepalive"}
	for _, w := range want {
		line, err := br.ReadString('\n')
		if err != nil || strings.TrimRight(line, "\n") != w {
			t.Fatalf("line %q (%v), want %q", line, err, w)
		}
	}
	for s.Streams() != 1 {
		time.Sleep(10 * time.Millisecond)
	}
	s.Publish("tap", map[string]string{"decision": "approved"})
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "event: tap\n" {
			line, _ = br.ReadString('\n')
			if line != `data: {"decision":"approved"}`+"\n" {
				t.Fatalf("data line %q", line)
			}
			break
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown with an open stream: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
