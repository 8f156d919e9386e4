"""Values that come from users in more than one place (cdk.json context, command-line
arguments, the workflows' variables), each checked by one function everywhere it enters.

Plain Python: the CDK app imports it too, and must not import the tool's commands.
"""

import re

from s3fanout.buckets import is_zone_id

#: A key prefix: safe characters only (no IAM wildcards `*` and `?`), ending in "/".
_KEY_PREFIX = re.compile(r"[A-Za-z0-9!_.'()/-]{1,200}")
#: The framework from git, pinned: `s3fanout @ git+<scheme>://<where>@<tag or commit>`.
_FRAMEWORK_SOURCE = re.compile(r"s3fanout\s*@\s*git\+(?:https|ssh|file)://\S+?@(?P<ref>[A-Za-z0-9._/-]+)")


def key_prefix(text: str) -> str:
    """An S3 key prefix for the artifact bucket, which also becomes part of an IAM resource.

    Refused: IAM wildcards (`*`, `?`), `..` segments, a leading slash, an empty segment,
    and a prefix that does not end in `/`.
    """
    segments = text.split("/")
    if (
        not _KEY_PREFIX.fullmatch(text)
        or not text.endswith("/")
        or text.startswith("/")
        or any(segment in ("", ".", "..") for segment in segments[:-1])
    ):
        raise ValueError(
            f"{text!r} is not a key prefix: use letters, digits and !_.'()- in segments ending in '/', "
            "as 'artifacts/'; no '*', '?', '..', leading '/' or empty segment"
        )
    return text


def framework_source(text: str) -> str:
    """Where the framework layer is built from, when not the in-repo package: a git URL
    pinned to a tag or commit. A bare name would install whatever PyPI serves under it."""
    if not _FRAMEWORK_SOURCE.fullmatch(text.strip()):
        raise ValueError(
            f"{text!r} is not a pinned git requirement for the framework: use "
            "'s3fanout @ git+https://github.com/OWNER/s3fanout@v1.2.0' (a tag you never move, or a commit); "
            "leave it out to build the in-repo layers/framework"
        )
    return text.strip()


def zone_id(text: str) -> str:
    """An Availability Zone ID (or a Local Zone's), which names the same zone in every
    account; a zone's name (us-east-1a) maps to a different zone in each."""
    if not is_zone_id(text.strip()):
        raise ValueError(
            f"{text!r} is not a zone ID: use one like use1-az4 (`aws ec2 describe-availability-zones "
            "--query 'AvailabilityZones[].[ZoneName,ZoneId]'` lists them), not a zone's name like us-east-1a"
        )
    return text.strip()
