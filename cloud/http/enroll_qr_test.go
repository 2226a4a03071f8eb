package cloudhttp

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

// decodeQRDataURI decodes a data:image/png;base64 URI and reads the QR
// code in it with an independent decoder (ZXing's Go port); it returns
// the image, the text and the error-correction level.
func decodeQRDataURI(t *testing.T, uri string) (image.Image, string, string) {
	t.Helper()
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(uri, prefix) {
		t.Fatalf("qr_png %.40q... is not a %s URI", uri, prefix)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(uri, prefix))
	if err != nil {
		t.Fatalf("qr_png base64: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("qr_png is not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("QR code does not decode: %v", err)
	}
	level, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string)
	return img, res.GetText(), level
}

// TestCreateGatewayQRCode creates a gateway through the real handler and
// reads the returned QR code back: it must carry exactly the returned
// enrollment link, at error-correction level M, with a 4-module quiet
// zone, at a size a phone reads, and the link must carry the cloud URL
// and the token the gateway's enroll command needs.
func TestCreateGatewayQRCode(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	h := enrollServer(t, Provisioning{BrokerURL: "tcp://127.0.0.1:1", PublicURL: "https://cloud.example:8443"}, func() time.Time { return now })
	w := do(h, http.MethodPost, "/api/v1/gateways", "adm", `{"id":"gw-qr-1","site":"site-qr"}`)
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store (the answer holds the token)", cc)
	}
	var created CreateGatewayResponse
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	img, text, level := decodeQRDataURI(t, created.QRPNG)
	if text != created.EnrollURL {
		t.Fatalf("QR code reads %q, want the enroll_url %q", text, created.EnrollURL)
	}
	if level != "M" {
		t.Errorf("error-correction level %q, want M", level)
	}
	// The link decoded from the picture carries what `eldergate-gateway
	// enroll --cloud <link>` needs (firmware-gateway/enroll.ParseLink reads
	// the same two parameters; deploy/e2e enrolls with the decoded text).
	u, err := url.Parse(text)
	if err != nil || u.Scheme != "eldergate" || u.Host != "enroll" ||
		u.Query().Get("cloud") != "https://cloud.example:8443" || u.Query().Get("token") != created.Token || len(created.Token) < 40 {
		t.Fatalf("decoded link %q (err %v) does not carry cloud https://cloud.example:8443 and token %q", text, err, created.Token)
	}

	// Size: square, 288-400 px.
	b := img.Bounds()
	if b.Dx() != b.Dy() || b.Dx() < qrTargetPx || b.Dx() > 400 {
		t.Fatalf("image %dx%d, want a square of %d-400 px", b.Dx(), b.Dy(), qrTargetPx)
	}
	// Quiet zone: the top-left finder pattern's top edge is a dark run of
	// 7 modules; what lies before it on the diagonal must be 4 light modules.
	dark := func(x, y int) bool { r, _, _, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA(); return r < 0x8000 }
	border := 0
	for border < b.Dx() && !dark(border, border) {
		border++
	}
	run := 0
	for border+run < b.Dx() && dark(border+run, border) {
		run++
	}
	if run == 0 || run%7 != 0 || border != 4*(run/7) {
		t.Fatalf("quiet zone %d px with a finder edge of %d px: want 4 modules of %d px", border, run, run/7)
	}
	for i := 0; i < b.Dx(); i++ { // the whole outer band is light
		if dark(i, 0) || dark(0, i) || dark(i, b.Dy()-1) || dark(b.Dx()-1, i) {
			t.Fatalf("dark pixel on the image edge at %d", i)
		}
	}
	t.Logf("QR: %d px square, %d px/module, quiet zone %d px, %d bytes of data URI for a %d-char link",
		b.Dx(), run/7, border, len(created.QRPNG), len(created.EnrollURL))
}

// TestConsoleGatewayCreationForm: the console has the gateway-creation
// form showing the QR code, token, expiry and link, and every text it
// uses is translated in zh-CN, zh-HK and en.
func TestConsoleGatewayCreationForm(t *testing.T) {
	js, err := consoleFS.ReadFile("console/app.js")
	if err != nil {
		t.Fatal(err)
	}
	html, err := consoleFS.ReadFile("console/index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{`id="gw-form"`, `id="gw-qr"`, `id="gw-token"`, `id="gw-expires"`, `id="gw-link"`, `data-i18n="gwOnce"`} {
		if !strings.Contains(string(html), id) {
			t.Errorf("index.html: no %s", id)
		}
	}
	if !strings.Contains(string(js), "c.qr_png") || !strings.Contains(string(js), `"/api/v1/gateways"`) {
		t.Error("app.js does not post to /api/v1/gateways and show qr_png")
	}
	blocks := strings.Split(string(js), "\n    en: {")
	zh := strings.Split(blocks[0], `"zh-HK": {`)
	if len(blocks) != 2 || len(zh) != 2 {
		t.Fatal("app.js: zh-HK or en block not found")
	}
	for name, block := range map[string]string{"zh-CN": zh[0], "zh-HK": zh[1], "en": strings.SplitN(blocks[1], "};", 2)[0]} {
		for _, k := range []string{"gwCreate:", "gwCreateBtn:", "gwToken:", "gwExpires:", "gwLink:", "gwOnce:", "gwHow:", "gwDone:",
			"gwQRAlt:", "gwExists:", "gwForbidden:", "gwFailed:"} {
			if !strings.Contains(block, k) {
				t.Errorf("%s: no %s", name, k)
			}
		}
	}
}
