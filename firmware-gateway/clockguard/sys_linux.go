//go:build linux

package clockguard

import "golang.org/x/sys/unix"

// KernelSynced reports what `timedatectl` shows as "System clock
// synchronized": adjtimex(2) read-only, synchronised when the kernel's
// STA_UNSYNC status bit is clear, the state is not TIME_ERROR and the
// maximum error is below 16 s (systemd's rule). An error counts as
// unsynchronised.
func KernelSynced() bool {
	var tx unix.Timex // Modes 0: read only, no privilege needed
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false
	}
	return state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0 && int64(tx.Maxerror) < 16_000_000
}
