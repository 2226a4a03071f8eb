package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/eldergate/eldergate/firmware-gateway/atomicfile"
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
	if err := atomicfile.Write(filepath.Join(dir, AppliedFile), b, 0o600); err != nil {
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
