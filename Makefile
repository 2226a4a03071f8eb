# eldergate — see README.md.
GO      ?= go
BIN     := bin
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
FUZZTIME ?= 30s
# Packages with fuzz tests; `make fuzz` runs each fuzzer for FUZZTIME.
FUZZPKGS ?= $(shell grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u)

.PHONY: package package-test cross all build demo test test-go test-browser deps vet fmt-check fuzz bench bench-all chaos clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/eldergate-cloud ./cloud/cmd/eldergate-cloud
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/eldergate-gateway ./firmware-gateway/cmd/eldergate-gateway

# Cloud (embedded broker, SQLite) and one simulated gateway, two processes
# talking MQTT over TCP. Ctrl-C stops both.
demo: build
	$(GO) run ./deploy/demo

# Installs what the tests need if missing, then runs every test.
test: deps fmt-check vet test-go test-browser

deps:
	deploy/scripts/install-test-deps.sh

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags chaos ./deploy/chaos

test-go:
	$(GO) test -race -count=1 -timeout 15m ./...

# The tests share one demo and run in this order: the roster tests replace
# the demo roster (the elders the others tap; its cards) and run last (the
# preview first: it starts from the demo's 10 elders), the menu test
# expects the seeded menu that cashier-menu replaces, and the policies test
# assigns at a site of its own after cashier-menu's till-priced policy.
test-browser: build
	$(GO) run ./deploy/demo -fresh -data $$(mktemp -d) -http 18480 -mqtt 18483 -kiosk 18481 -run "node deploy/e2e/browser/demo.test.mjs && node deploy/e2e/browser/kiosk-screen.test.mjs && node deploy/e2e/browser/kiosk-quota.test.mjs && node deploy/e2e/browser/cashier.test.mjs && node deploy/e2e/browser/staff-operator.test.mjs && node deploy/e2e/browser/alarm-settings.test.mjs && node deploy/e2e/browser/menu.test.mjs && node deploy/e2e/browser/cashier-menu.test.mjs && node deploy/e2e/browser/reports.test.mjs && node deploy/e2e/browser/stats.test.mjs && node deploy/e2e/browser/settlement.test.mjs && node deploy/e2e/browser/close.test.mjs && node deploy/e2e/browser/reconcile.test.mjs && node deploy/e2e/browser/charity.test.mjs && node deploy/e2e/browser/review.test.mjs && node deploy/e2e/browser/audit.test.mjs && node deploy/e2e/browser/people.test.mjs && node deploy/e2e/browser/fleet.test.mjs && node deploy/e2e/browser/meals.test.mjs && node deploy/e2e/browser/policies.test.mjs && node deploy/e2e/browser/releases.test.mjs && node deploy/e2e/browser/rollouts.test.mjs && node deploy/e2e/browser/roster-preview.test.mjs && node deploy/e2e/browser/roster.test.mjs"
	# The care tab needs four weeks of meals the demo does not have: it runs
	# on the HTTP test fixture (cloud/http/care_browser_test.go).
	EG_CARE_BROWSER="node deploy/e2e/browser/care.test.mjs" $(GO) test -count=1 -run TestCareConsoleBrowser ./cloud/http
	# A reconciliation with a difference needs an offline second site: it
	# runs on the HTTP test fixture (cloud/http/reconcile_test.go).
	EG_RECONCILE_BROWSER="node deploy/e2e/browser/reconcile-diff.test.mjs" $(GO) test -count=1 -run TestReconcileConsoleBrowser ./cloud/http

# Crash suites too long for make test: a SIGKILL at every persisted state
# of a gateway update (make test runs five of them), two real builds; then
# the fault suite (deploy/chaos, about 5 min here): real gateway, cloud,
# Mosquitto and PostgreSQL processes, each fault repeated and counted,
# written into docs/RELIABILITY.md. Needs root (tmpfs, network namespace).
chaos: deps
	EG_OTA_CHAOS=1 $(GO) test -count=1 -timeout 10m -run 'TestOTAKillAtEveryState' -v ./deploy/e2e
	$(GO) test -tags chaos -count=1 -timeout 14m -run 'TestChaos' -v ./deploy/chaos

# The gateway for the Raspberry Pi with cgo: bin/linux-arm64 (Pi 3/4/5),
# bin/linux-armv7 (Pi 2/3, 32-bit) and bin/linux-armv6 (Pi Zero / Pi 1:
# static, armel C library; ADR 0034), each run under qemu-user (version,
# selftest; the armv6 one on the ARM1176 CPU model); the cloud for
# bin/linux-amd64 and bin/linux-arm64 (smoke-tested under qemu too), and
# the native gateway in bin/linux-amd64. Installs its Debian packages.
cross:
	deploy/scripts/cross-build.sh

# Debian packages (nfpm) into dist/: the gateway and the cloud for amd64,
# and for the ARM targets `make cross` built (deploy/scripts/package.sh).
package: build
	VERSION=$(VERSION) deploy/scripts/package.sh

# The packages installed, upgraded, removed and purged in a Debian root
# made with debootstrap, and `systemd-analyze verify` on the units
# (deploy/scripts/package-test.sh; ADR 0032).
package-test:
	deploy/scripts/package-test.sh

fuzz:
	@for pkg in $(FUZZPKGS); do \
		for f in $$(grep -h '^func Fuzz' $$pkg/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "== $$pkg $$f ($(FUZZTIME))"; \
			$(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# The benchmarks of docs/PERFORMANCE.md, with their benchmark times, and a
# table of the results; bench-all runs every benchmark once over.
bench: deps
	deploy/scripts/bench.sh $(GO)

bench-all:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

clean:
	rm -rf $(BIN) demo-data
