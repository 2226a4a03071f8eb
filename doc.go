// Package eldergate holds the contract shared by the gateway and the cloud:
// the event envelope and its kinds, the MQTT topics, money in integer fen,
// the subsidy policy and decision types, and the strict decoders that turn
// untrusted bytes into those types.
//
// Nothing in this package does I/O; time is always passed in.
package eldergate
