package chaos

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// netns is a network namespace the suite creates for the gateways, joined
// to the test's namespace by two veth pairs that never leave the machine:
// one the test taps through (the kiosk's HTTP), one the gateways reach the
// broker through, which the fault takes down.
type netns struct {
	name               string
	tapHost, tapNS     string // veth ends of the tap path
	brokerHost, nsAddr string // the broker path: host end, the test's address on it
	gwHTTP             string // the gateways' address on the tap path
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// newNetns creates the namespace and its links (needs root, as the
// machines that run make chaos have); all are deleted when the test ends.
func newNetns(t *testing.T) *netns {
	t.Helper()
	id := os.Getpid() % 100000
	n := &netns{name: fmt.Sprintf("egchaos%d", id), tapHost: fmt.Sprintf("egt%d", id), tapNS: fmt.Sprintf("egtn%d", id),
		brokerHost: fmt.Sprintf("egb%d", id), nsAddr: "10.213.2.1", gwHTTP: "10.213.1.2"}
	brokerNS := fmt.Sprintf("egbn%d", id)
	run(t, "ip", "netns", "add", n.name)
	t.Cleanup(func() {
		_ = exec.Command("ip", "link", "del", n.tapHost).Run()
		_ = exec.Command("ip", "link", "del", n.brokerHost).Run()
		_ = exec.Command("ip", "netns", "del", n.name).Run()
	})
	in := func(args ...string) { run(t, append([]string{"ip", "netns", "exec", n.name}, args...)...) }
	in("ip", "link", "set", "lo", "up")
	for _, p := range []struct{ host, ns, hostAddr, nsAddr string }{
		{n.tapHost, n.tapNS, "10.213.1.1/30", "10.213.1.2/30"},
		{n.brokerHost, brokerNS, "10.213.2.1/30", "10.213.2.2/30"},
	} {
		run(t, "ip", "link", "add", p.host, "type", "veth", "peer", "name", p.ns)
		run(t, "ip", "link", "set", p.ns, "netns", n.name)
		run(t, "ip", "addr", "add", p.hostAddr, "dev", p.host)
		run(t, "ip", "link", "set", p.host, "up")
		in("ip", "addr", "add", p.nsAddr, "dev", p.ns)
		in("ip", "link", "set", p.ns, "up")
	}
	return n
}

// cut takes the broker path down (silence: no reset, no FIN, the
// gateways find out by their keepalive); mend brings it back.
func (n *netns) cut(t *testing.T)  { run(t, "ip", "link", "set", n.brokerHost, "down") }
func (n *netns) mend(t *testing.T) { run(t, "ip", "link", "set", n.brokerHost, "up") }

// forward listens on addr and copies every connection to and from to
// (Mosquitto listens on loopback only); it stops when the test ends.
func forward(t *testing.T, addr, to string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, u)
			mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// networkCut: both gateways run in a network namespace of their own. Twice,
// the link to the broker goes silent for 60 s while taps go on (a
// compressed afternoon offline), then comes back and the outboxes drain.
func networkCut(t *testing.T, rng *rand.Rand, res *result) {
	n := newNetns(t)
	var fwd string
	r := newRig(t, "netcut", rigOpts{gateways: 2, httpHost: n.gwHTTP,
		wrap: func(int) []string { return []string{"ip", "netns", "exec", n.name} },
		broker: func(url string) string {
			fwd = forward(t, n.nsAddr+":0", strings.TrimPrefix(url, "tcp://"))
			return "tcp://" + fwd
		}})
	res.reps = 2
	const offline = 60 * time.Second
	var drains []string
	for rep := 0; rep < res.reps; rep++ {
		r.bursts(rng, 100, 0, 0, 1, nil) // online
		n.cut(t)
		start := time.Now()
		var wg sync.WaitGroup
		for _, g := range r.gws {
			wg.Go(func() {
				for time.Since(start) < offline {
					g.burst(20, 40*time.Millisecond)
				}
			})
		}
		wg.Wait()
		pending := 0
		for _, g := range r.gws {
			p, _, err := g.proc().Status(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			pending += p
		}
		if pending == 0 {
			t.Fatalf("rep %d: nothing pending after %v cut off: the cut did not cut", rep+1, offline)
		}
		n.mend(t)
		d := r.drain(3 * time.Minute)
		drains = append(drains, fmt.Sprintf("%d events pending after %v offline drained in %v", pending, offline, d.Round(10*time.Millisecond)))
	}
	res.notes = append(res.notes, "The gateways run in a network namespace the suite creates (ip netns), joined by veth pairs on 10.213.1.0/30 (taps) and 10.213.2.0/30 (broker, taken down with ip link set down: silence, found by the 5 s keepalive); nothing leaves the machine. "+
		strings.Join(drains, "; ")+".")
	r.finish(res)
}
