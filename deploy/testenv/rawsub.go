package testenv

import (
	"bufio"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RawSubscriber is mosquitto_sub counting the messages of one filter: the
// broker's own rate, for benchmarks that compare a consumer with it.
type RawSubscriber struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	last   chan time.Time
}

// StartRawSubscriber runs mosquitto_sub on m as user (QoS 1, clean
// session, client id "bench-raw") until it has received want messages on
// filter, or two minutes pass. It returns once the subscription is in
// place (the SUBACK); Last then yields when the want-th message arrived.
func StartRawSubscriber(t testing.TB, m *Mosquitto, user, password, filter string, want int) *RawSubscriber {
	t.Helper()
	_, port, _ := strings.Cut(m.Addr, ":")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	// -d prints the SUBACK (so we know the subscription is in place);
	// -F %l prints each message's length instead of its payload.
	// stdbuf -oL: line-buffered stdout, or both stay in stdio's buffer.
	cmd := exec.CommandContext(ctx, "stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-u", user,
		"-P", password, "-i", "bench-raw", "-t", filter, "-q", "1", "-C", strconv.Itoa(want), "-d", "-F", "%l")
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("testenv: mosquitto_sub: %v", err)
	}
	r := &RawSubscriber{cmd: cmd, cancel: cancel, last: make(chan time.Time, 1)}
	subscribed := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		n := 0
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "SUBACK") {
				close(subscribed)
				continue
			}
			if _, err := strconv.Atoi(line); err == nil {
				if n++; n == want {
					r.last <- time.Now()
				}
			}
		}
	}()
	select {
	case <-subscribed:
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("testenv: mosquitto_sub never subscribed")
	}
	return r
}

// Last waits for the last message and returns when it arrived; it fails
// t when it did not within two minutes of the start.
func (r *RawSubscriber) Last(t testing.TB) time.Time {
	t.Helper()
	defer r.cancel()
	var end time.Time
	select {
	case end = <-r.last:
	case <-time.After(2 * time.Minute):
		t.Fatal("testenv: mosquitto_sub did not receive every message")
	}
	if err := r.cmd.Wait(); err != nil {
		t.Fatalf("testenv: mosquitto_sub: %v", err)
	}
	return end
}
