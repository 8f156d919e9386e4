# Every target bootstraps what it needs: scripts/uv installs the pinned uv on first
# use and finds Python 3.13 (through pyenv where present); `uv sync` installs the
# locked dependencies into .venv.
UV := scripts/uv
# The aws-cdk CLI and jsii run on the Node.js LTS that package-lock.json pins (npm's
# `node` package): `npx` puts node_modules/.bin first on PATH, and jsii starts
# scripts/jsii-node, which uses it too.
export JSII_NODE := $(CURDIR)/scripts/jsii-node

.PHONY: help sync npm local test lint format typecheck pytest synth zizmor deploy smoke destroy bench clean

help:
	@echo "make local     the memory sweep on this machine: local Lambda service, embedded S3 (about 3 minutes)"
	@echo "make test      everything CI checks: format, lint, types, the tests, cdk synth, cfn-lint"
	@echo "make synth     cdk synth (cdk-nag runs in it) and cfn-lint, no AWS credentials needed"
	@echo "make format    rewrite the code as make lint wants it (ruff format, ruff --fix)"
	@echo "make bench     the benchmarks the project ships"
	@echo "make deploy    deploy both stacks (AWS credentials needed); make smoke checks them, make destroy deletes them"
	@echo "make clean     remove what the commands write: bundles, cdk.out, results, caches, coverage"

# Installed packages get their bytecode here, once: aws_cdk's modules are tens of
# thousands of lines, and compiling them at every synth (as under
# PYTHONDONTWRITEBYTECODE) costs seconds. Not in [tool.uv]: there, every `uv run`
# would recompile the whole environment (astral-sh/uv#12202), half a second or more.
sync:
	$(UV) sync --locked --compile-bytecode

npm:
	npm ci --no-audit --no-fund

local: sync
	$(UV) run --locked concurrency-eval local

lint: sync
	$(UV) run --locked ruff format --check .
	$(UV) run --locked ruff check .

format: sync
	$(UV) run --locked ruff format .
	$(UV) run --locked ruff check --fix .

typecheck: sync
	$(UV) run --locked mypy

# Line coverage of everything the tests run, subprocesses included, printed per file.
# The floors fail the run when coverage drops: the whole project (93.1% measured), and
# the framework, the code every function runs, on its own (98.3%); a point below each,
# for the lines only a slow or failing server reaches.
COVERAGE_FLOOR := 92
FRAMEWORK_COVERAGE_FLOOR := 97

# In parallel (pytest-xdist), a worker a core up to four: most tests wait on servers and
# child processes, so two workers on two cores take about two thirds of one's time.
pytest: sync npm
	$(UV) run --locked pytest --numprocesses=auto --maxprocesses=4 --cov --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)
	$(UV) run --locked coverage report --include='layers/framework/*' --fail-under=$(FRAMEWORK_COVERAGE_FLOOR)

# Synthesis must never need AWS: credentials are removed for it.
synth: sync npm
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
		AWS_EC2_METADATA_DISABLED=true npx cdk synth --quiet
	$(UV) run --locked cfn-lint

# The workflows' own audit: no finding, whatever its confidence, in pedantic mode.
zizmor: sync
	$(UV) run --locked zizmor --offline --persona pedantic .github/workflows

# What the deploy workflow runs (and what works from a laptop with credentials):
# both stacks, no prompts, with the settings committed in cdk.json (the same a laptop
# deploy reads); only the code's location differs, pinned to published artifacts when
# PUBLISHED_ARTIFACTS holds the manifest `concurrency-eval publish` printed.
deploy: sync npm
	CONCURRENCY_EVAL_DEPLOYING_FOR="$${GITHUB_REPOSITORY:-}" npx cdk deploy --all --require-approval never \
		$${PUBLISHED_ARTIFACTS:+-c publishedArtifacts="$$PUBLISHED_ARTIFACTS"}

# After a deploy: each function's live alias answers a small search right.
smoke: sync
	$(UV) run --locked concurrency-eval smoke

# Deletes both stacks. A retained data bucket, layers and log groups stay (removalPolicy).
destroy: sync npm
	npx cdk destroy --all --force

bench: sync
	$(UV) run --locked python benchmarks/synth_and_init.py
	$(UV) run --locked python benchmarks/asyncio_lifecycle.py
	$(UV) run --locked python benchmarks/local_eval.py
	$(UV) run --locked python benchmarks/lambda_service.py
	$(UV) run --locked python benchmarks/embedded_s3.py
	$(UV) run --locked python benchmarks/calibration.py
	$(UV) run --locked python benchmarks/parallel_sweep.py

test: lint typecheck pytest synth zizmor

clean:
	rm -rf build cdk.out results .coverage .coverage.* coverage.xml htmlcov .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +
