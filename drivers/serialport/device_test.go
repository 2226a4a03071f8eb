package serialport_test

import (
	"strings"
	"testing"
	"time"

	"github.com/eldergate/eldergate/drivers/serialport"
)

func TestNewDeviceNeedsPath(t *testing.T) {
	if _, err := serialport.NewDevice("rdm6300", "door", serialport.Config{}, time.Now, nil); err == nil || !strings.Contains(err.Error(), "rdm6300: no serial device path") {
		t.Fatalf("NewDevice without a path: %v", err)
	}
	d, err := serialport.NewDevice("rdm6300", "door", serialport.Config{Path: "/dev/ttyNONE"}, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := d.Status(); st.Name != "door" || st.Driver != "rdm6300" || st.Connected {
		t.Fatalf("status before Run = %+v", st)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}
