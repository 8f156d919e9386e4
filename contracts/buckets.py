"""The kinds of bucket the data set is read from, as the stacks' `dataBucket` setting,
`local --bucket-type` and the results name them: a general purpose bucket (S3 Standard),
or an S3 Express One Zone directory bucket. A bucket's name says which it is."""

from s3fanout.buckets import is_directory_bucket

GENERAL_PURPOSE = "general-purpose"
EXPRESS = "express"
BUCKET_TYPES = (GENERAL_PURPOSE, EXPRESS)


def bucket_type(name: str) -> str:
    """The kind of bucket `name` names."""
    return EXPRESS if is_directory_bucket(name) else GENERAL_PURPOSE
