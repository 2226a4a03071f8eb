package wiegand_test

import (
	"context"
	"fmt"
	"log"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/wiegand"
)

// A Wiegand 26 reader on a Raspberry Pi: D0 (green wire) on GPIO5, D1
// (white wire) on GPIO6, through a 5 V -> 3.3 V level shifter.
func Example() {
	if _, err := host.Init(); err != nil {
		log.Fatal(err)
	}
	r, err := wiegand.New(gpioreg.ByName("GPIO5"), gpioreg.ByName("GPIO6"), wiegand.Config{
		Name: "gate",
		Bits: 26,
		OnBadFrame: func(err error) {
			log.Printf("bad frame: %v", err)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	err = r.Run(context.Background(), func(rd card.Read) {
		fmt.Println(rd.Reader, rd.Credential, rd.At)
	})
	log.Print(err)
}

// Decoding a frame by hand.
func ExampleDecode() {
	bits, _ := wiegand.EncodeFacilityCard(26, 123, 45678)
	f, err := wiegand.Decode(bits)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f, f.Hex())
	// Output: W26 123,45678 7BB26E
}
