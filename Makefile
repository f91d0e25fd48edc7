# The test command of README.md: installs the test dependencies, then runs
# vet, gofmt, the tests (with the race detector on the packages that use
# goroutines) and each fuzz target briefly.
.PHONY: test deps vet unit race fuzz bench

FUZZTIME ?= 30s

test: deps vet unit race fuzz

deps:
	./scripts/test-deps.sh

vet:
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit:
	go test -count=1 ./...

race:
	go test -count=1 -race -short ./graph/ ./train/ ./cluster/ ./data/

fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

bench:
	go test -run '^$$' -bench . -benchtime 3x ./...
