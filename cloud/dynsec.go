package cloud

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eldergate/eldergate/cloud/dynsec"
)

// ServiceRole is the dynamic-security role the cloud gives its own broker
// account (Config.BrokerUser) on an external Mosquitto with BrokerDynsec.
const ServiceRole = "eldergate-cloud"

// ServiceUser is the broker account the cloud's ingester uses on an
// external Mosquitto with BrokerDynsec: Config.BrokerUser + "-service",
// same password. (Changing the admin's own roles would make Mosquitto
// disconnect the admin.)
func (c *Cloud) dynsecServiceUser() string { return c.cfg.BrokerUser + "-service" }

// startDynsec connects the dynamic-security client to the external broker
// as Config.BrokerUser (the admin made by `mosquitto_ctrl dynsec init`) and
// makes sure the service account exists with the service role
// (read/write eg/v1/#). It returns the service account's credentials for
// the ingester. Called from Start with c.mu held.
func (c *Cloud) startDynsec(ctx context.Context) (user, password string, err error) {
	d, err := dynsec.Dial(ctx, dynsec.Config{
		URL: c.cfg.BrokerURL, User: c.cfg.BrokerUser, Password: c.cfg.BrokerPassword,
		ClientID: "eldergate-cloud-dynsec", Logger: c.log.With("component", "dynsec"), TLS: c.brokerTLS,
	})
	if err != nil {
		return "", "", fmt.Errorf("cloud: %w", err)
	}
	if err := d.EnsureRole(ctx, ServiceRole, dynsec.ServiceACLs()); err != nil {
		d.Close()
		return "", "", fmt.Errorf("cloud: service role: %w", err)
	}
	user, password = c.dynsecServiceUser(), c.cfg.BrokerPassword
	err = d.Do(ctx, dynsec.Command{"command": "createClient", "username": user, "password": password,
		"roles": []map[string]any{{"rolename": ServiceRole}}})
	if errors.Is(err, dynsec.ErrExists) {
		err = nil // made by an earlier start (or another instance): left as it is
	}
	if err != nil {
		d.Close()
		return "", "", fmt.Errorf("cloud: service account %s: %w", user, err)
	}
	c.dynsec = d
	return user, password, nil
}

// dynsecEnroll creates the gateway's broker client and role.
func (c *Cloud) dynsecEnroll(ctx context.Context, id, password string) error {
	if err := c.dynsec.EnrollGateway(ctx, id, password); err != nil {
		return fmt.Errorf("cloud: broker client for %s: %w", id, err)
	}
	c.log.Info("cloud: gateway created on the broker", "gw", id)
	return nil
}

// dynsecRevoke disables the gateway's broker client; Mosquitto disconnects
// it and refuses it from then on.
func (c *Cloud) dynsecRevoke(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.dynsec.DisableClient(ctx, id); err != nil {
		c.log.Error("cloud: disable revoked gateway on the broker", "gw", id, "err", err)
		return
	}
	c.log.Info("cloud: gateway revoked", "gw", id, "broker", "client disabled")
}
