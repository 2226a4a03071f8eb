package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/eldergate/eldergate/cloud/brokerconfig"
)

// brokerConfigCmd writes the production Mosquitto's configuration
// (cloud/brokerconfig, ADR 0033).
//
//	eldergate-cloud broker-config --out DIR [--tls-cert F --tls-key F [--ca F]]
//	        [--listen 0.0.0.0:8883] [--cloud-listen 127.0.0.1:8884] [--admin-user U]
//	        [--mount DIR] [--plugin PATH] [--persistence DIR] [--run-as USER] [--force]
func brokerConfigCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("broker-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write mosquitto.conf, dynamic-security.json, certs/ and the cloud's broker password into; required")
	cert := fs.String("tls-cert", "", "PEM certificate of the broker (with its chain), copied to certs/server.pem; without it the configuration expects that file there")
	key := fs.String("tls-key", "", "PEM private key of --tls-cert, copied to certs/server.key")
	ca := fs.String("ca", "", "PEM CA the certificate chains to, copied to certs/ca.pem (the cloud's broker_ca_file; handed to enrolling gateways)")
	listen := fs.String("listen", "0.0.0.0:8883", "the gateways' TLS listener host:port")
	cloudListen := fs.String("cloud-listen", "127.0.0.1:8884", "the cloud's TLS listener host:port (not to be published)")
	admin := fs.String("admin-user", brokerconfig.DefaultAdminUser, "the cloud's broker account, admin of the dynamic-security plugin")
	mount := fs.String("mount", "", "the --out directory as Mosquitto sees it, e.g. /mosquitto/config in a container (default: --out made absolute)")
	plugin := fs.String("plugin", brokerconfig.DefaultPlugin(), "path of mosquitto_dynamic_security.so as Mosquitto sees it")
	persistence := fs.String("persistence", "/var/lib/mosquitto/", "Mosquitto's persistence directory")
	runAs := fs.String("run-as", "", "user Mosquitto drops to when started as root (default: its own, mosquitto)")
	force := fs.Bool("force", false, "overwrite files that exist with other contents (a new dynamic-security.json drops every account the cloud made)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("broker-config: unexpected arguments %q", fs.Args())
	}
	if *out == "" {
		return fmt.Errorf("broker-config: --out DIR is required")
	}
	gw, err := brokerconfig.ParseListen(*listen)
	if err != nil {
		return fmt.Errorf("broker-config: --listen: %w", err)
	}
	cl, err := brokerconfig.ParseListen(*cloudListen)
	if err != nil {
		return fmt.Errorf("broker-config: --cloud-listen: %w", err)
	}
	res, err := brokerconfig.Write(brokerconfig.Options{
		Dir: *out, Mount: *mount, TLSCert: *cert, TLSKey: *key, CA: *ca,
		Gateways: gw, Cloud: cl, AdminUser: *admin, Plugin: *plugin, DataDir: *persistence, RunAs: *runAs, Force: *force,
	})
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, "broker-config: warning:", w)
	}
	for _, f := range res.Files {
		fmt.Fprintln(stdout, "wrote", f)
	}
	if *cert == "" {
		fmt.Fprintf(stdout, "put the broker's certificate and key at %s/%s and %s/%s before starting mosquitto\n", *out, brokerconfig.CertFile, *out, brokerconfig.KeyFile)
	}
	fmt.Fprintf(stdout, "the cloud's configuration, with the broker's name as in its certificate:\n")
	fmt.Fprintf(stdout, "  broker_url: ssl://BROKER-NAME:%d\n  broker_gateway_url: ssl://BROKER-NAME:%d\n", cl.Port, gw.Port)
	fmt.Fprintf(stdout, "  broker_user: %s\n  broker_password_file: %s\n  broker_dynsec: true\n", res.AdminUser, res.PasswordFile)
	if res.CAFile != "" {
		fmt.Fprintf(stdout, "  broker_ca_file: %s\n", res.CAFile)
	}
	return nil
}
