package uplink

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
)

// TLSScheme reports whether a broker URL asks for TLS.
func TLSScheme(brokerURL string) bool {
	u, err := url.Parse(brokerURL)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "ssl", "tls", "mqtts", "tcps", "wss":
		return true
	}
	return false
}

// TLSConfig builds the client TLS configuration of a broker connection:
// the broker's certificate must chain to a CA of caFile (PEM) or, when
// caFile is empty, to the system's roots. serverName, when set, is the
// name checked in the broker's certificate instead of the URL's host.
func TLSConfig(caFile, serverName string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("uplink: ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("uplink: ca_file " + caFile + ": no PEM certificate in it")
	}
	c.RootCAs = pool
	return c, nil
}
