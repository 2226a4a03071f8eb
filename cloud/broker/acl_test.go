package broker

import "testing"

func TestAllowed(t *testing.T) {
	tests := []struct {
		user, topic string
		write, want bool
	}{
		{"gw-a", "eg/v1/gw/gw-a/up", true, true},
		{"gw-a", "eg/v1/gw/gw-a/cmdres", true, true},
		{"gw-a", "eg/v1/gw/gw-a/state", true, true},
		{"gw-a", "eg/v1/gw/gw-a/ack", true, false},
		{"gw-a", "eg/v1/gw/gw-a/cmd", true, false},
		{"gw-a", "eg/v1/gw/gw-b/up", true, false},
		{"gw-a", "eg/v1/gw/gw-b/state", true, false},
		{"gw-a", "eg/v1/gw/gw-a/up/x", true, false},
		{"gw-a", "$SYS/broker/uptime", true, false},
		{"gw-a", "eg/v1/gw/gw-a/ack", false, true},
		{"gw-a", "eg/v1/gw/gw-a/cmd", false, true},
		{"gw-a", "eg/v1/gw/gw-a/up", false, false},
		{"gw-a", "eg/v1/gw/gw-b/ack", false, false},
		{"gw-a", "eg/v1/gw/+/ack", false, false},
		{"gw-a", "eg/v1/gw/gw-a/#", false, false},
		{"gw-a", "#", false, false},
		{"gw-a", "$share/g/eg/v1/gw/gw-a/ack", false, false},
		// The cloud's state: gateways read it, only the cloud writes it.
		{"gw-a", "eg/v1/cloud/state", false, true},
		{"gw-a", "eg/v1/cloud/state", true, false},
		{"gw-a", "eg/v1/cloud/#", false, false},
		{"gw-a", "eg/v1/cloud/+", false, false},
		{"gw-a", "$share/g/eg/v1/cloud/state", false, false},
		{ServiceUser, "eg/v1/cloud/state", true, true},
		{"+", "eg/v1/gw/+/up", true, false},
		{"#", "eg/v1/gw/#/up", true, false},
		{"", "eg/v1/gw//up", true, false},
		{ServiceUser, "eg/v1/gw/gw-a/ack", true, true},
		{ServiceUser, "$share/ingest/eg/v1/gw/+/up", false, true},
		{ServiceUser, "eg/v1/gw/+/state", false, true},
		{ServiceUser, "$SYS/#", false, false},
		{ServiceUser, "#", false, false},
		{ServiceUser, "$share/ingest", false, false},
	}
	for _, tc := range tests {
		if got := Allowed(tc.user, tc.topic, tc.write); got != tc.want {
			t.Errorf("Allowed(%q, %q, write=%v) = %v, want %v", tc.user, tc.topic, tc.write, got, tc.want)
		}
	}
}
