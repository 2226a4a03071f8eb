package uplink

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestBrokersOrderPerGateway(t *testing.T) {
	nodes := []string{"tcp://n1:1883", "tcp://n2:1883", "tcp://n3:1883"}
	first := map[string]int{}
	for i := range 300 {
		gw := fmt.Sprintf("gw-%d", i)
		got, err := Brokers(gw, "", nodes)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := Brokers(gw, "", nodes)
		if !slices.Equal(got, again) {
			t.Fatalf("%s: order changed between two calls: %q, %q", gw, got, again)
		}
		sorted := slices.Clone(got)
		slices.Sort(sorted)
		if !slices.Equal(sorted, nodes) {
			t.Fatalf("%s: brokers %q, want a rotation of %q", gw, got, nodes)
		}
		first[got[0]]++
	}
	for _, n := range nodes { // 100 each expected; a fleet spreads
		if first[n] < 60 {
			t.Fatalf("gateways starting at each node: %v", first)
		}
	}
	got, err := Brokers("gw-1", "tcp://a:1", []string{"tcp://a:1", "", "tcp://b:1"})
	if err != nil || len(got) != 2 {
		t.Fatalf("url + urls with a repeat and an empty entry: %q, %v", got, err)
	}
	if _, err := Brokers("gw-1", "", nil); err == nil {
		t.Fatal("no broker accepted")
	}
	if _, err := Brokers("gw-1", "", []string{"ssl://a:8883", "tcp://b:1883"}); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("TLS and plain mixed: %v", err)
	}
}

func TestMQTTClientIDHasNoDot(t *testing.T) {
	if got := MQTTClientID("gw-1.street.city"); got != "gw-1~street~city" {
		t.Fatalf("MQTTClientID = %q", got)
	}
	if got := MQTTClientID("gw_2"); got != "gw_2" {
		t.Fatalf("MQTTClientID of an id without a dot = %q", got)
	}
}
