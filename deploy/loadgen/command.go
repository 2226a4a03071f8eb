package loadgen

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/eldergate/eldergate/cloud/postgres"
	"github.com/eldergate/eldergate/cloud/sqlite"
)

// Options are the command line of eldergate-load.
type Options struct {
	Fleet         Fleet
	GatewaysFile  string // read the gateways from this file instead of generating them
	WriteGateways string // write the gateways used to this file
	Register      string // register the gateways in this cloud store first: postgres:// URL or SQLite data directory
	Prefix, Site  string
	CAFile        string
}

const usage = `usage: eldergate-load [flags]

Simulates eldergate gateways against a broker (loopback only unless
-allow-remote) and prints one JSON line with what it measured. Each gateway
is its own MQTT connection with its own credentials (-gateways-file, or
generated and, with -register, registered in the cloud's store).
`

// ParseFlags reads the command line; it refuses bad values in words.
func ParseFlags(args []string, stderr io.Writer) (Options, error) {
	var o Options
	fs := flag.NewFlagSet("eldergate-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	f := &o.Fleet
	fs.StringVar(&f.Broker, "broker", "tcp://127.0.0.1:1883", "broker URL tcp://host:port or ssl://host:port")
	fs.BoolVar(&f.AllowRemote, "allow-remote", false, "allow a broker that is not on a loopback address")
	fs.StringVar(&o.CAFile, "ca", "", "PEM CA of the broker's certificate (ssl://)")
	n := fs.Int("gateways", 10, fmt.Sprintf("gateways to simulate (1-%d), generated unless -gateways-file", MaxGateways))
	fs.StringVar(&o.GatewaysFile, "gateways-file", "", "CSV file id,site,user,password of the gateways")
	fs.StringVar(&o.WriteGateways, "write-gateways", "", "write the gateways (with their passwords) to this CSV file")
	fs.StringVar(&o.Register, "register", "", "register the gateways in the cloud's store first: postgres:// URL or SQLite data directory")
	fs.StringVar(&o.Prefix, "prefix", "lg", "id prefix of generated gateways")
	fs.StringVar(&o.Site, "site", "", "site of generated gateways (default site-ID per gateway)")
	fs.DurationVar(&f.Duration, "duration", 10*time.Second, "how long events are made (at most 1h)")
	fs.IntVar(&f.MaxEvents, "events", 1_000_000, fmt.Sprintf("events made at most, all kinds (1-%d)", MaxEvents))
	fs.Float64Var(&f.MealsPerSec, "meals", 10, "meals a second, whole fleet")
	fs.Float64Var(&f.AlarmsPerSec, "alarms", 0, "alarms a second, whole fleet")
	fs.DurationVar(&f.HeartbeatEvery, "heartbeat", 60*time.Second, "heartbeat interval per gateway (0: none)")
	fs.IntVar(&f.Backlog, "backlog", 0, "meals queued per gateway before it connects (drained in -batch)")
	fs.IntVar(&f.BatchSize, "batch", 500, "events per batch when draining (1-5000)")
	fs.IntVar(&f.InFlight, "inflight", 0, "unacknowledged events per gateway before it waits (0: no limit)")
	fs.Float64Var(&f.ConnectPerSec, "connect-rate", 0, "connections a second at most (0: no limit)")
	fs.DurationVar(&f.AckTimeout, "ack-timeout", 10*time.Second, "resend an event unacknowledged this long")
	fs.DurationVar(&f.Settle, "settle", 10*time.Second, "after -duration, wait this long at most for acks")
	fs.DurationVar(&f.KeepAlive, "keepalive", 30*time.Second, "MQTT keepalive")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("eldergate-load: unexpected arguments %q", fs.Args())
	}
	switch {
	case *n < 1 || *n > MaxGateways:
		return o, fmt.Errorf("eldergate-load: -gateways %d: must be 1 to %d", *n, MaxGateways)
	case f.MaxEvents < 1:
		return o, fmt.Errorf("eldergate-load: -events %d: must be at least 1", f.MaxEvents)
	case f.BatchSize < 1:
		return o, fmt.Errorf("eldergate-load: -batch %d: must be at least 1", f.BatchSize)
	case f.AckTimeout <= 0:
		return o, fmt.Errorf("eldergate-load: -ack-timeout %v: must be positive", f.AckTimeout)
	case f.KeepAlive < time.Second:
		return o, fmt.Errorf("eldergate-load: -keepalive %v: must be at least 1s", f.KeepAlive)
	case o.GatewaysFile != "" && isSet(fs, "gateways"):
		return o, errors.New("eldergate-load: -gateways and -gateways-file exclude each other")
	case o.Register != "" && o.GatewaysFile != "":
		return o, errors.New("eldergate-load: -register registers generated gateways; register a file's gateways with the cloud's enrollment")
	}
	if o.GatewaysFile == "" {
		if err := checkPrefix(o.Prefix); err != nil {
			return o, err
		}
		// Stand-ins to validate the rest; Main generates the real ones.
		f.Gateways = make([]Gateway, *n)
		for i := range f.Gateways {
			f.Gateways[i] = Gateway{ID: fmt.Sprintf("%s-%05d", o.Prefix, i+1), Site: "s"}
		}
	} else {
		f.Gateways = []Gateway{{ID: "x", Site: "s"}}
	}
	if _, _, err := f.validate(); err != nil {
		return o, fmt.Errorf("eldergate-load: %s", strings.TrimPrefix(err.Error(), "loadgen: "))
	}
	f.Gateways = nil
	if o.GatewaysFile == "" {
		f.Gateways = make([]Gateway, *n) // filled by Main
	}
	return o, nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func checkPrefix(p string) error {
	if p == "" || len(p) > 40 {
		return fmt.Errorf("eldergate-load: -prefix %q: 1 to 40 characters", p)
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("eldergate-load: -prefix %q: only letters, digits, '-', '_' and '.'", p)
		}
	}
	return nil
}

