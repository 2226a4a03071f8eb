package gateway_test

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/drivers/printer/escpos"
	"github.com/eldergate/eldergate/drivers/printer/escpos/escpostest"
	"github.com/eldergate/eldergate/drivers/serialport/serialtest"
	"github.com/eldergate/eldergate/firmware-gateway/alarms"
	"github.com/eldergate/eldergate/firmware-gateway/config"
	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
)

// levelPin is a gpiotest pin registered with periph's gpioreg that
// records the levels written to it.
type levelPin struct {
	*gpiotest.Pin
	mu     sync.Mutex
	levels []string
}

func (p *levelPin) Out(l gpio.Level) error {
	p.mu.Lock()
	p.levels = append(p.levels, l.String())
	p.mu.Unlock()
	return p.Pin.Out(l)
}

func (p *levelPin) written() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.levels, " ")
}

func registerPin(t *testing.T, name string) *levelPin {
	t.Helper()
	p := &levelPin{Pin: &gpiotest.Pin{N: name}}
	if err := gpioreg.Register(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gpioreg.Unregister(name) })
	return p
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOutputsDrivenByTapsAndAlarms runs a gateway whose outputs section
// names GPIO pins (periph gpiotest pins registered in gpioreg) and an
// ESC/POS printer behind a pty: an approved tap beeps and lights the LED
// and prints the meal ticket (GB18030 site name, the amounts in yuan, a
// cut); an emergency press switches the siren relay on until staff
// acknowledge at the kiosk; paper out shows in the device status and
// raises one printer_paper_out supervision alert.
func TestOutputsDrivenByTapsAndAlarms(t *testing.T) {
	buzzer, led, siren := registerPin(t, "GWTEST_BUZZER"), registerPin(t, "GWTEST_LED"), registerPin(t, "GWTEST_SIREN")
	dev := serialtest.New(t)
	c := &clock{t: lunch}
	cfg := staffConfig(t, t.TempDir())
	cfg.Outputs = config.OutputsConfig{
		Buzzer:  config.DeviceConfig{Driver: "gpio", Settings: map[string]string{"pin": "GWTEST_BUZZER"}},
		LED:     config.DeviceConfig{Driver: "gpio", Settings: map[string]string{"pin": "GWTEST_LED"}},
		Siren:   config.DeviceConfig{Driver: "gpio", Settings: map[string]string{"pin": "GWTEST_SIREN"}},
		Printer: config.DeviceConfig{Driver: "escpos", Port: dev.Path(), Settings: map[string]string{"poll": "0", "timeout": "500ms"}},
		Tickets: true,
		Ticket:  config.TicketConfig{SiteName: "幸福社区长者饭堂"},
		Patterns: map[string]config.ResultPatterns{
			config.ResultApproved: {Buzzer: "50ms", LED: "100ms"},
		},
	}
	g := startWith(t, cfg, c)
	base := g.HTTPURL()
	events := subscribe(t, base)
	var st struct {
		Devices []struct {
			Name      string `json:"name"`
			Connected bool   `json:"connected"`
			Err       string `json:"error"`
		} `json:"devices"`
	}
	printerStatus := func() (bool, string) {
		getJSON(t, base+"/api/status", &st)
		for _, d := range st.Devices {
			if d.Name == "printer" {
				return d.Connected, d.Err
			}
		}
		return false, "absent"
	}
	waitUntil(t, "printer connected", func() bool { ok, _ := printerStatus(); return ok })

	// An approved tap: one beep, the LED lit, a ticket.
	tap(t, g, "04A1B2C3")
	var ev tapdesk.TapEvent
	next(t, events, "tap", &ev)
	if ev.Decision != eldergate.DecisionApproved || ev.EventID == "" {
		t.Fatalf("tap = %+v", ev)
	}
	waitUntil(t, "the beep", func() bool { return buzzer.written() == "Low High Low" })
	waitUntil(t, "the LED", func() bool { return led.written() == "Low High Low" })
	escpostest.Answer(t, dev, 0x12, 0x12)
	ticket, err := dev.ReadUntil([]byte{escpos.GS, 'V', 66, 0}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]byte{
		escpostest.GB18030(t, "幸福社区长者饭堂"), []byte("Asia/Shanghai"),
		append([]byte(ev.PriceFen.String()), escpostest.GB18030(t, "元")...), append([]byte(ev.PayFen.String()), escpostest.GB18030(t, "元")...),
		[]byte(ev.EventID[len(ev.EventID)-8:]),
	} {
		if !bytes.Contains(ticket, want) {
			t.Errorf("ticket lacks %q: % X", want, ticket)
		}
	}

	// An emergency press: the siren holds until staff acknowledge.
	if siren.written() != "Low" {
		t.Fatalf("siren before the alarm: %s", siren.written())
	}
	post(t, base+"/api/sim/button", `{"button":"toilet"}`)
	var raised alarms.AlertEvent
	next(t, events, "alert", &raised)
	waitUntil(t, "the siren", func() bool { return siren.written() == "Low High" })
	c.add(time.Minute)
	time.Sleep(100 * time.Millisecond)
	if siren.written() != "Low High" {
		t.Fatalf("siren before the acknowledgement: %s", siren.written())
	}
	var sess struct {
		Token string `json:"token"`
	}
	if code := staffCall(t, "POST", base+"/api/staff/login", "", `{"pin":"2468"}`, &sess); code != http.StatusOK {
		t.Fatalf("login: %d", code)
	}
	if code := staffCall(t, "POST", base+"/api/staff/alerts/ack", sess.Token, `{"id":"`+raised.ID+`"}`, nil); code != http.StatusOK {
		t.Fatalf("ack: %d", code)
	}
	next(t, events, "alert", &raised)
	waitUntil(t, "the siren off", func() bool { return siren.written() == "Low High Low" })

	// Paper out: no ticket, the printer's status says so, one alert.
	tap(t, g, "04D5E6F7")
	next(t, events, "tap", &ev)
	escpostest.Answer(t, dev, 0x1A, 0x72)
	var fault alarms.AlertEvent
	next(t, events, "alert", &fault)
	if fault.Type != eldergate.AlertTypeSupervision || fault.Reason != eldergate.SupervisePaperOut || fault.Button != "printer" || fault.State != alarms.StateOpen {
		t.Fatalf("paper out alert = %+v", fault)
	}
	if ok, msg := printerStatus(); !ok || !strings.Contains(msg, "paper out") {
		t.Fatalf("printer status = %v %q", ok, msg)
	}
	var live []alarms.AlertEvent
	if code := staffCall(t, "GET", base+"/api/staff/alerts", sess.Token, "", &live); code != http.StatusOK {
		t.Fatalf("staff alerts: %d", code)
	}
	n := 0
	for _, a := range live {
		if a.Reason == eldergate.SupervisePaperOut {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("paper out alerts: %d in %+v", n, live)
	}
}
