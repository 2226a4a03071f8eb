// Package kiosk is the touch-screen web UI of the gateway: plain HTML,
// CSS and JavaScript, no build step, embedded into the gateway binary.
package kiosk

import (
	"embed"
	"io/fs"
)

//go:embed static
var static embed.FS

// FS returns the kiosk's files, index.html at the root.
func FS() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic("kiosk: embedded files missing: " + err.Error()) // cannot happen: checked at build time
	}
	return sub
}
