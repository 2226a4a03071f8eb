package ingest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
)

// BrokerTLS is the client TLS configuration of the cloud's connections to
// an external broker at brokerURL: nil for a plain tcp:// URL; for
// ssl://, tls://, mqtts:// at least TLS 1.2, and the broker's certificate
// must chain to a CA of caFile (PEM) or, when caFile is empty, to the
// system's roots. A CA file with a plain URL is an error, as it says the
// operator meant TLS.
func BrokerTLS(brokerURL, caFile string) (*tls.Config, error) {
	u, err := url.Parse(brokerURL)
	if err != nil {
		return nil, fmt.Errorf("ingest: broker URL %q: %w", brokerURL, err)
	}
	switch u.Scheme {
	case "ssl", "tls", "mqtts", "tcps":
	default:
		if caFile != "" {
			return nil, fmt.Errorf("ingest: a broker CA file (%s) with the plain broker URL %s: use ssl://", caFile, brokerURL)
		}
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("ingest: broker CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ingest: broker CA file %s: no PEM certificate in it", caFile)
	}
	c.RootCAs = pool
	return c, nil
}
