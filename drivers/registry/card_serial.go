package registry

import (
	"fmt"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/evdev"
	"github.com/eldergate/eldergate/drivers/card/idcard"
	"github.com/eldergate/eldergate/drivers/card/rdm6300"
	"github.com/eldergate/eldergate/drivers/card/uidline"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// cardSerialEntries lists the serial card readers: rdm6300, uid lines, SAM resident ID card, evdev keyboard wedge.
func cardSerialEntries() []Entry {
	orderDoc := drivers.ParamDoc{Key: "order", Default: "be", Help: "byte order of the printed UID: be (UID0 first, as the card sends it) or le (reversed)"}
	formatDoc := drivers.ParamDoc{Key: "format", Default: "hex", Help: "how the reader prints a card: hex (6/8/10/14/20 hex digits), dec10 (decimal of the 32-bit UID), wiegand (facility,card) or id (18-character resident ID number)"}
	bitsDoc := drivers.ParamDoc{Key: "wiegand_bits", Default: "34", Help: "with format=wiegand: 26 (8-bit facility, 3 bytes) or 34 (16-bit facility, 4 bytes)"}
	return []Entry{
		{Name: "rdm6300", Family: Card, Transport: "serial", DefaultBaud: rdm6300.DefaultBaud,
			Summary: "RDM6300/RDM630 125 kHz EM4100 reader module: 02 + 10 hex chars + XOR checksum + 03 frames",
			Params: []drivers.ParamDoc{
				orderDoc,
				{Key: "include_version", Default: "false", Help: "credential of 5 bytes (version byte + 4 card bytes) instead of the 4 card bytes"},
				{Key: "repeat", Default: "300ms", Help: "drop a frame identical to the last delivered one within this time (a held card repeats); 0 delivers every frame"},
			},
			NewCard: func(o drivers.Options) (card.Reader, error) {
				order, err := cardSerialOrder(o.Params)
				if err != nil {
					return nil, err
				}
				inclVersion, err := o.Params.Bool("include_version", false)
				if err != nil {
					return nil, err
				}
				repeat, err := o.Params.Duration("repeat", rdm6300.DefaultRepeatInterval)
				if err != nil {
					return nil, err
				}
				if repeat == 0 {
					repeat = -1 // deliver every frame
				}
				return rdm6300.New(rdm6300.Config{
					Name: o.Name, Port: serialport.Config{Path: o.Port, Baud: o.Baud},
					Order: order, IncludeVersion: inclVersion, RepeatInterval: repeat,
					Now: o.Now, Log: o.Log, OnStatus: o.OnStatus,
				})
			}},
		{Name: "uidline", Family: Card, Transport: "serial", DefaultBaud: uidline.DefaultBaud,
			Summary: "serial reader printing each card as a text line (hex UID, 10-digit decimal or facility,card) ended by CR, LF or CR LF",
			Params: []drivers.ParamDoc{
				formatDoc, orderDoc, bitsDoc,
				{Key: "prefix", Help: "text every line starts with, stripped (e.g. ID:)"},
				{Key: "suffix", Help: "text every line ends with, stripped (e.g. #)"},
			},
			NewCard: func(o drivers.Options) (card.Reader, error) {
				f, err := cardSerialFormat(o.Params)
				if err != nil {
					return nil, err
				}
				return uidline.New(uidline.Config{
					Name: o.Name, Port: serialport.Config{Path: o.Port, Baud: o.Baud},
					Parser: uidline.Parser{Format: f, Prefix: o.Params.String("prefix", ""), Suffix: o.Params.String("suffix", "")},
					Now:    o.Now, Log: o.Log, OnStatus: o.OnStatus,
				})
			}},
		{Name: "idcard", Family: Card, Transport: "serial", DefaultBaud: idcard.DefaultBaud,
			Summary: "resident ID card reader with a SAM module (AA AA AA 96 69 frames; find, select, read text); credential = 18-character ID number",
			Params: []drivers.ParamDoc{
				{Key: "poll", Default: "500ms", Help: "pause between two find-card attempts"},
				{Key: "timeout", Default: "1s", Help: "wait for one answer of the module (the read answer gets its transfer time on top)"},
			},
			NewCard: func(o drivers.Options) (card.Reader, error) {
				poll, err := o.Params.Duration("poll", idcard.DefaultPoll)
				if err != nil {
					return nil, err
				}
				timeout, err := o.Params.Duration("timeout", idcard.DefaultTimeout)
				if err != nil {
					return nil, err
				}
				if poll <= 0 || timeout <= 0 {
					return nil, fmt.Errorf("registry: idcard: poll and timeout must be more than 0")
				}
				return idcard.New(idcard.Config{
					Name: o.Name, Port: serialport.Config{Path: o.Port, Baud: o.Baud},
					Poll: poll, Timeout: timeout,
					Now: o.Now, Log: o.Log, OnStatus: o.OnStatus,
				})
			}},
		{Name: "evdev", Family: Card, Transport: "evdev",
			Summary: "USB keyboard-wedge reader read through Linux evdev, grabbed so keystrokes do not reach the kiosk (--port /dev/input/by-id/...-event-kbd)",
			Params: []drivers.ParamDoc{
				formatDoc, orderDoc, bitsDoc,
				{Key: "gap", Default: "500ms", Help: "a pause between keys longer than this rejects the partial number; 0 disables"},
				{Key: "event_size", Default: "0", Help: "size of struct input_event: 24 (64-bit), 16 (32-bit ARM); 0 = this build's"},
			},
			NewCard: func(o drivers.Options) (card.Reader, error) {
				if o.Port == "" {
					return nil, fmt.Errorf("registry: evdev needs an input device (--port /dev/input/by-id/...-event-kbd)")
				}
				f, err := cardSerialFormat(o.Params)
				if err != nil {
					return nil, err
				}
				gap, err := o.Params.Duration("gap", evdev.DefaultGap)
				if err != nil {
					return nil, err
				}
				if gap == 0 {
					gap = -1 // no limit
				}
				size, err := o.Params.Int("event_size", 0)
				if err != nil {
					return nil, err
				}
				return evdev.New(evdev.Config{
					Name: o.Name, Path: o.Port, Format: f, Gap: gap, EventSize: size,
					Now: o.Now, Log: o.Log, OnStatus: o.OnStatus,
				})
			}},
	}
}

func cardSerialOrder(p drivers.Params) (card.Order, error) {
	f, err := card.ParseFormat("", p.String("order", "be"))
	if err != nil {
		return "", fmt.Errorf("registry: %w", err)
	}
	return f.Order, nil
}

func cardSerialFormat(p drivers.Params) (card.Format, error) {
	f, err := card.ParseFormat(p.String("format", "hex"), p.String("order", "be"))
	if err != nil {
		return card.Format{}, fmt.Errorf("registry: %w", err)
	}
	bits, err := p.Int("wiegand_bits", 34)
	if err != nil {
		return card.Format{}, err
	}
	if bits != 26 && bits != 34 {
		return card.Format{}, fmt.Errorf("registry: wiegand_bits=%d is not 26 or 34", bits)
	}
	f.WiegandBits = bits
	return f, nil
}
