# The targets CI and newcomers use as they are. `make run` and `make test` do all the setup on a fresh machine:
# they make sure Postgres is up (scripts/ensure-postgres.sh) before anything else.
SHELL := /bin/bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/socialinzen/socialinzen/internal/buildinfo.Version=$(VERSION)
PKG := ./...
ENSURE_PG := scripts/ensure-postgres.sh

.PHONY: run test test-short lint build migrate bench loadtest fuzz clean

## run: serve the console on :8080 (sandbox mode with a demo account unless a WeChat base is configured)
run:
	@url=$$($(ENSURE_PG)) && \
	if [ -z "$$WECHAT_API_BASE$$SANDBOX" ]; then export SANDBOX=true; fi && \
	SANDBOX_DEMO_DATA=$${SANDBOX_DEMO_DATA:-true} DATABASE_URL=$$url $(GO) run -ldflags "$(LDFLAGS)" ./cmd/console

## test: go vet, then every test with the race detector against a real Postgres
test:
	@url=$$($(ENSURE_PG)) && \
	$(GO) vet $(PKG) && \
	TEST_DATABASE_URL=$$url $(GO) test -race -timeout 20m $(PKG)

## test-short: the tests without the browser and multi-process suites
test-short:
	@url=$$($(ENSURE_PG)) && TEST_DATABASE_URL=$$url $(GO) test -short -timeout 10m $(PKG)

## lint: go vet and staticcheck
lint:
	$(GO) vet $(PKG)
	@command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest
	"$$( $(GO) env GOPATH)/bin/staticcheck" $(PKG)

## build: a static binary in bin/, version stamped
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o bin/console ./cmd/console

## migrate: apply pending migrations to DATABASE_URL
migrate:
	@url=$$($(ENSURE_PG)) && DATABASE_URL=$$url $(GO) run ./cmd/console migrate

## bench: the benchmarks of the hot paths (figures go to docs/BENCHMARKS.md)
bench:
	@url=$$($(ENSURE_PG)) && TEST_DATABASE_URL=$$url $(GO) test -run '^$$' -bench . -benchmem $(PKG)

## loadtest: drive a console in sandbox mode with signed, encrypted messages (see docs/BENCHMARKS.md)
loadtest: build
	@url=$$($(ENSURE_PG)) && DATABASE_URL=$$url scripts/loadtest.sh

## fuzz: run each fuzz target for a while (FUZZTIME, default 30s)
fuzz:
	@for t in $$(grep -rl --include='*_test.go' '^func Fuzz' internal | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$t/*_test.go | sed 's/func //'); do \
	    echo "== $$t $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} ./$$t || exit 1; \
	  done; done

clean:
	rm -rf bin
