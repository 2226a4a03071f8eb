package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/eldergate/eldergate"
	"github.com/eldergate/eldergate/policy"
)

const policyUsage = `usage: eldergate-gateway policy eval --policy FILE --elder FILE --at TIME (--price-fen N | --weight-g N)
        [--usage FILE] [--usage-age DURATION] [--site FILE | --site CITY/DISTRICT/STREET]

  --policy     a subsidy policy, YAML or JSON (docs/policies)
  --elder      the elder, YAML or JSON: {id, birth (YYYY-MM-DD), categories, hukou_local,
               home: {city, district, street}, residence: {city, district, street}}
               (a roster entry with home_city, ..., residence_city, ..., category is read too);
               example: docs/policies/examples/elder.json
  --at         RFC 3339 (2025-03-03T04:00:00Z), or local time in the policy's zone (2025-03-03T12:00)
  --price-fen  the price rung up, in fen; --weight-g the stable weight in grams (by-weight windows)
  --usage      the elder's usage in the meal's periods: {window|day|week|month: {count, subsidy_fen}}
  --usage-age  time since the last usage sync (default: fresh); "never" when never synced
  --site       the site: a file {id, city, district, street}, or the codes CITY/DISTRICT/STREET`

// maxInputBytes bounds every file read by policy eval.
const maxInputBytes = 1 << 20

// runPolicy implements "eldergate-gateway policy eval": it decides one
// meal with the engine the gateway uses and prints the decision as JSON.
// Every error is the input's (exit code 2) and says in words what is wrong
// and what was expected.
func runPolicy(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) || len(args) > 1 && args[0] == "eval" && isHelp(args[1]) {
		fmt.Fprintln(stdout, policyUsage)
		return nil
	}
	if err := evalPolicy(args, stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h among the flags: the usage is printed
		}
		return &inputError{err}
	}
	return nil
}

func evalPolicy(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "eval" {
		return errors.New(policyUsage)
	}
	fs := flag.NewFlagSet("policy eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, policyUsage) }
	policyPath := fs.String("policy", "", "policy file (YAML or JSON)")
	elderPath := fs.String("elder", "", "elder file (YAML or JSON)")
	atText := fs.String("at", "", "time of the meal")
	price := fs.Int64("price-fen", 0, "price in fen")
	weight := fs.Int64("weight-g", 0, "weight in grams")
	usagePath := fs.String("usage", "", "usage file (YAML or JSON)")
	usageAge := fs.String("usage-age", "0s", "time since the last usage sync, or never")
	siteArg := fs.String("site", "", "site file or CITY/DISTRICT/STREET")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("policy eval: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("policy eval: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case *policyPath == "":
		return errors.New("policy eval: --policy is required")
	case *elderPath == "":
		return errors.New("policy eval: --elder is required")
	case *atText == "":
		return errors.New("policy eval: --at is required")
	case *price < 0 || *weight < 0:
		return errors.New("policy eval: --price-fen and --weight-g must not be negative")
	case *price > 0 && *weight > 0:
		return errors.New("policy eval: give --price-fen or --weight-g, not both")
	}
	data, err := readInput(*policyPath)
	if err != nil {
		return err
	}
	p, err := policy.Parse(data)
	if err != nil {
		return fmt.Errorf("policy eval: %s: %w", *policyPath, err)
	}
	in := policy.Input{PriceFen: eldergate.Fen(*price), WeightG: *weight}
	if in.Elder, err = readElder(*elderPath); err != nil {
		return err
	}
	if in.At, err = parseAt(*atText, p.TimeZone); err != nil {
		return err
	}
	if *usagePath != "" {
		data, err := readInput(*usagePath)
		if err != nil {
			return err
		}
		if in.Usage, err = parseUsage(*usagePath, data); err != nil {
			return fmt.Errorf("policy eval: %w", err)
		}
	}
	if *usageAge == "never" {
		in.UsageAge = -1
	} else if in.UsageAge, err = time.ParseDuration(*usageAge); err != nil || in.UsageAge < 0 {
		return fmt.Errorf("policy eval: --usage-age %q: a duration such as 80h, or never", *usageAge)
	}
	if *siteArg != "" {
		if in.Site, err = readSite(*siteArg); err != nil {
			return err
		}
	}
	out, err := json.MarshalIndent(p.Decide(in), "", "  ")
	if err != nil {
		return fmt.Errorf("policy eval: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "%s\n", out)
	return err
}

func readInput(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("policy eval: %s: no such file", path)
	}
	if err != nil {
		return nil, fmt.Errorf("policy eval: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("policy eval: %s: %w", path, err)
	}
	if len(data) > maxInputBytes {
		return nil, fmt.Errorf("policy eval: %s: larger than %d bytes", path, maxInputBytes)
	}
	return data, nil
}

// readElder reads an elder in the engine's form, or a roster entry.
func readElder(path string) (policy.Elder, error) {
	data, err := readInput(path)
	if err != nil {
		return policy.Elder{}, err
	}
	e, err := parseElder(path, data)
	if err != nil {
		return policy.Elder{}, fmt.Errorf("policy eval: %w", err)
	}
	return e, nil
}

func readSite(arg string) (policy.Site, error) {
	if _, err := os.Stat(arg); err == nil {
		data, err := readInput(arg)
		if err != nil {
			return policy.Site{}, err
		}
		s, err := parseSite(arg, data)
		if err != nil {
			return policy.Site{}, fmt.Errorf("policy eval: %w", err)
		}
		return s, nil
	}
	parts := strings.Split(arg, "/")
	if len(parts) != 3 || parts[0] == "" {
		return policy.Site{}, fmt.Errorf("policy eval: --site %q: not a file nor CITY/DISTRICT/STREET codes", arg)
	}
	return policy.Site{Place: policy.Place{City: parts[0], District: parts[1], Street: parts[2]}}, nil
}

// parseAt reads RFC 3339, or a local time without offset in the policy's
// time zone.
func parseAt(s, zone string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("policy eval: %w", err)
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("policy eval: --at %q: expected RFC 3339 (2025-03-03T04:00:00Z) or local time YYYY-MM-DDTHH:MM (2025-03-03T12:00)", s)
}
