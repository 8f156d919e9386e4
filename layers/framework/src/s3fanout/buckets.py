"""S3's bucket naming rules, for both kinds of bucket the workload can read.

A general purpose bucket (S3 Standard) and an S3 Express One Zone directory bucket,
whose name ends in its zone's ID and `--x-s3`: `base-name--usw2-az1--x-s3` (Amazon S3
User Guide, "Directory bucket naming rules"). botocore tells them apart by that suffix
too, and reaches a directory bucket through its zonal endpoint with the session
authentication (CreateSession) it handles itself; nothing else differs for a client.
"""

import re

#: How every directory bucket name ends.
DIRECTORY_SUFFIX = "--x-s3"
#: An Availability Zone ID (`use1-az4`, `apne1-az1`) or a Local Zone ID
#: (`usw2-lax1-az1`): the region's short code, the zone's place, `az` and a number.
ZONE_ID = r"[a-z]{2,5}\d{1,2}(?:-[a-z]{3}\d{1,2})?-az\d{1,2}"

_ZONE_ID = re.compile(ZONE_ID)
_GENERAL_PURPOSE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_DIRECTORY = re.compile(
    rf"^(?P<base>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)--(?P<zone>{ZONE_ID}){DIRECTORY_SUFFIX}$"
)
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", DIRECTORY_SUFFIX, "--table-s3")


def is_directory_bucket(name: str) -> bool:
    """Whether `name` names a directory bucket (S3 Express One Zone)."""
    return name.endswith(DIRECTORY_SUFFIX)


def zone_of(name: str) -> str | None:
    """The zone ID a directory bucket's name carries, or None for any other name."""
    matched = _DIRECTORY.fullmatch(name)
    return matched["zone"] if matched else None


def is_zone_id(text: str) -> bool:
    return _ZONE_ID.fullmatch(text) is not None


def bucket_name_problem(name: str) -> str | None:
    """Say why `name` breaks S3's bucket naming rules, or None if it follows them."""
    if not 3 <= len(name) <= 63:
        return "it must be 3 to 63 characters long"
    if is_directory_bucket(name):
        return _directory_problem(name)
    if not _GENERAL_PURPOSE.fullmatch(name):
        return (
            "use only lowercase letters, digits, dots and hyphens, "
            "beginning and ending with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        return "dots may not be doubled or next to a hyphen"
    if _IPV4.fullmatch(name):
        return "it must not look like an IP address"
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return "it uses a prefix or suffix that S3 reserves"
    return None


def _directory_problem(name: str) -> str | None:
    if _DIRECTORY.fullmatch(name) is None:
        return (
            "a directory bucket's name is a base name of lowercase letters, digits and hyphens, "
            "then '--', its zone ID and '--x-s3', as 'data--use1-az4--x-s3'"
        )
    if name.startswith(_RESERVED_PREFIXES):
        return "it uses a prefix that S3 reserves"
    return None
