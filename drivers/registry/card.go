package registry

import (
	"github.com/eldergate/eldergate/drivers"
	"github.com/eldergate/eldergate/drivers/card"
	"github.com/eldergate/eldergate/drivers/card/cardsim"
)

func cardEntries() []Entry {
	return []Entry{
		{Name: "sim", Family: Card, Transport: "sim", Summary: "simulated card reader (kiosk simulation panel)",
			NewCard: func(o drivers.Options) (card.Reader, error) {
				return cardsim.New(cardsim.WithName(o.Name), cardsim.WithClock(o.Now)), nil
			}},
	}
}
