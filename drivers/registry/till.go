package registry

import (
	"fmt"

	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/serialport"
	"github.com/eldergate/eldergate/drivers/till"
	"github.com/eldergate/eldergate/drivers/till/serialtill"
	"github.com/eldergate/eldergate/drivers/till/tillsim"
)

// tillEntries lists the tills (POS) that send the amount of a sale over
// a device line (docs/till-api.md).
func tillEntries() []Entry {
	return []Entry{
		{Name: "sim", Family: Till, Transport: "sim", Summary: "simulated till (amounts rung from the demo or a test)",
			NewTill: func(o drivers.Options) (till.Till, error) {
				return tillsim.New(o.Name, o.Now, o.OnStatus), nil
			}},
		{Name: "serial", Family: Till, Transport: "serial", DefaultBaud: serialtill.DefaultBaud,
			Summary: "till (POS) on a serial line: the line protocol (AMT 1250 REF) or posing as its customer display (ESC s 2, ESC Q A 12.50 CR)",
			Params: []drivers.ParamDoc{
				{Key: "protocol", Help: "line (AMT <fen> [<ref>] answered OK / ERR) or customer_display (the total shown under the 总计 light); required"},
				{Key: "settle", Default: serialtill.DefaultSettle.String(), Help: "customer_display: how long a total stays shown, with no other command, before it is taken"},
			},
			NewTill: func(o drivers.Options) (till.Till, error) {
				proto, err := serialtill.ParseProtocol(o.Params.String("protocol", ""))
				if err != nil {
					return nil, fmt.Errorf("registry: %w (--set protocol=line)", err)
				}
				settle, err := o.Params.Duration("settle", serialtill.DefaultSettle)
				if err != nil {
					return nil, err
				}
				return serialtill.New(serialtill.Config{
					Name: o.Name, Port: serialport.Config{Path: o.Port, Baud: o.Baud}, Protocol: proto, Settle: settle,
					Now: o.Now, Log: o.Log, OnStatus: o.OnStatus,
				})
			}},
	}
}

// OpenTill builds a till with driver e.
func (e Entry) OpenTill(o drivers.Options) (till.Till, error) {
	if e.NewTill == nil {
		return nil, fmt.Errorf("registry: %s is a %s driver, not a till", e.Name, e.Family)
	}
	if err := e.prepare(&o); err != nil {
		return nil, err
	}
	return e.NewTill(o)
}
