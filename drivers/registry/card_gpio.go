package registry

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/mfrc522"
	"github.com/eldergate/eldergate/drivers/card/wiegand"
)

// cardGPIOEntries lists the GPIO/SPI card readers: wiegand, mfrc522.
func cardGPIOEntries() []Entry {
	return []Entry{
		{Name: "wiegand", Family: Card, Transport: "gpio",
			Summary: "Wiegand 26/34 reader on two GPIO lines D0/D1 (parities checked, bad frames reported in the status)",
			Params: []drivers.ParamDoc{
				{Key: "d0", Help: "GPIO pin of the D0 line (green wire), e.g. GPIO5; required"},
				{Key: "d1", Help: "GPIO pin of the D1 line (white wire), e.g. GPIO6; required"},
				{Key: "bits", Default: "0", Help: "accept only 26- or 34-bit frames; 0 accepts both"},
				{Key: "gap", Default: "25ms", Help: "silence on both lines that ends a frame"},
				{Key: "order", Default: "be", Help: "how the reader puts the UID bytes into the frame: be (UID0 first) or le (reversed)"},
			},
			NewCard: func(o drivers.Options) (card.Reader, error) {
				bits, err := o.Params.Int("bits", 0)
				if err != nil {
					return nil, err
				}
				gap, err := o.Params.Duration("gap", wiegand.DefaultGap)
				if err != nil {
					return nil, err
				}
				order, err := gpioCardOrder(o.Params)
				if err != nil {
					return nil, err
				}
				d0, err := Pin(o.Params.String("d0", ""))
				if err != nil {
					return nil, fmt.Errorf("registry: wiegand d0: %w", err)
				}
				d1, err := Pin(o.Params.String("d1", ""))
				if err != nil {
					return nil, fmt.Errorf("registry: wiegand d1: %w", err)
				}
				return wiegand.New(d0, d1, wiegand.Config{
					Name: o.Name, Bits: bits, Gap: gap, Order: order,
					Clock: wiegand.SystemClock(o.Now), OnStatus: o.OnStatus, Log: o.Log,
				})
			}},
		{Name: "mfrc522", Family: Card, Transport: "spi",
			Summary: "NXP MFRC522 (RC522) 13.56 MHz reader on SPI with reset and IRQ pins: 4/7/10-byte UIDs of ISO 14443A cards",
			Params: []drivers.ParamDoc{
				{Key: "spi", Help: "SPI port, e.g. /dev/spidev0.0 or SPI0.0 (default: --port, else the first SPI port)"},
				{Key: "reset", Default: "GPIO25", Help: "GPIO pin wired to RST"},
				{Key: "irq", Default: "GPIO24", Help: "GPIO pin wired to IRQ"},
				{Key: "timeout", Default: "1s", Help: "how long one poll waits for a card before the chip is initialised again"},
				{Key: "interval", Default: "500ms", Help: "pause after a read before polling again (a held card is read again after it)"},
				{Key: "gain", Default: "4", Help: "receiver gain 1-7 (RFCfgReg RxGain; 4 is 33 dB, 7 is 48 dB)"},
			},
			NewCard: func(o drivers.Options) (card.Reader, error) {
				timeout, err := o.Params.Duration("timeout", mfrc522.DefaultTimeout)
				if err != nil {
					return nil, err
				}
				interval, err := o.Params.Duration("interval", mfrc522.DefaultInterval)
				if err != nil {
					return nil, err
				}
				if interval == 0 {
					interval = -1 // no pause
				}
				gain, err := o.Params.Int("gain", mfrc522.DefaultGain)
				if err != nil {
					return nil, err
				}
				if gain < 1 || gain > 7 {
					return nil, fmt.Errorf("registry: mfrc522: gain %d is not 1-7", gain)
				}
				// Pin initialises periph's host drivers, which spireg needs.
				reset, err := Pin(o.Params.String("reset", "GPIO25"))
				if err != nil {
					return nil, fmt.Errorf("registry: mfrc522 reset: %w", err)
				}
				irq, err := Pin(o.Params.String("irq", "GPIO24"))
				if err != nil {
					return nil, fmt.Errorf("registry: mfrc522 irq: %w", err)
				}
				name := o.Params.String("spi", o.Port)
				port, err := spireg.Open(name)
				if err != nil {
					return nil, fmt.Errorf("registry: mfrc522: open SPI port %q: %w", name, err)
				}
				r, err := mfrc522.New(port, reset, irq, mfrc522.Config{
					Name: o.Name, Timeout: timeout, Interval: interval, Gain: gain,
					Clock: mfrc522.SystemClock(o.Now), OnStatus: o.OnStatus, Log: o.Log,
				})
				if err != nil {
					port.Close()
					return nil, err
				}
				return &spiCardReader{Reader: r, port: port}, nil
			}},
	}
}

// spiCardReader closes the SPI port it opened along with the reader.
type spiCardReader struct {
	*mfrc522.Reader
	port spi.PortCloser
	once sync.Once
	err  error
}

func (r *spiCardReader) Close() error {
	r.once.Do(func() { r.err = errors.Join(r.Reader.Close(), r.port.Close()) })
	return r.err
}

func gpioCardOrder(p drivers.Params) (card.Order, error) {
	o := card.Order(strings.ToLower(p.String("order", string(card.BigEndian))))
	if o != card.BigEndian && o != card.LittleEndian {
		return "", fmt.Errorf("registry: order %q is not be or le", o)
	}
	return o, nil
}
