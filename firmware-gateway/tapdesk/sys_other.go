//go:build !linux

package tapdesk

import (
	"errors"
	"os"
)

func diskFree(dir string) (uint64, error) {
	return 0, errors.New("tapdesk: disk free space is only known on Linux")
}

func allocate(f *os.File, n int64) error { return errors.ErrUnsupported }
