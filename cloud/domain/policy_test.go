package domain

import (
	"slices"
	"testing"
)

// TestCheckPriceDevices: the rule of ADR 0026.
func TestCheckPriceDevices(t *testing.T) {
	gws := []GatewayPrices{{"gw-1", "scale,till"}, {"gw-2", "scale"}, {"gw-3", ""}, {"gw-4", "none"}}
	c := CheckPriceDevices([]string{"scale", "till"}, gws)
	if len(c) != 2 || c[0].Device != "scale" || !slices.Equal(c[0].Lacking, []string{"gw-4"}) || !slices.Equal(c[0].Unknown, []string{"gw-3"}) ||
		c[1].Device != "till" || !slices.Equal(c[1].Lacking, []string{"gw-2", "gw-4"}) || !RefusesPolicy(c) {
		t.Errorf("checks %+v", c)
	}
	if c := CheckPriceDevices([]string{"till"}, gws[:1]); c != nil || RefusesPolicy(c) {
		t.Errorf("a gateway with a till: %+v", c)
	}
	if c := CheckPriceDevices([]string{"till"}, gws[2:3]); len(c) != 1 || RefusesPolicy(c) || len(c[0].Unknown) != 1 {
		t.Errorf("a gateway that never reported: %+v", c)
	}
	if c := CheckPriceDevices(nil, gws); c != nil {
		t.Errorf("a fixed-price policy: %+v", c)
	}
	if c := CheckPriceDevices([]string{"till"}, nil); c != nil {
		t.Errorf("a site without gateways: %+v", c)
	}
	if (GatewayPrices{"g", "scale,till"}).Has("til") {
		t.Error("Has matches a prefix")
	}
}
