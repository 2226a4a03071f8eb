package brokerconfig

import (
	"fmt"
	"path"
	"strings"

	"github.com/eldergate/eldergate"
)

// Queue and packet limits (ADR 0033 has the arithmetic; the comments of
// the written file repeat it for the operator).
const (
	// MaxPacketSize: the largest batch (eldergate.MaxBatchBytes, 1 MiB)
	// plus 64 KiB for its topic (MQTT allows 65,535 bytes) and headers.
	MaxPacketSize = eldergate.MaxBatchBytes + 64<<10
	// MaxInflight: QoS 1 messages sent to one client and not yet
	// acknowledged. The ingester holds at most 64 MiB of batches it took
	// (ingest.DefaultQueueBytes): 64 full batches.
	MaxInflight = 64
	// MaxQueued: messages waiting for one session beyond those in flight
	// (an ingester away). Sized for 1,000 gateways at a lunch peak.
	MaxQueued = 100000
	// MaxQueuedBytes bounds the same queue in bytes: 512 MiB.
	MaxQueuedBytes = 512 << 20
)

// Conf is the text of mosquitto.conf for o (defaults applied by Write).
func Conf(o Options) string {
	p := func(name string) string { return path.Join(o.Mount, name) }
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w("# Mosquitto for the eldergate cloud, written by `eldergate-cloud broker-config`")
	w("# (ADR 0033). Regenerate rather than edit: the numbers below are argued")
	w("# there and in these comments.")
	w("")
	w("# Accounts and rights live in the dynamic-security plugin: the cloud,")
	w("# connected as %s (the plugin's admin), creates its service account", o.AdminUser)
	w("# and, at each enrollment, the gateway's client and a role that allows")
	w("# only eg/v1/gw/{gw}/up, cmdres, state (publish) and ack, cmd (subscribe),")
	w("# plus reading eg/v1/cloud/state. No anonymous client.")
	w("per_listener_settings false")
	w("allow_anonymous false")
	w("plugin %s", o.Plugin)
	w("plugin_opt_config_file %s", p(DynsecFile))
	if o.RunAs != "" {
		w("user %s", o.RunAs)
	}
	w("")
	w("# Gateways, from the internet: TLS 1.2 or later only.")
	w("%s", o.Gateways.line())
	w("protocol mqtt")
	w("certfile %s", p(CertFile))
	w("keyfile %s", p(KeyFile))
	w("tls_version tlsv1.2")
	w("")
	w("# The cloud (serve and ingest processes): TLS too, on a port that stays")
	w("# on the cloud's own network (not published), so that a firewall can")
	w("# tell the two apart.")
	w("%s", o.Cloud.line())
	w("protocol mqtt")
	w("certfile %s", p(CertFile))
	w("keyfile %s", p(KeyFile))
	w("tls_version tlsv1.2")
	w("")
	w("# Persistence (ADR 0012): the ingesters hold persistent sessions (clean")
	w("# session false, a stable client id each); their queues, the dynsec")
	w("# state and the retained states survive a restart. Saved on shutdown")
	w("# and every 60 s: a crash loses at most a minute of queue, which only")
	w("# delays, since a gateway resends whatever is not acknowledged.")
	w("persistence true")
	w("persistence_location %s", o.DataDir)
	w("autosave_interval 60")
	w("autosave_on_changes false")
	w("")
	w("# Packet size: a batch is at most %d bytes (1 MiB, eldergate.MaxBatchBytes);", eldergate.MaxBatchBytes)
	w("# 1 MiB + 64 KiB (a topic may take 65,535 bytes, plus headers) = %d.", MaxPacketSize)
	w("# Anything larger the ingester would refuse anyway; the broker drops the")
	w("# client before holding it in memory.")
	w("max_packet_size %d", MaxPacketSize)
	w("")
	w("# In flight, per client: QoS 1 messages sent and not yet acknowledged.")
	w("# The ingester acknowledges a batch once a worker queue holds it and")
	w("# holds at most 64 MiB (ingest.DefaultQueueBytes) = 64 full batches;")
	w("# more in flight would only sit in socket buffers. For a gateway it")
	w("# bounds the acks and commands on their way to it (small messages).")
	w("max_inflight_messages %d", MaxInflight)
	w("")
	w("# Queued, per session, beyond those in flight: what an ingester away")
	w("# (a deploy, a crash) finds when it comes back. A gateway sends one")
	w("# small batch (about 1 KiB) per tap; a lunch peak of 200 taps in 30")
	w("# minutes on 1,000 gateways is 200 x 1,000 / 30 = 6,667 messages a")
	w("# minute for the whole fleet, shared among the ingesters. 100,000")
	w("# messages hold 15 minutes of that peak for a single ingester.")
	w("# A gateway back from an outage with a backlog sends it as batches of")
	w("# up to 500 events and 1 MiB, at most 4 in flight, resent after its ack")
	w("# timeout (5 s doubling to 30 s) only while unacknowledged: 4 MiB per")
	w("# such gateway at a time. 512 MiB hold 128 of them resending at once")
	w("# on top of the small batches (100,000 x 1 KiB = 98 MiB). Past either")
	w("# bound Mosquitto drops the message for that session and the gateway")
	w("# resends it: nothing is lost, the gateway's outbox keeps every event")
	w("# until acknowledged. Memory: 512 MiB x the number of ingesters.")
	w("max_queued_messages %d", MaxQueued)
	w("max_queued_bytes %d", MaxQueuedBytes)
	w("")
	w("# Mosquitto hands a shared subscription's messages round robin to every")
	w("# session in the group, offline persistent ones included: an ingester")
	w("# retired for good would keep taking its share. Its session goes after")
	w("# an hour offline; the gateways resend what it held.")
	w("persistent_client_expiration 1h")
	w("# Acks to the gateways without Nagle's delay.")
	w("set_tcp_nodelay true")
	w("")
	w("log_dest stderr")
	w("log_type error")
	w("log_type warning")
	w("log_type notice")
	w("log_type information")
	w("connection_messages true")
	return b.String()
}
