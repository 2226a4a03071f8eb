package gateway_test

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"testing"

	"github.com/eldergate/eldergate/firmware-gateway/tapdesk"
	"github.com/eldergate/eldergate/firmware-gateway/voice"
)

// TestKioskVoice: the kiosk asks the gateway for the WAV of the tap result
// it just showed (GET /api/voice) and gets audio made by espeak-ng on the
// gateway; /api/status reports the synthesiser.
func TestKioskVoice(t *testing.T) {
	if _, err := exec.LookPath("espeak-ng"); err != nil {
		t.Skip("espeak-ng not installed: run deploy/scripts/install-test-deps.sh")
	}
	c := &clock{t: lunch}
	g := start(t, testConfig(t, t.TempDir(), deadBroker(t)), c)
	events := subscribe(t, g.HTTPURL())
	post(t, g.HTTPURL()+"/api/sim/tap", `{"card":"04A1B2C3"}`).Body.Close()
	var tap tapdesk.TapEvent
	next(t, events, "tap", &tap)

	url := fmt.Sprintf("%s/api/voice?lang=zh-CN&kind=%s&pay=%d&reason=%s", g.HTTPURL(), tap.Decision, tap.PayFen, tap.Reason)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("GET %s: HTTP %d %s: %s", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	w, err := voice.ParseWAV(body)
	if err != nil || w.Duration().Seconds() < 0.3 || w.RMS() < 0.01 {
		t.Errorf("audio: %v, %s, RMS %.3f", err, w.Duration(), w.RMS())
	}

	var st struct {
		Voice *struct {
			Driver    string `json:"driver"`
			Connected bool   `json:"connected"`
		} `json:"voice"`
	}
	getJSON(t, g.HTTPURL()+"/api/status", &st)
	if st.Voice == nil || !st.Voice.Connected || st.Voice.Driver != "espeak-ng" {
		t.Errorf("status voice = %+v", st.Voice)
	}
}
