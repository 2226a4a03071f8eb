//go:build linux

package tapdesk

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// diskFree is the number of bytes an unprivileged writer may still use in
// the file system holding dir.
func diskFree(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("tapdesk: statfs %s: %w", dir, err)
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
