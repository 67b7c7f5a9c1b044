# corsgate developer targets. `make test` is the one command CI runs (.ci/run).
GO        ?= go
STATICCHECK_VERSION ?= v0.8.2
export GOFLAGS ?= -buildvcs=false
# Build and module caches live under ~/.cache so repeated runs stay fast.
export GOCACHE ?= $(HOME)/.cache/go-build

.PHONY: run test deps lint vet fmt-check staticcheck unit fuzz-smoke build generated crds

run:
	$(GO) run ./cmd/corsgate run

build:
	$(GO) build -o bin/corsgate ./cmd/corsgate

# test: installs what the tests need when missing, then runs every check.
test: deps lint generated unit fuzz-smoke

deps:
	./scripts/test-deps.sh

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Generated code and CRDs (controller-gen, pinned in hack/gen-crds.sh):
# `make crds` regenerates; `make generated` fails when they are stale.
crds:
	bash hack/gen-crds.sh

generated:
	bash hack/gen-crds.sh --check

# The tests in test/kube need a real kube-apiserver and etcd: the script
# builds both from the Go module proxy once (10-25 min cold, cached under
# ~/.cache/corsgate/envtest) and prints their directory.
unit:
	assets="$$(./hack/envtest-assets.sh)" && \
	KUBEBUILDER_ASSETS="$$assets" $(GO) test -race -count=1 -timeout 30m ./...

# A short run of every fuzz target beyond its checked-in seed corpus.
FUZZTIME ?= 10s
fuzz-smoke:
	./scripts/fuzz-smoke.sh $(FUZZTIME)

# Benchmarks (issue 8). They live in the separate module bench/ (its own
# go.mod, so rs/cors, jub0bs/cors and benchstat never enter ours) and are
# never part of `make test`. Results land in bench/results/; the method and
# the latest tables are in docs/performance.md.
.PHONY: bench-engine bench bench-scale

# Engine micro-benchmarks vs rs/cors and jub0bs/cors, interleaved rounds.
bench-engine:
	cd bench && ./run-engine.sh

# Gateway load benchmark vs nginx and Caddy with wrk on 127.0.0.1
# (installs nginx, caddy and wrk with apt when missing).
bench:
	cd bench && ./run-load.sh

# Translate time, snapshot memory and per-request cost at 10 to 10,000 routes.
bench-scale:
	cd bench && ./run-scale.sh
