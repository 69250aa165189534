"""Settings: sensible defaults, empty means unset, placeholders and bad zones fail with a clear message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.__main__ import main
from bot.settings import Settings


def test_defaults_run_offline_on_sqlite(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "TIMEZONE", "DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.discord_token is None
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.timezone == "Asia/Seoul"


def test_empty_values_mean_unset() -> None:
    settings = Settings(_env_file=None, discord_token="", ticket_signing_key=" ")  # type: ignore[call-arg]
    assert settings.discord_token is None and settings.ticket_signing_key is None


@pytest.mark.parametrize("token", ["changeme", "your-token-here"])
def test_a_placeholder_token_is_refused_with_what_to_set(token: str) -> None:
    with pytest.raises(ValidationError, match="DISCORD_TOKEN holds a placeholder"):
        Settings(_env_file=None, discord_token=token)  # type: ignore[call-arg]


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        Settings(_env_file=None, timezone="Mars/Olympus")  # type: ignore[call-arg]


def test_a_real_token_is_kept_secret() -> None:
    settings = Settings(_env_file=None, discord_token="abc.def.ghi")  # type: ignore[call-arg]
    assert settings.discord_token is not None
    assert "abc.def" not in repr(settings)
    assert settings.discord_token.get_secret_value() == "abc.def.ghi"


@pytest.mark.parametrize(
    ("token", "api_base", "real"),
    [
        (None, None, False),
        ("abc.def.ghi", None, True),
        ("abc.def.ghi", "http://127.0.0.1:8123/api/v10", False),
        ("abc.def.ghi", "https://discord.example.com/api/v10", True),
    ],
)
def test_real_discord_means_a_token_and_no_local_server_in_its_place(
    token: str | None, api_base: str | None, real: bool
) -> None:
    settings = Settings(_env_file=None, discord_token=token, discord_api_base=api_base)  # type: ignore[call-arg]
    assert settings.real_discord is real


def test_sandbox_payments_with_a_real_token_refuse_to_start_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[arg-type]
    monkeypatch.setenv("DISCORD_TOKEN", "abc.def.ghi")
    monkeypatch.setenv("SANDBOX_PAYMENTS", "true")
    monkeypatch.delenv("DISCORD_API_BASE", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))

    assert main(["run"]) == 2

    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and said[0].startswith("Setting problem: SANDBOX_PAYMENTS=true cannot be used")


@pytest.mark.parametrize(
    ("text", "expected"), [("", None), ("3", [3]), ("0-3", [0, 1, 2, 3]), (" 4-5, 0 ,2", [0, 2, 4, 5])]
)
def test_shard_ids_take_numbers_and_ranges(text: str, expected: list[int] | None) -> None:
    settings = Settings(_env_file=None, shard_count=8, shard_ids=text)  # type: ignore[call-arg]
    assert settings.shards == expected
    assert settings.shard_options == {"shard_count": 8} | ({"shard_ids": expected} if expected else {})


@pytest.mark.parametrize(
    ("count", "text", "message"),
    [
        (None, "0-1", "SHARD_IDS needs SHARD_COUNT"),
        (2, "0-2", "SHARD_COUNT=2 ends at 1"),
        (4, "3-1", "not a range from low to high"),
        (4, "one", "use numbers and ranges"),
    ],
)
def test_shard_ids_that_cannot_work_are_refused(count: int | None, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, shard_count=count, shard_ids=text)  # type: ignore[call-arg]


def test_one_process_runs_every_shard_by_default() -> None:
    assert Settings(_env_file=None).shard_options == {}  # type: ignore[call-arg]
