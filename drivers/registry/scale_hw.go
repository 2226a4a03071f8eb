package registry

import (
	"fmt"
	"strings"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/and"
	"github.com/eldergate/eldergate/drivers/scale/cas"
	"github.com/eldergate/eldergate/drivers/scale/hx711"
	"github.com/eldergate/eldergate/drivers/scale/indicator"
	"github.com/eldergate/eldergate/drivers/scale/mtsics"
	"github.com/eldergate/eldergate/drivers/scale/toledo"
	"github.com/eldergate/eldergate/drivers/serialport"
)

// serialLineParams are the line settings every serial scale accepts.
var serialLineParams = []drivers.ParamDoc{
	{Key: "data_bits", Default: "8", Help: "data bits: 8 or 7"},
	{Key: "parity", Default: "none", Help: "parity: none, odd or even"},
}

func withLine(p ...drivers.ParamDoc) []drivers.ParamDoc {
	return append(append([]drivers.ParamDoc(nil), p...), serialLineParams...)
}

// serialConfig builds the serial line settings from the options.
func serialConfig(o drivers.Options) (serialport.Config, error) {
	c := serialport.Config{Path: o.Port, Baud: o.Baud}
	bits, err := o.Params.Int("data_bits", 8)
	if err != nil {
		return c, err
	}
	if bits != 7 && bits != 8 {
		return c, fmt.Errorf("registry: data_bits=%d: want 7 or 8", bits)
	}
	c.DataBits = byte(bits)
	switch p := strings.ToLower(o.Params.String("parity", "none")); p {
	case "none", "n":
		c.Parity = serialport.ParityNone
	case "odd", "o":
		c.Parity = serialport.ParityOdd
	case "even", "e":
		c.Parity = serialport.ParityEven
	default:
		return c, fmt.Errorf("registry: parity=%q: want none, odd or even", p)
	}
	return c, nil
}

// scaleHWEntries lists the scales: mtsics, toledo, and, indicator, cas, hx711.
func scaleHWEntries() []Entry {
	return []Entry{
		{
			Name: "mtsics", Family: Scale, Transport: "serial", DefaultBaud: 9600,
			Summary: "METTLER TOLEDO balance, MT-SICS commands (polls SI or S; zero, tare, clear tare)",
			Params: withLine(
				drivers.ParamDoc{Key: "command", Default: "SI", Help: "poll command: SI (immediate weight) or S (stable weight only)"},
				drivers.ParamDoc{Key: "interval", Default: "200ms", Help: "time between two polls"},
				drivers.ParamDoc{Key: "timeout", Default: "1s", Help: "reply timeout of a poll"},
				drivers.ParamDoc{Key: "command_timeout", Default: "10s", Help: "reply timeout of zero and tare, which wait for a stable weight"},
				drivers.ParamDoc{Key: "max_missed", Default: "3", Help: "polls without reply before the balance is shown disconnected"},
			),
			NewScale: func(o drivers.Options) (scale.Scale, error) {
				sc, err := serialConfig(o)
				if err != nil {
					return nil, err
				}
				c := mtsics.Config{Name: o.Name, Serial: sc, Command: o.Params.String("command", "SI"), Now: o.Now, OnStatus: o.OnStatus, Log: o.Log}
				if c.Interval, err = o.Params.Duration("interval", 0); err != nil {
					return nil, err
				}
				if c.Timeout, err = o.Params.Duration("timeout", 0); err != nil {
					return nil, err
				}
				if c.CommandTimeout, err = o.Params.Duration("command_timeout", 0); err != nil {
					return nil, err
				}
				if c.MaxMissed, err = o.Params.Int("max_missed", 0); err != nil {
					return nil, err
				}
				return mtsics.New(c)
			},
		},
		{
			Name: "toledo", Family: Scale, Transport: "serial", DefaultBaud: 9600,
			Summary: "METTLER TOLEDO continuous output (STX, status words A/B/C, weight, tare, CR, optional checksum)",
			Params: withLine(
				drivers.ParamDoc{Key: "checksum", Default: "false", Help: "the terminal sends the checksum byte after CR (verified)"},
			),
			NewScale: func(o drivers.Options) (scale.Scale, error) {
				sc, err := serialConfig(o)
				if err != nil {
					return nil, err
				}
				ck, err := o.Params.Bool("checksum", false)
				if err != nil {
					return nil, err
				}
				return toledo.New(toledo.Config{Name: o.Name, Serial: sc, Checksum: ck, Now: o.Now, OnStatus: o.OnStatus, Log: o.Log})
			},
		},
		{
			Name: "and", Family: Scale, Transport: "serial", DefaultBaud: 9600,
			Summary: "A&D balance, A&D standard format (ST,+00123.45  g) sent continuously",
			Params:  withLine(),
			NewScale: func(o drivers.Options) (scale.Scale, error) {
				sc, err := serialConfig(o)
				if err != nil {
					return nil, err
				}
				return and.New(and.Config{Name: o.Name, Serial: sc, Now: o.Now, OnStatus: o.OnStatus, Log: o.Log})
			},
		},
		{
			Name: "indicator", Family: Scale, Transport: "serial", DefaultBaud: 9600,
			Summary: "generic weighing indicator, continuous ST|US|OL,GS|NT,±weight unit lines",
			Params: withLine(
				drivers.ParamDoc{Key: "default_unit", Help: "unit of lines that carry none (g or kg); empty rejects such lines"},
			),
			NewScale: func(o drivers.Options) (scale.Scale, error) {
				sc, err := serialConfig(o)
				if err != nil {
					return nil, err
				}
				return indicator.New(indicator.Config{Name: o.Name, Serial: sc, DefaultUnit: o.Params.String("default_unit", ""), Now: o.Now, OnStatus: o.OnStatus, Log: o.Log})
			},
		},
		{
			Name: "cas", Family: Scale, Transport: "serial", DefaultBaud: 9600,
			Summary: "CAS indicator, 22-byte continuous frames (CI-200A/201A, CI-400, DB-II ...)",
			Params: withLine(
				drivers.ParamDoc{Key: "device_id", Default: "0", Help: "keep only frames of this device number (1 = ID byte '1'); 0 keeps all"},
			),
			NewScale: func(o drivers.Options) (scale.Scale, error) {
				sc, err := serialConfig(o)
				if err != nil {
					return nil, err
				}
				id, err := o.Params.Int("device_id", 0)
				if err != nil {
					return nil, err
				}
				if id < 0 || id > 0x7f-0x30 {
					return nil, fmt.Errorf("registry: device_id=%d out of range", id)
				}
				var b byte
				if id > 0 {
					b = byte(0x30 + id) // CAS NT-200 manual: device no. 01 is 0x31, 13 is 0x3d
				}
				return cas.New(cas.Config{Name: o.Name, Serial: sc, DeviceID: b, Now: o.Now, OnStatus: o.OnStatus, Log: o.Log})
			},
		},
		{
			Name: "hx711", Family: Scale, Transport: "gpio",
			Summary: "load cell on an HX711 ADC (DOUT, PD_SCK GPIO); tare, calibration, median and outlier filter",
			Params: []drivers.ParamDoc{
				{Key: "dout", Default: "GPIO5", Help: "GPIO pin wired to HX711 DOUT"},
				{Key: "sck", Default: "GPIO6", Help: "GPIO pin wired to HX711 PD_SCK"},
				{Key: "gain", Default: "128", Help: "128 or 64 (channel A) or 32 (channel B)"},
				{Key: "scale", Help: "calibration factor: raw counts per gram (required; negative if the cell is mounted the other way)"},
				{Key: "offset", Default: "0", Help: "raw counts with an empty scale (set by tare)"},
				{Key: "tare_on_start", Default: "false", Help: "tare when the driver starts (the scale must be empty)"},
				{Key: "tare_samples", Default: "10", Help: "readings averaged by a tare"},
				{Key: "window", Default: "5", Help: "median filter window (readings)"},
				{Key: "stable_window", Default: "5", Help: "filtered readings looked at for stability"},
				{Key: "stable_grams", Default: "2", Help: "stable when those readings are within ± this many grams"},
				{Key: "max_jump", Default: "2000", Help: "grams; a bigger jump is held back until the next reading confirms it (negative: off)"},
				{Key: "saturation_count", Default: "3", Help: "saturated readings in a row that report overload/underload"},
				{Key: "ready_timeout", Default: "1s", Help: "no conversion within it shows the scale disconnected"},
			},
			NewScale: newHX711,
		},
	}
}