// Main is the eldergate-load command: it parses args, prepares the
// gateways, runs the fleet and prints its result as one JSON line.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := ParseFlags(args, stderr)
	if err != nil {
		return err
	}
	f := o.Fleet
	if o.GatewaysFile != "" {
		fh, err := os.Open(o.GatewaysFile)
		if err != nil {
			return fmt.Errorf("eldergate-load: %w", err)
		}
		f.Gateways, err = ReadGateways(fh)
		fh.Close()
		if err != nil {
			return err
		}
	} else {
		f.Gateways = Generate(o.Prefix, o.Site, len(f.Gateways))
	}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return fmt.Errorf("eldergate-load: -ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("eldergate-load: -ca %s: no PEM certificate in it", o.CAFile)
		}
		f.TLS = &tls.Config{RootCAs: pool}
	}
	if o.WriteGateways != "" {
		fh, err := os.OpenFile(o.WriteGateways, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("eldergate-load: %w", err)
		}
		err = WriteGateways(fh, f.Gateways)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("eldergate-load: %w", err)
		}
	}
	if o.Register != "" {
		if err := registerIn(ctx, o.Register, f.Gateways); err != nil {
			return err
		}
	}
	res, err := f.Run(ctx)
	if err != nil {
		return err
	}
	line, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(line))
	if !res.OK {
		return fmt.Errorf("eldergate-load: not every event was acknowledged: %s", res.Note)
	}
	return nil
}

// registerIn registers gws in the store at where (postgres:// URL or a
// SQLite data directory).
func registerIn(ctx context.Context, where string, gws []Gateway) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var st interface {
		CredentialStore
		Close() error
	}
	var err error
	if postgres.IsDSN(where) {
		st, err = postgres.Open(ctx, where)
	} else {
		st, err = sqlite.Open(ctx, where)
	}
	if err != nil {
		return fmt.Errorf("eldergate-load: -register: %w", err)
	}
	defer st.Close()
	return Register(ctx, st, gws)
}
