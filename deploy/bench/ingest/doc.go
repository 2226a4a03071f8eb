// Package ingest is the ingest block of `make bench` (section
// "bench-ingest" of docs/PERFORMANCE.md): BenchmarkIngestSuite starts
// Debian's Mosquitto and a PostgreSQL with fsync on, builds
// eldergate-cloud, and measures in one run, interleaved, the same load
// (100 simulated gateways of deploy/loadgen, each with its own
// credentials) taken by a plain subscriber (the broker's rate), by one
// and by two `eldergate-cloud ingest` processes sharing $share/ingest,
// beside PostgreSQL's own COPY of the same rows into the same tables, in
// the live shape (50,000 one-event messages) and the drain shape (100,000
// events in batches of 500). Each ingest run checks that every event was
// acknowledged and that events and meals hold exactly the events sent.
//
//	go test -run '^$' -bench BenchmarkIngestSuite -benchtime 1x ./deploy/bench/ingest [-args -ingest.rounds 3]
package ingest
