package gpiobutton

import (
	"time"

	"github.com/eldergate/eldergate/drivers/internal/fakeclock"
)

type fakeClock = fakeclock.Clock

func newFakeClock(t time.Time) *fakeClock { return fakeclock.New(t) }