func newHX711(o drivers.Options) (scale.Scale, error) {
	p := o.Params
	if p.String("scale", "") == "" {
		return nil, fmt.Errorf("registry: hx711 needs its calibration factor: --set scale=COUNTS_PER_GRAM")
	}
	var c hx711.Config
	var err error
	c.Name, c.Now, c.OnStatus, c.Log = o.Name, o.Now, o.OnStatus, o.Log
	if c.Filter.CountsPerGram, err = p.Float("scale", 0); err != nil {
		return nil, err
	}
	ints := []struct {
		key string
		def int
		dst *int
	}{
		{"window", 5, &c.Filter.Window},
		{"stable_window", 5, &c.Filter.StableWindow},
		{"saturation_count", 3, &c.Filter.SaturationCount},
		{"tare_samples", 10, &c.TareSamples},
	}
	for _, it := range ints {
		if *it.dst, err = p.Int(it.key, it.def); err != nil {
			return nil, err
		}
	}
	gain, err := p.Int("gain", 128)
	if err != nil {
		return nil, err
	}
	c.Gain = hx711.Gain(gain)
	for _, it := range []struct {
		key string
		def int
		dst *int64
	}{{"offset", 0, &c.Filter.Offset}, {"stable_grams", 2, &c.Filter.StableGrams}, {"max_jump", 2000, &c.Filter.MaxJumpGrams}} {
		v, err := p.Int(it.key, it.def)
		if err != nil {
			return nil, err
		}
		*it.dst = int64(v)
	}
	if c.TareOnStart, err = p.Bool("tare_on_start", false); err != nil {
		return nil, err
	}
	if c.ReadyTimeout, err = p.Duration("ready_timeout", 0); err != nil {
		return nil, err
	}
	dout, err := Pin(p.String("dout", "GPIO5"))
	if err != nil {
		return nil, err
	}
	sck, err := Pin(p.String("sck", "GPIO6"))
	if err != nil {
		return nil, err
	}
	c.DOUT, c.SCK = dout, sck
	return hx711.New(c)
}
