# okta-chatops — see README.md.
GO ?= go
PKGS := ./...

.PHONY: test build demo vet fmt-check bench bench-bulk

## test: everything CI checks: formatting, vet, and the whole suite with the race detector.
test: fmt-check vet
	$(GO) test -race -count=1 -timeout 8m $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## build: the static binary in ./bin
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/okta-chatops ./cmd/okta-chatops

demo:
	$(GO) run ./cmd/okta-chatops demo

## bench: the benchmarks whose figures are in docs/benchmarks.md
bench:
	$(GO) test -run '^$$' -bench 'BenchmarkDiagnose$$|ProvisioningOffWindow' -benchtime 20x ./integration/
	$(GO) test -run '^$$' -bench DiagnoseAtScale -benchtime 5x ./integration/
	$(GO) test -run '^$$' -bench ConcurrentDiagnoses -benchtime 1x ./integration/
	$(GO) test -run '^$$' -bench BenchmarkScan10k -benchtime 1x ./integration/
	$(GO) test -run '^$$' -bench WatchDetectionDelay -benchtime 20x ./cmd/okta-chatops/

## bench-bulk: a 500-user bulk fix at Okta's default budgets (about half an hour)
bench-bulk:
	BULK_BENCH=1 $(GO) test -run '^$$' -bench BenchmarkBulkFix500 -benchtime 1x -timeout 2h ./integration/
