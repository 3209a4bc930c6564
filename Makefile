# uma-pep — common tasks. Every target installs what it needs first (scripts/install-deps, idempotent).
SWIFT ?= swift
PYTHON ?= python3
SWIFT_BUILD_FLAGS ?=
RELEASE_FLAGS ?= -c release -Xswiftc -Ounchecked
## The release links the Swift runtime statically: the binary needs only libevent, OpenSSL and libcurl.
STATIC_FLAGS ?= --static-swift-stdlib
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: deps demo test build release bench bench-alloc bench-micro check-config clean install release-check deploy-check lint

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS)

## demo: the main job on the embedded default (proxy + development authorization server + demo upstream);
## other ports: `make demo DEMO_ARGS="--proxy-port 18000 --admin-port 18001 --as-port 18443 --upstream-port 19000"`.
demo: deps
	$(SWIFT) build $(SWIFT_BUILD_FLAGS) --product uma-pep
	.build/debug/uma-pep demo $(DEMO_ARGS)

## test: lint, then unit, codec and end-to-end tests (end-to-end tests spawn the built binary on 127.0.0.1), then
## an off-the-shelf Python UMA client (requests-oauthlib-uma, pip-installed into .build/python-venv) through the
## demo, then both tutorial flows against the demo (`uma-pep demo --self-test`, free ports), again with JWT RPTs,
## then deploy-check.
test: deps lint
	$(SWIFT) build $(SWIFT_BUILD_FLAGS) --build-tests
	$(SWIFT) test $(SWIFT_BUILD_FLAGS) --skip-build
	$(PYTHON) Tests/python/third_party_uma_client.py --binary .build/debug/uma-pep
	.build/debug/uma-pep demo --self-test
	.build/debug/uma-pep demo --self-test --rpt-as-jwt
	$(MAKE) --no-print-directory deploy-check

## deploy-check: deploy/ against the real tools (Tests/deploy/validate_deploy.py): kubernetes-validate (pip, into
## .build/python-venv) and kubectl's kustomize when installed, promtool check/test rules, promtool check metrics on
## a scraped /metrics, the dashboard's and rules' metric names, systemd-analyze verify/security, logrotate.
deploy-check:
	$(PYTHON) Tests/deploy/validate_deploy.py --binary .build/debug/uma-pep

## lint: the formatter's rules (.swift-format, modelled on SwiftNIO's) as errors; `swift format -i -r Sources Tests`
## fixes what it reports.
lint:
	$(SWIFT) format lint --strict -r Sources Tests

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) $(STATIC_FLAGS) --product uma-pep
	@echo "built $$($(SWIFT) build $(RELEASE_FLAGS) $(STATIC_FLAGS) --show-bin-path)/uma-pep"

## install: the release binary (stripped) to $(DESTDIR)$(PREFIX)/bin, the systemd unit to
## $(PREFIX)/lib/systemd/system (ExecStart at $(PREFIX)/bin), the logrotate snippet, an example
## /etc/uma-pep/uma-pep.yaml (only when there is none) and the docs. Then: systemctl daemon-reload.
install: release
	install -D -m 0755 -s "$$($(SWIFT) build $(RELEASE_FLAGS) $(STATIC_FLAGS) --show-bin-path)/uma-pep" "$(DESTDIR)$(PREFIX)/bin/uma-pep"
	install -d -m 0755 "$(DESTDIR)$(PREFIX)/lib/systemd/system"
	sed 's|/usr/local/|$(PREFIX)/|g' deploy/systemd/uma-pep.service > "$(DESTDIR)$(PREFIX)/lib/systemd/system/uma-pep.service"
	install -D -m 0644 deploy/logrotate/uma-pep "$(DESTDIR)/etc/logrotate.d/uma-pep"
	[ -e "$(DESTDIR)/etc/uma-pep/uma-pep.yaml" ] || install -D -m 0640 deploy/kubernetes/base/uma-pep.yaml "$(DESTDIR)/etc/uma-pep/uma-pep.yaml"
	install -d -m 0755 "$(DESTDIR)$(PREFIX)/share/doc/uma-pep"
	install -m 0644 README.md docs/*.md "$(DESTDIR)$(PREFIX)/share/doc/uma-pep/"

## release-check: the static release needs no Swift library and runs with the toolchain unreachable (an unshare
## mount namespace), and `make install` lays out its files (scripts/release-check). Run by .ci/run.
release-check: deps
	scripts/release-check

## bench: uma-pep side by side with the nginx anchors under wrk (Benchmarks/load/run.sh; docs/benchmarks.md).
## Knobs as variables, e.g. `make bench QUICK=1`, `make bench LAYOUT=split ROUNDS=5 CONNS="64 256"`.
bench: release
	scripts/install-deps --bench
	Benchmarks/load/run.sh

## bench-alloc: allocations per request in the real proxy loop over loopback (callgrind; cached grant and
## passthrough, uma-pep only); fails above MAX_MALLOCS_PER_REQUEST (0.05, docs/benchmarks.md).
bench-alloc: deps
	scripts/install-deps --bench
	TARGETS=uma-pep PROFILE_DUR=5 Benchmarks/load/profile.sh
	TARGETS=uma-pep PROFILE_DUR=5 NO_BUILD=1 PATH_UNDER_TEST=/open NO_TOKEN=1 Benchmarks/load/profile.sh

## bench-micro: package-benchmark micro benchmarks of the hot path (Benchmarks/Package.swift), then the
## allocation budgets (Benchmarks/Thresholds; exit 4 = only improvements, accepted).
bench-micro:
	cd Benchmarks && $(SWIFT) package benchmark
	cd Benchmarks && { $(SWIFT) package benchmark thresholds check; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 4 ]; }

## fuzz: every libFuzzer target of Fuzz/ (HTTP/1.1 codec, chunked decoder, configuration loader, protection-document
## matcher, authorization-server answers) for FUZZ_SECONDS each with ASan, after replaying the kept crash inputs;
## fails on a crash (scripts/fuzz; Fuzz/README.md). CI runs it with FUZZ_SECONDS=60.
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) scripts/fuzz

check-config: build
	.build/debug/uma-pep check-config Config/tutorial.yaml

clean:
	rm -rf .build
