package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestIngestCmdRefusesBadArguments: the ingest command refuses, before
// touching a store or the broker, a missing --broker, a --store that is not
// a PostgreSQL URL, a non-positive --workers and stray arguments.
func TestIngestCmdRefusesBadArguments(t *testing.T) {
	t.Setenv("EG_STORE_DSN", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--broker (an MQTT broker) or --nats (a NATS cluster) is required"},
		{[]string{"--broker", "tcp://127.0.0.1:1", "--nats", "nats://127.0.0.1:2"}, "--broker or --nats, not both"},
		{[]string{"--nats", "nats://127.0.0.1:2", "--nats-replicas", "7"}, "must be between 1 and 5"},
		{[]string{"--broker", "tcp://127.0.0.1:1", "--store", "cloud.db"}, "must be a postgres://"},
		{[]string{"--broker", "tcp://127.0.0.1:1", "--workers", "0"}, "must be positive"},
		{[]string{"--broker", "tcp://127.0.0.1:1", "extra"}, "unexpected arguments"},
		{[]string{"--broker", "tcp://127.0.0.1:1", "--broker-ca", "ca.pem"}, "use ssl://"},
		{[]string{"--broker", "ssl://127.0.0.1:1", "--broker-ca", "/nonexistent/ca.pem"}, "broker CA file"},
		{[]string{"--broker", "ssl://127.0.0.1:1", "--broker-password-file", "/nonexistent/pw"}, "broker password file"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"ingest"}, tc.args...), &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "ingest: ") {
			t.Errorf("ingest %q: err %v, want one starting \"ingest: \" containing %q", tc.args, err, tc.want)
		}
	}
}
