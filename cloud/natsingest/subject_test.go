package natsingest

import (
	"slices"
	"strings"
	"testing"

	"github.com/eldergate/eldergate"
)

func TestSubjectMapping(t *testing.T) {
	for topic, subject := range map[string]string{
		"eg/v1/gw/gw-1/up":      "eg.v1.gw.gw-1.up",
		"eg/v1/gw/a.b/ack":      "eg.v1.gw.a//b.ack",
		"eg/v1/gw/a..b_c/state": "eg.v1.gw.a////b_c.state",
	} {
		if got := Subject(topic); got != subject {
			t.Errorf("Subject(%q) = %q, want %q", topic, got, subject)
		}
		if got, err := Topic(subject); err != nil || got != topic {
			t.Errorf("Topic(%q) = %q, %v, want %q", subject, got, err, topic)
		}
	}
	for _, bad := range []string{"", "eg..up", "eg.v1.gw.a/b.up", "eg.v1.gw.a.", ".eg", "eg.v1.gw.*.up", "eg.v1.gw.a b.up", "eg.v1.gw.a/"} {
		if got, err := Topic(bad); err == nil {
			t.Errorf("Topic(%q) = %q, want an error", bad, got)
		}
	}
	want := []string{"eg.v1.gw.*.up", "eg.v1.gw.*.state", "eg.v1.gw.*.cmdres"}
	if got := GatewaySubjects(); !slices.Equal(got, want) {
		t.Fatalf("GatewaySubjects() = %q, want %q", got, want)
	}
}

// FuzzTopic: a subject either fails to map or maps to a topic whose
// subject is the same subject again; and any gateway topic round-trips.
func FuzzTopic(f *testing.F) {
	f.Add("eg.v1.gw.a//b.up", "gw-1")
	f.Add("eg.v1.gw./.up", "a.b")
	f.Add("a////b", "x..y")
	f.Fuzz(func(t *testing.T, subject, gw string) {
		if topic, err := Topic(subject); err == nil {
			if back := Subject(topic); back != subject {
				t.Fatalf("Topic(%q) = %q, whose subject is %q", subject, topic, back)
			}
			if strings.Contains(topic, "//") {
				t.Fatalf("Topic(%q) = %q has an empty level", subject, topic)
			}
		}
		if eldergate.ValidateGatewayID(gw) != nil {
			return
		}
		topic := eldergate.Topic(gw, eldergate.ChannelUp)
		if back, err := Topic(Subject(topic)); err != nil || back != topic {
			t.Fatalf("gateway %q: topic %q came back as %q, %v", gw, topic, back, err)
		}
	})
}
