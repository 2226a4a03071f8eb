package registry

import (
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/scale"
	"github.com/eldergate/eldergate/drivers/scale/scalesim"
)

func scaleEntries() []Entry {
	return []Entry{
		{Name: "sim", Family: Scale, Transport: "sim", Summary: "simulated scale (kiosk simulation panel)",
			NewScale: func(o drivers.Options) (scale.Scale, error) {
				return scalesim.New(scalesim.WithName(o.Name), scalesim.WithClock(o.Now)), nil
			}},
	}
}
