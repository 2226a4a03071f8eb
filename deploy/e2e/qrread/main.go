// Command qrread prints the text of the QR code in a PNG file (or a
// data:image/png;base64 URI in a text file), read by ZXing's Go port: the
// browser tests read a QR code as a donor's phone would.
//
//	go run ./deploy/e2e/qrread FILE
package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"
	"os"
	"strings"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: qrread FILE")
		os.Exit(2)
	}
	text, err := read(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "qrread:", err)
		os.Exit(1)
	}
	fmt.Println(text)
}

func read(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if s := strings.TrimSpace(string(raw)); strings.HasPrefix(s, "data:image/png;base64,") {
		if raw, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "data:image/png;base64,")); err != nil {
			return "", err
		}
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
