# Every target bootstraps what it needs: scripts/uv installs the pinned uv on first
# use and finds Python 3.13 (through pyenv where present); `uv sync` installs the
# locked dependencies into .venv, no more than the target needs.
UV := scripts/uv
# The targets below install first, through the stamps, so `uv run` need not sync again.
RUN := $(UV) run --no-sync
# The aws-cdk CLI and jsii run on the Node.js LTS that package-lock.json pins (npm's
# `node` package): `npx` puts node_modules/.bin first on PATH, and jsii starts
# scripts/jsii-node, which uses it too.
export JSII_NODE := $(CURDIR)/scripts/jsii-node
# Kept between clones of the repository: uv itself (scripts/uv) and mypy's cache.
CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/concurrency-eval
# Python writes each module's bytecode the first time it is imported, as it does by
# default: where PYTHONDONTWRITEBYTECODE is set, every process would compile again what
# it imports (aws_cdk's modules are tens of thousands of lines: seconds at every synth).
# Compiling all of .venv when installing instead (uv's --compile-bytecode) costs a
# minute for 9,000 files, most of which nothing imports.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help sync sync-cdk sync-dev npm local test test-fast checks lint format typecheck pytest synth \
	workflows deploy smoke destroy bench clean clean-results pytest-parallel pytest-timing pytest-quiet \
	coverage

help:
	@echo "make local          the memory sweep on this machine: local Lambda service, embedded S3 (about 3 minutes)"
	@echo "make test           everything CI checks: lint, typecheck, pytest, synth, workflows"
	@echo "make checks         lint, typecheck, workflows and synth, at the lowest CPU priority (side by side: make -j4 checks)"
	@echo "make test-fast      the unit tests alone, in parallel, no coverage (under 30 s): the inner loop"
	@echo "make lint           ruff format --check and ruff check"
	@echo "make format         rewrite the code as make lint wants it (ruff format, ruff --fix)"
	@echo "make typecheck      mypy, strict"
	@echo "make pytest         every test, in parallel, with coverage; fails below $(COVERAGE_FLOOR)% (framework $(FRAMEWORK_COVERAGE_FLOOR)%)"
	@echo "make pytest-timing, make pytest-quiet, make pytest-parallel   make pytest's parts, one at a time"
	@echo "make coverage       the coverage floors, over what the parts of make pytest measured"
	@echo "make synth          cdk synth (cdk-nag runs in it) and cfn-lint, no AWS credentials needed"
	@echo "make workflows      the workflows and dependabot.yml against their schemas, actionlint where installed, zizmor"
	@echo "make bench          the benchmarks the project ships"
	@echo "make deploy         deploy both stacks (AWS credentials needed); make smoke checks them, make destroy deletes them"
	@echo "make sync           install the tool alone (what make local needs); sync-cdk adds the CDK, sync-dev the checkers"
	@echo "make npm            the pinned aws-cdk CLI and the Node.js LTS it runs on, into node_modules (npm ci)"
	@echo "make clean          remove bundles, cdk.out, caches and coverage; keeps results/"
	@echo "make clean-results  delete results/ too (the sweeps' results, paid AWS runs included): asks first"

# Three installs, each a superset of the one before: the tool (the local evaluation),
# the CDK (synth, deploy), everything `make test` checks with. Each is stamped, so it
# runs again only when the lock, the project or the pinned uv changed, or after .venv
# was removed.
LOCKED := uv.lock pyproject.toml layers/framework/pyproject.toml scripts/uv
STAMPS := .venv/.installed

sync: $(STAMPS)-tool
sync-cdk: $(STAMPS)-cdk
sync-dev: $(STAMPS)-dev

# The smaller installs keep what a larger one added (--inexact): `make local` after
# `make test` removes nothing.
$(STAMPS)-tool: $(LOCKED)
	$(UV) sync --locked --inexact
	@touch $@

$(STAMPS)-cdk: $(LOCKED)
	$(UV) sync --locked --inexact --group cdk
	@touch $@

# The dev group includes the cdk group, and the project is always installed.
$(STAMPS)-dev: $(LOCKED)
	$(UV) sync --locked --group dev
	@touch $@ $(STAMPS)-cdk $(STAMPS)-tool

# What runs beside the timing tests, on what they leave of the cores.
LOWEST_PRIORITY := nice -n 19

# `npm ci` starts from an empty node_modules, so the stamp inside goes with it. At the
# lowest priority: in `make test` it runs beside the timing tests.
npm: node_modules/.installed

node_modules/.installed: package-lock.json package.json
	$(LOWEST_PRIORITY) npm ci --no-audit --no-fund
	@touch $@

