// Package chaos holds `make chaos`'s fault suite (go test -tags chaos
// ./deploy/chaos; without the tag only its helpers compile): real gateway
// processes (eldergate-gateway, simulated hardware) tapping in bursts, a
// persistent Mosquitto, the cloud's processes (eldergate-cloud serve and
// ingest) on SQLite or PostgreSQL, and one fault at a time, repeated: the
// gateway SIGKILLed, the broker restarted, the ingester SIGKILLed during a
// drain, PostgreSQL stopped immediately, the gateway's network cut for a
// long stretch (a network namespace the suite creates) and the gateway's
// disk full. After each fault the suite counts what the gateways decided
// against what the cloud committed (none lost, none duplicated) and
// compares the cloud's monthly settlement per site with the gateways' own
// stores, and writes one section of docs/RELIABILITY.md per fault
// (deploy/benchdoc).
package chaos
