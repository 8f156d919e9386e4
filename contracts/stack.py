"""The stacks' names and the outputs the tool reads from them: the stacks write these
outputs, the `run` and `smoke` commands find the deployment by them."""

from contracts.bundles import ARCHITECTURES, Architecture
from s3fanout.buckets import DIRECTORY_SUFFIX, bucket_name_problem

DEFAULT_STACK_PREFIX = "ConcurrencyEval"
#: Where published zips go in the artifact bucket unless cdk.json's `artifactPrefix` says
#: otherwise: the publisher role may write there, and `publish` writes there.
DEFAULT_ARTIFACT_PREFIX = "artifacts/"
#: The evaluation stack's output naming the data bucket.
DATA_BUCKET_OUTPUT = "DataBucketName"
#: The evaluation stack's output saying where the code came from.
CODE_SOURCE_OUTPUT = "CodeSource"
#: The evaluation stack's output naming the S3 Express One Zone directory bucket beside
#: the data bucket (`dataBucket=express` only).
EXPRESS_BUCKET_OUTPUT = "ExpressBucketName"
#: The evaluation stack's output listing the architectures deployed, comma-separated
#: (`architectures` with two only: a stack without it deploys one, unsuffixed).
ARCHITECTURES_OUTPUT = "Architectures"


def artifacts_stack_name(prefix: str) -> str:
    """The stack holding the artifact bucket and the GitHub OIDC roles."""
    return f"{prefix}Artifacts"


def evaluation_stack_name(prefix: str) -> str:
    """The stack holding the data bucket, the layers and the three functions."""
    return f"{prefix}Evaluation"


def function_output(model: str, architecture: Architecture | None = None) -> str:
    """The evaluation stack's output naming a model's function: `SyncFunctionName`, or
    with two architectures deployed, one for each variant: `SyncArm64FunctionName`."""
    return f"{variant_id(model, architecture)}FunctionName"


def alias_output(model: str, architecture: Architecture | None = None) -> str:
    """The evaluation stack's output naming a model's alias (of one variant, as above)."""
    return f"{variant_id(model, architecture)}AliasName"


def variant_id(model: str, architecture: Architecture | None = None) -> str:
    """A model's function's construct ID, and the start of its outputs: `Sync` for the
    one variant deployed, `SyncArm64` and `SyncX8664` for each of two."""
    if architecture is None:
        return model.capitalize()
    _check_architecture(architecture)
    return model.capitalize() + architecture.replace("_", "").capitalize()


def variant_function_name(stack: str, model: str, architecture: Architecture) -> str:
    """The name of one variant of a model's function when two architectures are deployed:
    `ConcurrencyEvalEvaluation-sync-arm64`. (With one, CloudFormation names the function.)"""
    _check_architecture(architecture)
    return f"{stack}-{model}-{architecture}"


def express_bucket_name(stack: str, account: str, zone: str) -> str:
    """The directory bucket's name: the stack's, the account's ID (a directory bucket's
    name is unique in its zone, across accounts) and the zone's, as S3 requires them."""
    return f"{stack.lower()}-{account}--{zone}{DIRECTORY_SUFFIX}"


#: An account ID as long as every account's: the directory bucket's name is checked with it.
_ANY_ACCOUNT = "0" * 12


def express_bucket_problem(stack: str, zone: str) -> str | None:
    """Why the stack's directory bucket cannot be named in `zone`, or None if it can."""
    name = express_bucket_name(stack, _ANY_ACCOUNT, zone)
    problem = bucket_name_problem(name)
    return None if problem is None else f"the directory bucket's name {name!r} is invalid: {problem}"


def _check_architecture(architecture: str) -> None:
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"{architecture!r} is not a Lambda architecture; use one of {', '.join(ARCHITECTURES)}"
        )


#: Where the smoke test seeds its small data set in the data bucket: the deployer role
#: may write there and nowhere else.
SMOKE_PREFIX = "smoke/"


#: The Lambda actions a sweep on AWS takes on each function of the evaluation stack, as
#: CI's deployer role is granted them: read and change its configuration (memory), publish
#: a version per memory size and point an alias at it, list and delete them afterwards.
SWEEP_FUNCTION_ACTIONS = (
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:UpdateFunctionConfiguration",
    "lambda:GetFunctionConcurrency",
    "lambda:PublishVersion",
    "lambda:ListVersionsByFunction",
    "lambda:ListAliases",
    "lambda:CreateAlias",
    "lambda:UpdateAlias",
    "lambda:DeleteAlias",
)
#: ... and on its versions and aliases only (qualified ARNs): invoke them, and delete a
#: version (DeleteFunction with a qualifier; without one it would delete the function).
SWEEP_VERSION_ACTIONS = ("lambda:InvokeFunction", "lambda:DeleteFunction")
