"""The GitHub workflows: least privilege, pinned actions, trust that matches the stacks,
and no command that is not also run by .ci/run or by these tests."""

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_cdk.assertions import Template

from tests.handlers import ROOT
from tests.stacks.synthesis import ARTIFACTS, synth

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ROLE_VARIABLES = {"AWS_PUBLISH_ROLE_ARN": "Publishes", "AWS_DEPLOY_ROLE_ARN": "Deploys"}
PUBLISH = (
    'scripts/uv run --locked concurrency-eval publish --bucket "$ARTIFACT_BUCKET" '
    '${FRAMEWORK_SOURCE:+--framework-source "$FRAMEWORK_SOURCE"}'
)
# Every command a workflow runs, and where the same command runs before it reaches GitHub.
KNOWN_COMMANDS = {
    'make "$CHECK"': "make test (.ci/run) runs each check target",
    "scripts/require-vars AWS_REGION AWS_PUBLISH_ROLE_ARN ARTIFACT_BUCKET": "test_require_vars.py",
    "scripts/require-vars AWS_REGION AWS_DEPLOY_ROLE_ARN": "test_require_vars.py",
    "make sync": "make test (.ci/run) installs a superset; test_lean_install.py: the tool needs no more",
    "make sync-cdk npm": "make synth (in make test, .ci/run) runs both first",
    PUBLISH: "test_publish.py",
    "make deploy": "test_deploy_target_is_synth_plus_deploy (make synth synthesizes its app)",
    "make smoke": "test_the_smoke_test_reads_each_live_alias_and_says_which_answered_wrong (local service)",
}


def load(path: Path) -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(path.read_text())
    return document


def jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path.name, name, job) for path in WORKFLOWS for name, job in load(path)["jobs"].items()]


def assumes_role(job: dict[str, Any]) -> bool:
    return any("configure-aws-credentials" in step.get("uses", "") for step in job["steps"])


