package cloud

import (
	cloudhttp "github.com/eldergate/eldergate/cloud/http"
	"strings"
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
// hook checks; with an external Mosquitto with dynamic security
// (Config.BrokerDynsec) it creates the gateway's client and role there and
// disables it on revocation; with another external broker enrollment is
// not offered, only revocation in the store.
func (c *Cloud) provisioning(auth *authenticator, brokerURL string) cloudhttp.Provisioning {
	b := c.broker
	p := cloudhttp.Provisioning{
		PublicURL: strings.TrimSuffix(c.cfg.ConsoleURL, "/"), // "" = the listener's URL
		CAPEM:     c.brokerCAPEM,

		EnrollPerMinute: c.cfg.EnrollFailuresPerMinute,
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
	if c.dynsec != nil {
		p.BrokerURL = brokerURL
		if c.cfg.GatewayBrokerURL != "" {
			p.BrokerURL = c.cfg.GatewayBrokerURL
		}
		p.OnEnroll = c.dynsecEnroll
		p.OnRevoke = func(id string) {
			auth.forget(id)
			c.dynsecRevoke(id)
		}
	}
	return p
}
