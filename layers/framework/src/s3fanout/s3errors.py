"""Name S3 and botocore failures, and map listing failures to structured errors."""

from botocore.exceptions import ClientError

from s3fanout.errors import AccessDenied, BucketNotFound, FanoutError, ListingFailed


def error_code(error: BaseException) -> str:
    """S3's error code for a service error, else the exception's class name."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(error).__name__


def listing_error(error: BaseException, bucket: str, prefix: str) -> FanoutError:
    code = error_code(error)
    if code == "NoSuchBucket":
        return BucketNotFound(f"bucket {bucket!r} does not exist", field="s3_bucket_name")
    if code in ("AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return AccessDenied(
            f"listing s3://{bucket}/{prefix} was refused ({code}); "
            "check the function role's s3:ListBucket permission",
            field="s3_bucket_name",
        )
    return ListingFailed(f"listing s3://{bucket}/{prefix} failed after retries: {code}: {error}")
