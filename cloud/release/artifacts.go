package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/eldergate/eldergate"
)

// Artifacts keeps release artifacts as files named by their SHA-256 in
// Dir (data_dir/releases): written to a temporary file, fsynced, then
// renamed, so a file under its final name is always complete.
type Artifacts struct{ Dir string }

// Temp is an artifact received but not yet kept.
type Temp struct {
	Path string
	Digest
	dir string
}

// Receive copies r (at most eldergate.MaxReleaseBytes) into a temporary
// file of the directory, fsynced, and returns it with its digest. The
// caller keeps it (Keep) or removes it (Discard).
func (a Artifacts) Receive(r io.Reader) (*Temp, error) {
	if err := os.MkdirAll(a.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("release artifacts: %w", err)
	}
	f, err := os.CreateTemp(a.Dir, ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("release artifacts: %w", err)
	}
	t := &Temp{Path: f.Name(), dir: a.Dir}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, eldergate.MaxReleaseBytes+1))
	if err == nil && n > eldergate.MaxReleaseBytes {
		err = fmt.Errorf("artifact is larger than %d bytes", eldergate.MaxReleaseBytes)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(t.Path)
		return nil, err
	}
	t.Size, t.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return t, nil
}

// Discard removes the temporary file.
func (t *Temp) Discard() { os.Remove(t.Path) }

// Keep renames the temporary file to its final name (its SHA-256) and
// fsyncs the directory. created is false when a file of that content was
// kept before (the temporary file is then removed).
func (t *Temp) Keep() (created bool, err error) {
	final := filepath.Join(t.dir, t.SHA256)
	if _, err := os.Stat(final); err == nil {
		t.Discard()
		return false, nil
	}
	if err := os.Rename(t.Path, final); err != nil {
		t.Discard()
		return false, fmt.Errorf("release artifacts: %w", err)
	}
	if d, err := os.Open(t.dir); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			return true, fmt.Errorf("release artifacts: sync %s: %w", t.dir, err)
		}
	}
	return true, nil
}

// Open opens the kept artifact of SHA-256 sum.
func (a Artifacts) Open(sum string) (*os.File, error) {
	if len(sum) != 64 {
		return nil, errors.New("release artifacts: bad SHA-256")
	}
	if _, err := hex.DecodeString(sum); err != nil {
		return nil, errors.New("release artifacts: bad SHA-256")
	}
	return os.Open(filepath.Join(a.Dir, sum))
}

// Remove removes the kept artifact of SHA-256 sum (after a failed store).
func (a Artifacts) Remove(sum string) { os.Remove(filepath.Join(a.Dir, sum)) }
