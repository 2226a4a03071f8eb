package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// AppliedFile, in data_dir, holds the last configuration applied by a
// config or policy command; a restart uses it.
const AppliedFile = "config.applied.yaml"

// SaveApplied writes c into dir's AppliedFile without its local-only
// settings (no broker password in the file) for the next start.
func SaveApplied(dir string, c Config) error {
	LocalOnly(&c, Config{})
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("gateway: persist config: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, AppliedFile), b); err != nil {
		return fmt.Errorf("gateway: persist config: %w", err)
	}
	return nil
}

// ReadApplied reads dir's AppliedFile as it was written (no defaults, not
// validated); ok is false when there is none.
func ReadApplied(dir string) (c Config, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dir, AppliedFile))
	if errors.Is(err, os.ErrNotExist) {
		return c, false, nil
	}
	if err == nil {
		err = DecodeStrict(b, &c)
	}
	return c, err == nil, err
}

// WriteFileAtomic writes data to path through a synced temporary file and
// a rename, so that a power cut leaves the old file or the new one.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
