package domain

import (
	"context"
	"slices"
	"strings"
)

// PolicyStore answers which site runs which policy version.
type PolicyStore interface {
	// PolicyAssignments returns the policy version assigned to each site
	// that has one, by site id.
	PolicyAssignments(ctx context.Context) (map[string]string, error)
}

// GatewayPrices is what one gateway of a site last reported can price a
// meal (ReportedConfig.PriceDevices): "" when it never reported it (no
// birth yet, or a gateway older than issue 13).
type GatewayPrices struct {
	GW      string
	Devices string
}

// Has reports whether the gateway reported device.
func (g GatewayPrices) Has(device string) bool {
	return slices.Contains(strings.Split(g.Devices, ","), device)
}

// PriceDeviceCheck is the outcome of CheckPriceDevices for one device a
// policy needs.
type PriceDeviceCheck struct {
	Device  string   `json:"device"`            // eldergate.PriceDeviceTill or PriceDeviceScale
	Lacking []string `json:"lacking,omitempty"` // gateways that reported they do not have it
	Unknown []string `json:"unknown,omitempty"` // gateways that never reported what they have
}

// CheckPriceDevices is the rule of ADR 0026: a policy needing devices
// (policy.Policy.PriceDevices) may be assigned to a site only if every
// gateway of the site that reported what it can price with has each of
// them. It returns, per needed device, the gateways lacking it and those
// that never reported (a gateway created but not yet started, or older
// than issue 13: the assignment stands, with a warning). The assignment
// is refused when any check has Lacking gateways (Refuses). A site without
// gateways passes: nothing runs the policy yet.
func CheckPriceDevices(needs []string, gws []GatewayPrices) []PriceDeviceCheck {
	var out []PriceDeviceCheck
	for _, dev := range needs {
		c := PriceDeviceCheck{Device: dev}
		for _, g := range gws {
			switch {
			case g.Devices == "":
				c.Unknown = append(c.Unknown, g.GW)
			case !g.Has(dev):
				c.Lacking = append(c.Lacking, g.GW)
			}
		}
		if c.Lacking != nil || c.Unknown != nil {
			out = append(out, c)
		}
	}
	return out
}

// RefusesPolicy reports whether the checks refuse the assignment: some
// gateway reported it lacks a needed device.
func RefusesPolicy(checks []PriceDeviceCheck) bool {
	for _, c := range checks {
		if len(c.Lacking) > 0 {
			return true
		}
	}
	return false
}