def test_there_are_the_workflows_the_readme_describes() -> None:
    assert [path.name for path in WORKFLOWS] == ["main.yml", "pull-request.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_permissions_are_read_only(path: Path) -> None:
    assert load(path)["permissions"] == {"contents": "read"}


@pytest.mark.parametrize(("workflow", "name", "job"), jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_id_token_only_where_a_role_is_assumed(workflow: str, name: str, job: dict[str, Any]) -> None:
    permissions = job.get("permissions", {})
    if assumes_role(job):
        assert permissions == {"contents": "read", "id-token": "write"}
    else:
        assert "id-token" not in permissions


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_commits_with_their_version(path: Path) -> None:
    uses = re.findall(r"uses:\s*(\S+)(.*)", path.read_text())
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r"\s*# v\d+(\.\d+)*", comment), (action, comment)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(path: Path) -> None:
    for job in load(path)["jobs"].values():
        for step in job["steps"]:
            if "actions/checkout" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False


def test_one_deploy_at_a_time_never_cancelled() -> None:
    deploy = load(ROOT / ".github/workflows/main.yml")["jobs"]["deploy"]
    assert deploy["concurrency"] == {"group": "deploy-production", "cancel-in-progress": False}
    assert deploy["environment"] == "production"
    assert deploy["needs"] == "publish"


def test_main_runs_on_push_to_main_and_by_hand() -> None:
    triggers = load(ROOT / ".github/workflows/main.yml")[True]  # YAML reads `on` as True
    assert triggers["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in triggers


def subject_of(workflow: dict[Any, Any], job: dict[str, Any], repository: str) -> str:
    """The `sub` claim GitHub puts in the job's OIDC token."""
    if "environment" in job:
        environment = job["environment"]
        name = environment if isinstance(environment, str) else environment["name"]
        return f"repo:{repository}:environment:{name}"
    (branch,) = workflow[True]["push"]["branches"]
    return f"repo:{repository}:ref:refs/heads/{branch}"


@pytest.mark.slow  # synthesizes the app
def test_stack_trust_matches_what_the_workflow_jobs_present(tmp_path: Path) -> None:
    # Given the stacks as cdk.json configures them for a repository
    repository = "octo-org/concurrency-eval"
    templates = synth(tmp_path, {"githubRepository": repository})
    roles = Template.from_json(templates[ARTIFACTS]).find_resources("AWS::IAM::Role")
    trusted = {}
    for role in roles.values():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        subject = statement["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
        trusted[role["Properties"]["Description"].split()[0]] = subject
    # When each workflow job that assumes a role is read
    workflow = load(ROOT / ".github/workflows/main.yml")
    checked = 0
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            if "configure-aws-credentials" in step.get("uses", ""):
                variable = re.search(r"vars\.(\w+)", step["with"]["role-to-assume"]).group(1)  # type: ignore[union-attr]
                # Then the role it assumes trusts exactly the subject its token carries
                assert trusted[ROLE_VARIABLES[variable]] == subject_of(workflow, job, repository)
                checked += 1
    assert checked == 2


def run_commands() -> list[str]:
    return [step["run"] for _, _, job in jobs() for step in job["steps"] if "run" in step]


def test_every_workflow_command_is_known_and_run_before_github() -> None:
    assert set(run_commands()) == set(KNOWN_COMMANDS)


def dry_run(*targets: str) -> set[str]:
    """The commands `make` would run for `targets`, less its own (recursive) calls, at
    whatever priority (`nice -n 19 make ...`)."""
    shown = subprocess.run(
        ["make", "--no-print-directory", "-n", *targets], cwd=ROOT, capture_output=True, text=True,
        check=True, env={"PATH": os.environ["PATH"], "HOME": os.environ["HOME"]},
    ).stdout  # fmt: skip
    return {line for line in shown.splitlines() if not re.match(r"(nice -n \d+ )?make[ \[:]", line)}


def test_every_pull_request_check_is_part_of_make_test() -> None:
    # Given the checks a pull request runs, each as a job
    checks = load(ROOT / ".github/workflows/pull-request.yml")["jobs"]["checks"]["strategy"]["matrix"][
        "check"
    ]
    # Then make test runs each of them, and nothing else but the installs they need
    everything = dry_run("test")
    for check in checks:
        assert dry_run(check) <= everything, check
    assert everything == dry_run(*checks) | dry_run("npm")
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_deploy_target_is_synth_plus_deploy() -> None:
    dry = subprocess.run(
        ["make", "-n", "deploy"], cwd=ROOT, capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin", "GITHUB_REPOSITORY": "o/r", "PUBLISHED_ARTIFACTS": "{}"},
    ).stdout  # fmt: skip
    assert "npx cdk deploy --all --require-approval never" in dry
    # The settings come from cdk.json, as on a laptop; only the code's location differs
    assert "githubRepository" not in dry
    assert '-c publishedArtifacts="$PUBLISHED_ARTIFACTS"' in dry


def test_private_repository_rewrite_works_for_the_publish_step_alone(tmp_path: Path) -> None:

    # Given the publish step's git configuration, as GitHub Actions sets it
    publish = load(ROOT / ".github/workflows/main.yml")["jobs"]["publish"]
    (step,) = [s for s in publish["steps"] if s.get("id") == "publish"]
    variables = {
        name: value.replace("${{ secrets.FRAMEWORK_REPO_TOKEN }}", "t0ken")
        for name, value in step["env"].items()
        if name.startswith("GIT_CONFIG_")
    }
    variables["GIT_CONFIG_COUNT"] = "1"  # FRAMEWORK_SOURCE set
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    # Then git rewrites GitHub URLs to carry the token within that step
    rewritten = subprocess.run(
        ["git", "config", "--get-regexp", r"^url\..*\.insteadof$"],
        env=env | variables, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert rewritten.strip() == "url.https://x-access-token:t0ken@github.com/.insteadof https://github.com/"
    # And no file holds it: a later step's git knows nothing of it
    after = subprocess.run(
        ["git", "config", "--get-regexp", r"^url\."], env=env, capture_output=True, text=True, check=False
    )
    assert after.stdout == ""
    assert not any("FRAMEWORK_REPO_TOKEN" in str(s.get("run", "")) for s in publish["steps"])


@pytest.mark.parametrize("name", ["publish", "deploy"])
def test_dependencies_are_installed_before_any_role_is_assumed(name: str) -> None:
    steps = load(ROOT / ".github/workflows/main.yml")["jobs"][name]["steps"]
    installs = [i for i, step in enumerate(steps) if str(step.get("run", "")).startswith("make sync")]
    assumes = [i for i, step in enumerate(steps) if "configure-aws-credentials" in step.get("uses", "")]
    assert installs
    assert assumes
    assert max(installs) < min(assumes)


#: What each install target installs: the larger installs include the smaller.
INSTALLS = {"sync": {"sync"}, "sync-cdk": {"sync", "sync-cdk"}, "sync-dev": {"sync", "sync-cdk", "sync-dev"}}


def install_prerequisites(target: str) -> set[str]:
    """The install targets (and npm) a make target depends on, from the Makefile."""
    rule = re.search(rf"^{re.escape(target)}:(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert rule is not None, target
    return {name for name in rule.group(1).split() if name in INSTALLS or name == "npm"}


@pytest.mark.parametrize("name", ["publish", "deploy"])
def test_the_install_step_installs_all_that_the_later_make_targets_need(name: str) -> None:
    # Given a job that installs, then assumes a role, then runs make targets
    steps = load(ROOT / ".github/workflows/main.yml")["jobs"][name]["steps"]
    runs = [str(step.get("run", "")) for step in steps]
    (install,) = [run for run in runs if run.startswith("make sync")]
    installed = set().union(*(INSTALLS.get(target, {target}) for target in install.split()[1:]))
    # Then no later step installs anything itself, with the role's credentials in its environment:
    # each make target's installs, and the tool for `scripts/uv run`, came before
    later = runs[runs.index(install) + 1 :]
    needed = [(run, install_prerequisites(run.split()[1])) for run in later if run.startswith("make ")]
    needed += [(run, {"sync"}) for run in later if run.startswith("scripts/uv run")]
    assert needed
    for run, prerequisites in needed:
        assert prerequisites <= installed, run


def test_dependabot_keeps_every_pin_current_in_few_pull_requests() -> None:
    config = load(ROOT / ".github" / "dependabot.yml")
    assert config["version"] == 2
    updates = {update["package-ecosystem"]: update for update in config["updates"]}
    # The pinned actions, uv.lock and package-lock.json
    assert set(updates) == {"github-actions", "uv", "npm"}
    for update in updates.values():
        assert update["directory"] == "/"
        # Grouped: every dependency falls in a group, so updates arrive as a few pull requests
        groups = update["groups"]
        assert any(group["patterns"] == ["*"] for group in groups.values()), update


def test_the_deploy_is_smoke_tested_with_the_deployers_credentials() -> None:
    steps = load(ROOT / ".github/workflows/main.yml")["jobs"]["deploy"]["steps"]
    runs = [str(step.get("run", "")) for step in steps]
    assert runs.index("make smoke") == runs.index("make deploy") + 1
