package cloud

import (
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
)

// forget drops the cached successful login of gateway id, so that its
// next connection is checked against the store again.
func (a *authenticator) forget(id string) {
	a.mu.Lock()
	delete(a.ok, id)
	a.mu.Unlock()
}

// provisioning is the HTTP server's enrollment configuration. With the
// embedded broker the cloud issues per-device credentials that the auth
// hook checks; with an external broker enrollment is not offered (it
// needs Mosquitto's dynamic security, not done yet), only revocation in
// the store.
func (c *Cloud) provisioning(auth *authenticator, brokerURL string) cloudhttp.Provisioning {
	b := c.broker
	p := cloudhttp.Provisioning{
		OnRevoke: func(id string) {
			auth.forget(id)
			if b != nil {
				n := b.DisconnectUser(id)
				c.log.Info("cloud: gateway revoked", "gw", id, "disconnected", n)
			}
		},
	}
	if b != nil {
		p.BrokerURL = brokerURL
	}
	return p
}
