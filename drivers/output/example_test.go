package output_test

import (
	"log"
	"time"

	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/eldergate/eldergate/drivers/output"
)

// A buzzer on GPIO18 (through an NPN transistor) and a door-strike relay
// board on GPIO23 that switches on when its input is low.
func Example() {
	if _, err := host.Init(); err != nil {
		log.Fatal(err)
	}
	buzzer, err := output.NewPlayer(gpioreg.ByName("GPIO18"), output.Config{Name: "buzzer"})
	if err != nil {
		log.Fatal(err)
	}
	defer buzzer.Close()
	door, err := output.NewRelay(gpioreg.ByName("GPIO23"), output.Config{Name: "door", ActiveLow: true})
	if err != nil {
		log.Fatal(err)
	}
	defer door.Close()

	_ = buzzer.Start(output.OK())    // card accepted: one beep
	_ = door.Pulse(3 * time.Second)  // open the door for 3 s
	_ = buzzer.Start(output.Alarm()) // emergency button: beep until acknowledged
	time.Sleep(5 * time.Second)      // ...
	_ = buzzer.Stop()                // acknowledged
	_ = buzzer.Start(output.Blink(50*time.Millisecond, 950*time.Millisecond))
}
