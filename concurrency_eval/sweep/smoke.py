"""The smoke test after a deploy: each function's `live` alias answers a small search right.

Seeds a small data set of its own into the data bucket (a no-op when it is there),
invokes each function's alias once, and checks the answer: the key that holds the
magic string, no error. Used by `concurrency-eval smoke` after `cdk deploy` and by the
deploy workflow; tested against the local Lambda service, which knows the `live`
qualifier as Lambda does.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from concurrency_eval.sweep.invoke import invoke_once
from concurrency_eval.workload.dataset import DataSetSpec, seed
from contracts.function import ALIAS
from contracts.stack import SMOKE_PREFIX

if TYPE_CHECKING:
    from types_boto3_lambda import LambdaClient

#: Twenty small objects under a prefix of their own: cheap, and never in a sweep's way.
SMOKE_DATA = DataSetSpec(objects=20, min_size=100, max_size=2000, prefix=SMOKE_PREFIX)


@dataclass(frozen=True)
class SmokeAnswer:
    model: str
    function: str
    ok: bool
    #: What came back: the answer, or what went wrong.
    detail: str


def smoke_test(
    lambda_client: "LambdaClient", s3_client: Any, functions: dict[str, str], bucket: str, alias: str = ALIAS
) -> list[SmokeAnswer]:
    seed(s3_client, bucket, SMOKE_DATA)
    expected = SMOKE_DATA.magic_key
    answers = []
    for model, function in functions.items():
        answer = invoke_once(lambda_client, f"{function}:{alias}", SMOKE_DATA.event(bucket))
        ok = answer.error is None and answer.result == expected
        detail = f"answered {answer.result}" if ok else f"{answer.error or 'wrong answer'}: {answer.result!r}"
        answers.append(SmokeAnswer(model, function, ok, detail))
    return answers
