"""Settings, read once from the environment (and an optional .env file) and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from db.engine import POOL_TIMEOUT_SECONDS

PLACEHOLDER_TOKENS = {"changeme", "change-me", "your-token-here", "token", "xxx"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the SQLite database and generated files live.")
    database_url: str = Field("", description="SQLAlchemy async URL; empty means SQLite under DATA_DIR.")
    discord_token: SecretStr | None = Field(None, description="Bot token; without it Picket runs offline.")
    discord_api_base: str | None = Field(None, description="REST base of a Discord-compatible server.")
    discord_gateway_url: str | None = Field(None, description="Gateway URL of a Discord-compatible server.")
    timezone: str = Field("Asia/Seoul", description="Time zone organizers type event times in.")
    hold_minutes: int = Field(10, ge=1, le=30, description="How long picked seats stay held.")
    max_tickets_per_fan: int = Field(4, ge=1, le=10, description="Default per-fan ticket limit.")
    max_transfers_per_ticket: int = Field(
        2, ge=0, le=10, description="How many times one ticket may be given to another member."
    )
    queue_rate_per_minute: int = Field(
        300, ge=1, le=100_000, description="Fans a waiting room lets in per minute, to start with."
    )
    queue_cap: int = Field(200, ge=1, le=100_000, description="Fans a waiting room lets pick seats at once.")
    queue_from_size: int = Field(
        5000,
        ge=1,
        description="Events with at least this many seats or places get a waiting room by default.",
    )
    queue_pass_minutes: int = Field(10, ge=1, le=60, description="How long a fan let in may take to book.")
    waitlist_close_hours: int = Field(
        3, ge=0, le=720, description="Hours before an event starts when its waitlist closes and refunds."
    )
    sandbox_payments: bool | None = Field(
        None,
        description="Wallet top-ups from the sandbox provider (no real money): on in the offline sandbox "
        "and against a local Discord-compatible server, never with a real DISCORD_TOKEN.",
    )
    ticket_signing_key: SecretStr | None = Field(
        None, description="Base64 Ed25519 private key for ticket codes; default: a key file in DATA_DIR."
    )
    ticket_verify_keys: str = Field(
        "",
        description="Base64 Ed25519 public keys, comma-separated, that still verify tickets after the "
        "signing key was rotated.",
    )
    scanner_host: str = Field("127.0.0.1", description="Where the door scanner page listens.")
    scanner_port: int | None = Field(
        None, ge=1, le=65535, description="Serve the door scanner page beside the bot on this port."
    )
    metrics_host: str = Field("127.0.0.1", description="Where Prometheus scrapes /metrics.")
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="Serve Prometheus metrics at /metrics on this port; empty: off."
    )
    shard_count: int | None = Field(
        None, ge=1, le=10_000, description="Shards of the whole deployment; empty: Discord's recommendation."
    )
    shard_ids: str = Field(
        "", description="This process's shards, e.g. '0-3' or '0,2'; empty: all (one process)."
    )
    audit_minutes: int = Field(
        10, ge=1, le=1440, description="How often the auditor checks seats, tickets and money."
    )
    db_pool_size: int | None = Field(
        None, ge=1, le=200, description="Pooled connections; empty: 20 on MariaDB, 8 on SQLite."
    )
    db_max_overflow: int | None = Field(
        None, ge=0, le=200, description="Extra connections under load; empty: 30 on MariaDB, 8 on SQLite."
    )
    db_pool_timeout: float = Field(
        POOL_TIMEOUT_SECONDS,
        gt=0,
        le=120,
        description="Seconds to wait for a connection before answering 'busy'.",
    )
    backup_dir: Path | None = Field(
        None, description="Where backups are written and looked for; empty: a backups folder in DATA_DIR."
    )
    backup_every_hours: int | None = Field(
        None, ge=1, le=168, description="Hours between scheduled backups; empty: no scheduled backups."
    )
    backup_keep: int = Field(
        14, ge=1, le=1000, description="How many of the newest backups are kept; older ones are deleted."
    )

    @field_validator(
        "discord_token",
        "ticket_signing_key",
        "discord_api_base",
        "discord_gateway_url",
        "sandbox_payments",
        "db_pool_size",
        "db_max_overflow",
        "scanner_port",
        "metrics_port",
        "shard_count",
        "backup_dir",
        "backup_every_hours",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # An empty line in .env (as in .env.example) means "not set", not "set to nothing".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"TIMEZONE={value!r} is not an IANA time zone such as Asia/Seoul") from None
        return value

    @field_validator("shard_ids")
    @classmethod
    def _shard_list(cls, value: str) -> str:
        parse_shard_ids(value)
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        ids = self.shards
        if ids and self.shard_count is None:
            raise ValueError("SHARD_IDS needs SHARD_COUNT: how many shards the whole deployment runs")
        if ids and self.shard_count is not None and max(ids) >= self.shard_count:
            raise ValueError(
                f"SHARD_IDS names shard {max(ids)}, but SHARD_COUNT={self.shard_count} ends at "
                f"{self.shard_count - 1}"
            )
        return self

    @model_validator(mode="after")
    def _placeholder_token(self) -> Settings:
        if (
            self.discord_token is not None
            and self.discord_token.get_secret_value().strip() in PLACEHOLDER_TOKENS
        ):
            raise ValueError(
                "DISCORD_TOKEN holds a placeholder. Set it to your bot's token from the Discord developer "
                "portal, or remove it to run the offline sandbox."
            )
        return self

    @property
    def real_discord(self) -> bool:
        """Connected to Discord itself: a token, and no local Discord-compatible server in its place."""
        if self.discord_token is None:
            return False
        if not self.discord_api_base:
            return True
        return urlsplit(self.discord_api_base).hostname not in LOOPBACK_HOSTS

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'picket.db').resolve()}"

    @property
    def effective_backup_dir(self) -> Path:
        return self.backup_dir if self.backup_dir is not None else self.data_dir / "backups"

    @property
    def shard_options(self) -> dict[str, Any]:
        """discord.py's sharding arguments for this process."""
        options: dict[str, Any] = {}
        if self.shard_count is not None:
            options["shard_count"] = self.shard_count
        if self.shards is not None:
            options["shard_ids"] = self.shards
        return options

    @property
    def shards(self) -> list[int] | None:
        """This process's shard ids, or None for all of them."""
        return parse_shard_ids(self.shard_ids)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_shard_ids(text: str) -> list[int] | None:
    """'0-3,6' → [0, 1, 2, 3, 6]; empty → None (every shard)."""
    if not text.strip():
        return None
    ids: set[int] = set()
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        try:
            first, last = int(low), int(high if dash else low)
        except ValueError:
            raise ValueError(f"SHARD_IDS={text!r}: use numbers and ranges such as '0-3' or '0,2'") from None
        if first < 0 or last < first:
            raise ValueError(f"SHARD_IDS={text!r}: '{part.strip()}' is not a range from low to high")
        ids.update(range(first, last + 1))
    return sorted(ids)
