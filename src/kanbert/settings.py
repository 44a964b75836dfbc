"""Server settings, read from the environment with the prefix `KANBERT_`."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

INSECURE_SECRETS = frozenset({"", "change-me", "changeme", "secret", "dev", "development"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KANBERT_", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./data")
    database_url: str = ""  # empty: an SQLite file inside data_dir
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    public_url: str = ""  # base URL for links when behind a proxy; empty: taken from the request
    max_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 25 * 1024 * 1024  # one uploaded file (POST /files), streamed
    idempotency_ttl_hours: int = 24
    access_token_ttl_seconds: int = 3600  # OAuth access tokens
    refresh_token_ttl_days: int = 30  # OAuth refresh tokens (each rotation starts anew)
    oauth_code_ttl_seconds: int = 600  # OAuth authorization codes
    rate_limit_per_minute: int = Field(default=600, ge=0)  # per token (or IP); 0 turns it off
    redis_url: str = ""  # empty: rate-limit counters in memory, per process
    # Webhooks (webhooks.md): private targets are for tests and on-premise receivers only.
    webhook_allow_private_targets: bool = False
    webhook_debounce_seconds: float = Field(default=2.0, ge=0)
    webhook_debounce_max_seconds: float = Field(default=10.0, ge=0)
    webhook_timeout_seconds: float = Field(default=3.0, gt=0)
    webhook_backoff_base_seconds: float = Field(default=10.0, gt=0)  # waits base^1, base^2, …
    webhook_disable_after_failures: int = Field(default=20, ge=1)
    # How long a worker owns the deliveries it claimed; after a crash another takes them over.
    webhook_lease_seconds: float = Field(default=30.0, gt=0)
    webhook_poll_seconds: float = Field(default=0.5, gt=0)  # idle workers look this often
    embedded_worker: bool = True  # `kanbert serve` also delivers webhooks
    # SQLite only: how often to look for tables whose planner statistics are out of date
    # (db/statistics.py); 0 turns the keeper off.
    statistics_interval_seconds: float = Field(default=600.0, ge=0)

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and self.secret_key.strip().lower() in INSECURE_SECRETS:
            raise ValueError(
                "KANBERT_SECRET_KEY must be set to a long random value when KANBERT_ENV=production"
            )
        if self.env == "production" and len(self.secret_key) < 32:
            raise ValueError("KANBERT_SECRET_KEY must be at least 32 characters in production")
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            # A lease shorter than an attempt would let a second worker send it meanwhile.
            raise ValueError(
                "KANBERT_WEBHOOK_LEASE_SECONDS must be longer than KANBERT_WEBHOOK_TIMEOUT_SECONDS"
            )
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'kanbert.db').resolve()}"

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured secret, or (outside production) one generated once and kept on disk."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_dir / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key
