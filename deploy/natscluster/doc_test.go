// Package natscluster_test runs the fleet's path past one broker
// (ADR 0041, docs/city-scale.md) end to end: real gateways' outboxes and
// uplinks (firmware-gateway) with several broker URLs, a three-node NATS
// cluster of real nats-server processes, and the cloud's JetStream
// ingester (cloud/natsingest). It lives under deploy/ because it builds in
// both the gateway and the cloud, which the layout keeps apart
// (layout_test.go).
package natscluster_test
