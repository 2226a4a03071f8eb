package cloud

// ServiceCredentials exposes the embedded broker's service account to the
// tests, which use it as an internal subscriber.
func (c *Cloud) ServiceCredentials() (user, password string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broker == nil {
		return c.cfg.BrokerUser, c.cfg.BrokerPassword
	}
	return c.broker.ServiceCredentials()
}
