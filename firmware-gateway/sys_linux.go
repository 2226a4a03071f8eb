//go:build linux

package gateway

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// kernelClockSynced reports what `timedatectl` shows as "System clock
// synchronized": adjtimex(2) read-only, synchronised when the kernel's
// STA_UNSYNC status bit is clear, the state is not TIME_ERROR and the
// maximum error is below 16 s (systemd's rule). An error counts as
// unsynchronised.
func kernelClockSynced() bool {
	var tx unix.Timex // Modes 0: read only, no privilege needed
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return false
	}
	return state != unix.TIME_ERROR && tx.Status&unix.STA_UNSYNC == 0 && int64(tx.Maxerror) < 16_000_000
}

// diskFree is the number of bytes an unprivileged writer may still use in
// the file system holding dir.
func diskFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("gateway: statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// allocate reserves n bytes of real blocks for f (fallocate(2)).
func allocate(f *os.File, n int64) error {
	if err := unix.Fallocate(int(f.Fd()), 0, 0, n); err != nil {
		return fmt.Errorf("fallocate: %w", err)
	}
	return nil
}
