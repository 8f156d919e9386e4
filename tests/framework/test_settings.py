import pytest

from s3fanout.errors import InvalidConfiguration
from s3fanout.settings import Settings
from tests.handlers import MODELS, invoke


def test_defaults_without_environment() -> None:
    settings = Settings.from_environ({})
    assert settings == Settings()
    assert settings.default_concurrency == 64
    assert settings.retry_mode == "standard"


def test_reads_every_variable() -> None:
    settings = Settings.from_environ(
        {
            "S3FANOUT_DEFAULT_CONCURRENCY": "16",
            "S3FANOUT_RETRY_MODE": "adaptive",
            "S3FANOUT_MAX_ATTEMPTS": "3",
            "S3FANOUT_CONNECT_TIMEOUT": "1.5",
            "S3FANOUT_READ_TIMEOUT": "4",
            "S3FANOUT_DEADLINE_MARGIN_MS": "500",
            "S3FANOUT_CHUNK_SIZE": "4096",
        }
    )
    assert settings == Settings(16, "adaptive", 3, 1.5, 4.0, 500, 4096)


def test_blank_means_default() -> None:
    assert Settings.from_environ({"S3FANOUT_MAX_ATTEMPTS": "  "}).max_attempts == 5


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("RETRY_MODE", "legacy", "must be one of standard, adaptive"),
        ("MAX_ATTEMPTS", "0", "between 1 and 20"),
        ("MAX_ATTEMPTS", "three", "invalid literal"),
        ("DEFAULT_CONCURRENCY", "1000", "between 1 and 256"),
        ("CONNECT_TIMEOUT", "-1", "between 0.1 and 60 seconds"),
        ("READ_TIMEOUT", "fast", "could not convert"),
        ("CHUNK_SIZE", "10", "between 1024"),
    ],
)
def test_bad_value_names_the_variable(name: str, value: str, fragment: str) -> None:
    with pytest.raises(InvalidConfiguration) as raised:
        Settings.from_environ({f"S3FANOUT_{name}": value})
    assert raised.value.field == f"S3FANOUT_{name}"
    assert fragment in raised.value.message
    assert "unset it to use the default" in raised.value.message


@pytest.mark.parametrize("model", MODELS)
def test_handler_reports_bad_configuration(model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a function configured with an invalid retry mode
    monkeypatch.setenv("S3FANOUT_RETRY_MODE", "sometimes")
    # When it is invoked with a valid event
    response = invoke(model, {"s3_bucket_name": "my-bucket", "folder": "", "find": "x"})
    # Then it answers with a structured error naming the variable
    assert response["error"]["type"] == "InvalidConfiguration"
    assert response["error"]["field"] == "S3FANOUT_RETRY_MODE"
    assert response["result"] is None
