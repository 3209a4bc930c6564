# uma-pep — common tasks. Every target installs what it needs first (scripts/install-deps, idempotent).
SWIFT ?= swift
PYTHON ?= python3
SWIFT_BUILD_FLAGS ?=
RELEASE_FLAGS ?= -c release -Xswiftc -Ounchecked

.PHONY: deps demo test build release bench bench-micro check-config clean

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

## demo: the main job on the embedded default (proxy + development authorization server + demo upstream).
demo: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS) --product uma-pep
	.build/debug/uma-pep demo

## test: unit, codec and end-to-end tests (end-to-end tests spawn the built binary on 127.0.0.1), then an
## off-the-shelf Python UMA client (requests-oauthlib-uma, pip-installed into .build/python-venv) through the demo,
## then both tutorial flows against the demo (`uma-pep demo --self-test`, free ports), again with JWT RPTs.
test: deps lint
	$(SWIFT) build $(SWIFT_BUILD_FLAGS) --build-tests
	$(SWIFT) test $(SWIFT_BUILD_FLAGS) --skip-build
	$(PYTHON) Tests/python/third_party_uma_client.py --binary .build/debug/uma-pep
	.build/debug/uma-pep demo --self-test
	.build/debug/uma-pep demo --self-test --rpt-as-jwt

## lint: the formatter's rules (.swift-format, modelled on SwiftNIO's) as errors; `swift format -i -r Sources Tests`
## fixes what it reports.
lint:
	$(SWIFT) format lint --strict -r Sources Tests

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product uma-pep
	@echo "built $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/uma-pep"

## bench: uma-pep side by side with the nginx anchors under wrk (Benchmarks/load/run.sh; docs/benchmarks.md).
## Knobs as variables, e.g. `make bench QUICK=1`, `make bench LAYOUT=split ROUNDS=5 CONNS="64 256"`.
bench: release
	scripts/install-deps --bench
	Benchmarks/load/run.sh

## bench-micro: package-benchmark micro benchmarks of the hot path (Benchmarks/Package.swift), then the
## allocation budgets (Benchmarks/Thresholds; exit 4 = only improvements, accepted).
bench-micro:
	cd Benchmarks && $(SWIFT) package benchmark
	cd Benchmarks && { $(SWIFT) package benchmark thresholds check; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 4 ]; }

check-config: build
	.build/debug/uma-pep check-config Config/tutorial.yaml

clean:
	rm -rf .build
