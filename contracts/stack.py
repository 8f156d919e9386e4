"""The stacks' names and the outputs the tool reads from them: the stacks write these
outputs, the `run` and `smoke` commands find the deployment by them."""

DEFAULT_STACK_PREFIX = "ConcurrencyEval"
#: Where published zips go in the artifact bucket unless cdk.json's `artifactPrefix` says
#: otherwise: the publisher role may write there, and `publish` writes there.
DEFAULT_ARTIFACT_PREFIX = "artifacts/"
#: The evaluation stack's output naming the data bucket.
DATA_BUCKET_OUTPUT = "DataBucketName"
#: The evaluation stack's output saying where the code came from.
CODE_SOURCE_OUTPUT = "CodeSource"


def artifacts_stack_name(prefix: str) -> str:
    """The stack holding the artifact bucket and the GitHub OIDC roles."""
    return f"{prefix}Artifacts"


def evaluation_stack_name(prefix: str) -> str:
    """The stack holding the data bucket, the layers and the three functions."""
    return f"{prefix}Evaluation"


def function_output(model: str) -> str:
    """The evaluation stack's output naming a model's function."""
    return f"{model.capitalize()}FunctionName"


def alias_output(model: str) -> str:
    """The evaluation stack's output naming a model's alias."""
    return f"{model.capitalize()}AliasName"


#: Where the smoke test seeds its small data set in the data bucket: the deployer role
#: may write there and nowhere else.
SMOKE_PREFIX = "smoke/"
