package evdev_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/evdev"
)

// A USB keyboard-wedge reader plugged into a Raspberry Pi, typing the
// 10-digit decimal card number; the gateway's user needs read access to
// the device (group input).
func Example() {
	r, err := evdev.New(evdev.Config{
		Name:   "kiosk-reader",
		Path:   "/dev/input/by-id/usb-IC_Reader_IC_Reader_08FF20150112-event-kbd",
		Format: card.Format{Input: card.InputDec10, Order: card.BigEndian},
		Log:    slog.Default(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	err = r.Run(context.Background(), func(rd card.Read) {
		fmt.Println(rd.Reader, rd.Credential)
	})
	fmt.Println(err)
}
