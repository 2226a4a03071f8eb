package gpiobutton_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/eldergate/eldergate/drivers/button"
	"github.com/eldergate/eldergate/drivers/button/gpiobutton"
)

// Two call buttons on a Raspberry Pi, each closing to ground: the hall
// button on GPIO17, the toilet pull cord on GPIO27.
func Example() {
	if _, err := host.Init(); err != nil {
		log.Fatal(err)
	}
	s, err := gpiobutton.New([]gpiobutton.Button{
		{ID: "hall", Pin: gpioreg.ByName("GPIO17")},
		{ID: "toilet", Pin: gpioreg.ByName("GPIO27")},
	}, gpiobutton.Config{
		Lockout: 50 * time.Millisecond,
		Long:    3 * time.Second,
		Stuck:   time.Minute,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	err = s.Run(context.Background(), func(p button.Press) {
		fmt.Println(p.Button, p.Kind, p.At) // "hall press ...", then "hall long_press ..." if held
	})
	log.Print(err)
}
