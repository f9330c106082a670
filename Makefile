# iam-notify — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
# No test or demo may reach AWS or the instance metadata address: dummy credentials, a
# region, the metadata lookup disabled, no profile. Endpoints are 127.0.0.1, set per test.
# (Only `make deploy` runs with your own AWS environment.)
OFFLINE := env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
	AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export CARGO_TERM_COLOR ?= never
EVENT ?= events/AttachRolePolicy.json

STACKSETS_ARGS = --central '$(CENTRAL_ACCOUNT)' --targets '$(TARGETS)' $(if $(HEARTBEAT),--heartbeat '$(HEARTBEAT)') $(if $(READ_ROLE_FOR),--read-role-for '$(READ_ROLE_FOR)') $(if $(DELEGATED_ADMIN),--delegated-admin)

.PHONY: help venv build stacksets build-lambda test test-rust test-infra test-mutations sam-validate lint fmt demo preview invoke validate build-sam deploy bench fuzz clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-13s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed ## Create .venv with the pinned Python tools (cargo-lambda, moto, cfn-lint, SAM translator)

build: ## Build the Lambda and preview binaries (release, host architecture)
	cargo build --release --bins

build-lambda: venv ## Build the deployable arm64 Lambda zip with cargo lambda (needs the aarch64-unknown-linux-gnu target)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release --arm64 --bin iam-notify --output-format zip

# Production code may not unwrap, index blindly or panic ([lints] in Cargo.toml), and an
# expect must name the invariant it relies on (tests/source_rules.rs); tests and benchmarks
# state their expectations that way, so the second run allows it.
TEST_MAY := -A clippy::unwrap_used -A clippy::expect_used -A clippy::indexing_slicing -A clippy::panic
lint: ## cargo fmt --check, clippy with warnings as errors (no unwrap/panic outside tests; expect only with "invariant: "), the module graph (no import cycle, layers respected)
	cargo fmt --all -- --check
	cargo clippy --lib --bins --locked -- -D warnings
	cargo clippy --all-targets --locked -- -D warnings $(TEST_MAY)
	cargo test --locked --quiet --test source_rules

fmt: ## Format the code
	cargo fmt --all

test-rust: ## Rust unit, snapshot, property, handler and fault tests
	$(OFFLINE) cargo test --locked --all-targets

test-infra: venv ## Template (cfn-lint, SAM transform, stack in moto, patterns) and end-to-end tests
	$(OFFLINE) $(PY) -m pytest -q tests/infra

test-mutations: venv ## Break template.yaml in 80+ realistic ways (one per silence-matrix row, one per class of setting); the template tests must fail on each (also part of test-infra)
	$(OFFLINE) $(PY) -m pytest -q tests/infra/test_mutations.py

test: lint test-rust test-infra ## Everything CI runs: lint, Rust tests, template and end-to-end tests

preview: ## Print the notification of every sample event, no AWS at all
	cargo run --quiet --bin preview -- events/*.json

demo: venv ## Offline demo: moto SNS+SQS, cargo lambda watch, invoke every sample (a few alerts and a table of all; ALL=1: every alert), a burst in digest mode, an organization's member account, alerts enriched from moto's IAM and Identity Store
	$(OFFLINE) $(PY) scripts/demo.py $(if $(ALL),--all)

invoke: venv ## Invoke one event (EVENT=events/X.json) through cargo lambda watch in dry-run
	$(OFFLINE) $(PY) scripts/demo.py --invoke-only $(EVENT)

validate: venv ## cfn-lint the template and transform it with the SAM translator
	$(OFFLINE) $(VENV)/bin/cfn-lint template.yaml && echo "cfn-lint: no findings"
	$(OFFLINE) $(PY) tests/infra/sam.py template.yaml > /dev/null && echo "SAM transform: OK"

stacksets: ## Print the StackSets commands for forwarder.yaml: CENTRAL_ACCOUNT=<id> TARGETS=<r-...|ou-...,...> [READ_ROLE_FOR=<arn>] [HEARTBEAT=...] [DELEGATED_ADMIN=1]
	@$(PYTHON) scripts/stacksets.py $(STACKSETS_ARGS)

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

build-sam: $(SAM_VENV)/.installed ## sam build (cargo-lambda + zig from .venv-sam; needs the aarch64 Rust target; cached between builds)
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build

sam-validate: $(SAM_VENV)/.installed ## sam validate --lint (offline: dummy credentials, no metadata)
	$(OFFLINE) SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint

# Your answers (addresses among them) go to samconfig.local.toml, which git ignores; the
# tracked samconfig.toml only seeds it.
deploy: build-sam ## sam deploy --guided to your AWS account (us-east-1), answers saved in samconfig.local.toml; never run in CI
	@test -z "$$CI" || { echo "deploy is not run in CI"; exit 1; }
	test -f samconfig.local.toml || cp samconfig.toml samconfig.local.toml
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam deploy --guided --config-file samconfig.local.toml

bench: venv build-lambda ## Benchmarks: criterion costs, cold start, memory, render vs the Python baseline, the arm64 zip; a table of targets met/missed; what enrichment adds against moto (BENCHMARKS.md)
	cargo bench --bench render -- --noplot
	cargo build --release --bin iam-notify
	$(OFFLINE) $(PY) bench/run.py
	$(OFFLINE) $(PY) bench/enrichment.py

FUZZ_RUNS ?= 1000000
fuzz: ## Fuzz parse+render (cargo-fuzz, nightly): FUZZ_RUNS executions of each target
	command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
	mkdir -p fuzz/corpus/render fuzz/corpus/render_mutated
	cp events/*.json fuzz/corpus/render/
	cd fuzz && cargo +nightly fuzz run render corpus/render -- -runs=$(FUZZ_RUNS) -max_len=65536
	cd fuzz && cargo +nightly fuzz run render_mutated corpus/render_mutated -- -runs=$(FUZZ_RUNS)

clean: ## Remove build output and virtualenvs
	cargo clean
	rm -rf $(VENV) $(SAM_VENV) .aws-sam