local: sync
	$(RUN) concurrency-eval local

lint: sync-dev
	$(RUN) ruff format --check .
	$(RUN) ruff check .

format: sync-dev
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

# mypy's cache outlives the clone, one per lock and settings (pyproject.toml holds
# them): a fresh clone checks again only what changed, about 3 s against 18 s and 0.9 GB
# from cold (pyproject.toml keeps mypy to the aws_cdk modules the code reaches, and out
# of moto's). mypy itself notices every file that changed (a new path is checked by its
# content); the key keeps caches of other locks and settings apart.
MYPY_CACHE = $(CACHE)/mypy-$(shell cat uv.lock pyproject.toml .python-version | cksum | tr ' ' -)

# Caches of locks no run used for a fortnight go, so weekly lock updates do not pile up.
typecheck: sync-dev
	@mkdir -p "$(MYPY_CACHE)" && touch "$(MYPY_CACHE)"
	@find "$(CACHE)" -maxdepth 1 -name 'mypy-*' -mtime +14 -exec rm -rf {} +
	$(RUN) mypy --cache-dir "$(MYPY_CACHE)"

# Line coverage of everything the tests run, subprocesses included, printed per file.
# The floors fail the run when coverage drops: the whole project (93.1% measured), and
# the framework, the code every function runs, on its own (98.3%); a point below each,
# for the lines only a slow or failing server reaches.
COVERAGE_FLOOR := 92
FRAMEWORK_COVERAGE_FLOOR := 97
CORES := $(shell getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
# Most tests wait on servers and child processes, not on a core: three workers a core
# (pytest-xdist), up to eight, keep the cores busy (on two cores, four workers take
# about 0.7 of two's time, and six 0.93 of four's: 137-145 s against 154-165 s, run
# alternately; eight did no better). Work stealing: the longest tests, end-to-end
# sweeps, do not hold back the end of the run. PYTEST_WORKERS=0 runs the tests in one
# process.
PYTEST_WORKERS ?= $(shell echo $$((3 * $(CORES) < 8 ? 3 * $(CORES) : 8)))

# First the few tests that compare CPU or wall times (`timing`: throttling ratios,
# deadlines), one after another, at the normal priority. Only the files that hold timing
# tests are collected for them (tests/conftest.py refuses a timing test marked any other
# way), not the whole suite again.
TIMING_TESTS = $(shell grep -rlF --include='test_*.py' 'pytest.mark.timing' tests)
# Beside them, at the lowest priority, the tests that start no Lambda service take what
# the timing tests leave of the cores: most of the time those wait on throttled or
# sleeping processes. A test that starts a Lambda service must not be among them: its
# environments' cgroups take the CPU at full weight, whatever the niceness.
QUIET_TESTS := tests/ci tests/results tests/stacks
# Then the rest, in parallel. Each run writes coverage data of its own (two run at
# once); `make coverage` combines them and checks the floors.
COVERAGE_OF = COVERAGE_FILE=.coverage.$(1)

# In a fresh clone no bytecode is written yet, and each of the many processes the tests
# start at once compiles what it imports for itself. Collecting every test once, first,
# in one process, compiles what the tests import (aws_cdk, matplotlib, moto, ...) once;
# stamped in .venv, so it goes with it. Its errors are the test runs' to report. After
# npm ci: importing aws_cdk starts jsii's Node.js, which npm ci may be writing.
BYTECODE := .venv/.bytecode-written

$(BYTECODE): $(STAMPS)-dev node_modules/.installed
	-@$(LOWEST_PRIORITY) $(RUN) pytest --collect-only -q -p no:cacheprovider >/dev/null 2>&1
	@touch $@

# `make test` adds the checks beside the timing tests (ALSO_BESIDE=checks). npm ci is
# the parts' own prerequisite, so that it too runs beside the timing tests.
ALSO_BESIDE :=

pytest: sync-dev
	@$(RUN) coverage erase
	@$(MAKE) --no-print-directory --jobs=6 --output-sync=target pytest-timing pytest-quiet $(ALSO_BESIDE)
	@$(MAKE) --no-print-directory pytest-parallel
	@$(MAKE) --no-print-directory coverage

pytest-timing: sync-dev
	$(call COVERAGE_OF,timing) $(RUN) pytest -m timing $(TIMING_TESTS) --cov --cov-report=

pytest-quiet: sync-dev npm $(BYTECODE)
	$(call COVERAGE_OF,quiet) $(LOWEST_PRIORITY) $(RUN) pytest --numprocesses=$(CORES) -m 'not timing' $(QUIET_TESTS) \
		--cov --cov-report=

pytest-parallel: sync-dev npm $(BYTECODE)
	$(call COVERAGE_OF,parallel) $(RUN) pytest --numprocesses=$(PYTEST_WORKERS) --dist=worksteal -m 'not timing' \
		$(QUIET_TESTS:%=--ignore=%) --cov --cov-report=

# --keep: the parts' data stay, so that the report can be made again.
coverage: sync-dev
	$(RUN) coverage combine --keep --quiet
	$(RUN) coverage report --skip-covered --fail-under=$(COVERAGE_FLOOR)
	$(RUN) coverage report --include='layers/framework/*' --fail-under=$(FRAMEWORK_COVERAGE_FLOOR)

# The inner loop: what needs no server, command, build or synthesis (tests/conftest.py
# marks the rest `slow`), without coverage, a worker a core: these tests keep a core
# busy, and every worker imports the whole suite first.
test-fast: sync-dev
	$(RUN) pytest --numprocesses=auto -m 'not slow' -q

# Synthesis must never need AWS: credentials are removed for it.
synth: sync-cdk npm
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
		AWS_EC2_METADATA_DISABLED=true npx cdk synth --quiet
	$(RUN) cfn-lint

# The workflows and Dependabot's configuration against the schemas check-jsonschema
# ships (no network), actionlint where it is installed, and zizmor's audit: no
# finding, whatever its confidence, in pedantic mode.
workflows: sync-dev
	$(RUN) check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(RUN) check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	@if command -v actionlint >/dev/null 2>&1; then actionlint; \
		else echo "actionlint is not installed: skipped (CONTRIBUTING.md says how to add it)"; fi
	$(RUN) zizmor --offline --persona pedantic .github/workflows

# What the deploy workflow runs (and what works from a laptop with credentials):
# both stacks, no prompts, with the settings committed in cdk.json (the same a laptop
# deploy reads); only the code's location differs, pinned to published artifacts when
# PUBLISHED_ARTIFACTS holds the manifest `concurrency-eval publish` printed.
deploy: sync-cdk npm
	CONCURRENCY_EVAL_DEPLOYING_FOR="$${GITHUB_REPOSITORY:-}" npx cdk deploy --all --require-approval never \
		$${PUBLISHED_ARTIFACTS:+-c publishedArtifacts="$$PUBLISHED_ARTIFACTS"}

# After a deploy: each function's live alias answers a small search right.
smoke: sync
	$(RUN) concurrency-eval smoke

# Deletes both stacks. A retained data bucket, layers and log groups stay (removalPolicy).
destroy: sync-cdk npm
	npx cdk destroy --all --force

# The synth benchmark synthesizes (the cdk group); the others need the tool alone.
bench: sync-cdk
	$(RUN) python benchmarks/synth_and_init.py
	$(RUN) python benchmarks/asyncio_lifecycle.py
	$(RUN) python benchmarks/local_eval.py
	$(RUN) python benchmarks/lambda_service.py
	$(RUN) python benchmarks/embedded_s3.py
	$(RUN) python benchmarks/calibration.py
	$(RUN) python benchmarks/parallel_sweep.py

# Everything CI checks, each check a job of the pull-request workflow: make pytest, with
# the other checks (each one's output kept together) beside the timing tests, at the
# lowest priority, after `npm ci`.
test:
	@$(MAKE) --no-print-directory pytest ALSO_BESIDE=checks

# Side by side as far as the make that runs it allows (`make -j4 checks`; `make test`
# gives them three jobs). npm ci here, once, before the make below starts synth.
checks: sync-dev npm
	@$(LOWEST_PRIORITY) $(MAKE) --no-print-directory lint typecheck workflows synth

# results/ holds what the sweeps measured, paid AWS runs among them: only
# `make clean-results` deletes it, after asking (or with CONFIRM=yes, for scripts).
clean:
	rm -rf build cdk.out .coverage .coverage.* coverage.xml htmlcov .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +
	@if [ -d results ]; then echo "results/ kept: make clean-results deletes it, after asking"; fi

clean-results:
	@if [ ! -d results ]; then echo "no results/ to delete"; exit 0; fi; \
	echo "results/ holds what the sweeps measured (a run on AWS costs money to repeat):"; ls results; \
	if [ "$(CONFIRM)" != yes ]; then \
		if [ ! -t 0 ]; then echo "not deleted: make clean-results CONFIRM=yes deletes without asking" >&2; exit 1; fi; \
		printf "delete all of results/? [y/N] "; read answer; \
		case "$$answer" in [yY]|[yY][eE][sS]) ;; *) echo "not deleted"; exit 0;; esac; \
	fi; \
	rm -rf results && echo "results/ deleted"
