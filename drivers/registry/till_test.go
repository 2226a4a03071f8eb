package registry

import (
	"strings"
	"testing"

	"github.com/eldergate/eldergate/drivers"
)

// The serial till needs its protocol; with it, it opens.
func TestOpenTill(t *testing.T) {
	e, err := Lookup(Till, "serial")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.OpenTill(drivers.Options{Port: "/dev/null"}); err == nil || !strings.Contains(err.Error(), "line or customer_display") {
		t.Fatalf("serial till without a protocol: %v", err)
	}
	if _, err := e.OpenTill(drivers.Options{Port: "/dev/null", Params: drivers.Params{"protocol": "customer_display", "settle": "soon"}}); err == nil {
		t.Fatal("a settle that is not a duration was taken")
	}
	tl, err := e.OpenTill(drivers.Options{Name: "till-2", Port: "/dev/null", Params: drivers.Params{"protocol": "line"}})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	if st := tl.Status(); st.Name != "till-2" || st.Driver != "serialtill" || st.Connected {
		t.Fatalf("status before Run %+v", st)
	}
	if _, err := Find("till/sim"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.OpenCard(drivers.Options{}); err == nil {
		t.Fatal("a till opened as a card reader")
	}
}
