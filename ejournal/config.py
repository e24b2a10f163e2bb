"""One typed settings object, read from the environment (no Reflex import)."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_list(name: str, default: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in _env(name, default).split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """Application settings; every field has an environment variable."""

    environment: str = field(default_factory=lambda: _env("EJOURNAL_ENV", "development"))
    var_dir: Path = field(
        default_factory=lambda: Path(_env("EJOURNAL_VAR_DIR", str(PROJECT_ROOT / "var")))
    )
    database_url: str = field(default_factory=lambda: _env("REFLEX_DB_URL", ""))
    redis_url: str = field(default_factory=lambda: _env("REFLEX_REDIS_URL", ""))
    # Production serves the front end and the back end on one port.
    port: int = field(default_factory=lambda: _env_int("EJOURNAL_PORT", 3000))
    # Origins allowed to open the websocket and call the API.
    cors_allowed_origins: tuple[str, ...] = field(
        default_factory=lambda: _env_list(
            "EJOURNAL_CORS_ORIGINS", "http://localhost:3000,http://127.0.0.1:3000"
        )
    )
    # Reverse proxies (addresses or networks, e.g. 127.0.0.1,10.0.0.0/8) whose
    # X-Forwarded-For is believed; from anyone else the socket's peer is the client address.
    trusted_proxies: tuple[str, ...] = field(
        default_factory=lambda: _env_list("EJOURNAL_TRUSTED_PROXIES", "")
    )
    bcrypt_rounds: int = field(default_factory=lambda: _env_int("EJOURNAL_BCRYPT_ROUNDS", 12))
    # One-time passwords of the demo seed are random 10-character strings; they are
    # hashed cheaper (they must be replaced at first login, and then cost bcrypt_rounds).
    # A failed login against such a hash is padded to bcrypt_rounds, so timing cannot tell.
    seed_bcrypt_rounds: int = field(
        default_factory=lambda: _env_int("EJOURNAL_SEED_BCRYPT_ROUNDS", 5)
    )
    staff_idle_minutes: int = field(
        default_factory=lambda: _env_int("EJOURNAL_STAFF_IDLE_MINUTES", 30)
    )
    staff_absolute_hours: int = field(
        default_factory=lambda: _env_int("EJOURNAL_STAFF_ABSOLUTE_HOURS", 12)
    )
    family_idle_minutes: int = field(
        default_factory=lambda: _env_int("EJOURNAL_FAMILY_IDLE_MINUTES", 60)
    )
    remember_days: int = field(default_factory=lambda: _env_int("EJOURNAL_REMEMBER_DAYS", 30))
    # One account: this many failures in a row cost nothing, then each next attempt waits
    # a doubling delay (5, 10, 20… s) of at most login_max_delay_seconds. Never a lock:
    # once the delay has passed the right password logs in.
    lock_after_failures: int = field(default_factory=lambda: _env_int("EJOURNAL_LOCK_AFTER", 5))
    login_max_delay_seconds: int = field(
        default_factory=lambda: _env_int("EJOURNAL_LOGIN_MAX_DELAY", 60)
    )
    # One client address (any accounts, unknown logins too): this many failures within
    # address_window_minutes cost nothing, then each next attempt from that address waits
    # a doubling delay (1, 2, 4… s) of at most address_max_delay_seconds.
    address_free_failures: int = field(
        default_factory=lambda: _env_int("EJOURNAL_ADDRESS_FREE_FAILURES", 20)
    )
    address_window_minutes: int = field(
        default_factory=lambda: _env_int("EJOURNAL_ADDRESS_WINDOW_MINUTES", 15)
    )
    address_max_delay_seconds: int = field(
        default_factory=lambda: _env_int("EJOURNAL_ADDRESS_MAX_DELAY", 300)
    )
    # E-mail notifications to families: off while no SMTP host is set.
    smtp_host: str = field(default_factory=lambda: _env("EJOURNAL_SMTP_HOST", ""))
    smtp_port: int = field(default_factory=lambda: _env_int("EJOURNAL_SMTP_PORT", 25))
    smtp_user: str = field(default_factory=lambda: _env("EJOURNAL_SMTP_USER", ""))
    smtp_password: str = field(default_factory=lambda: _env("EJOURNAL_SMTP_PASSWORD", ""))
    # "starttls" (port 587), "ssl" (port 465) or "" (a local relay).
    smtp_security: str = field(default_factory=lambda: _env("EJOURNAL_SMTP_SECURITY", ""))
    smtp_sender: str = field(
        default_factory=lambda: _env("EJOURNAL_SMTP_FROM", "ejournal@localhost")
    )
    # The address families open the app at (links in the letters).
    public_url: str = field(
        default_factory=lambda: _env("EJOURNAL_PUBLIC_URL", "http://localhost:3000")
    )

    def __post_init__(self) -> None:
        # "*" would switch off the websocket's origin check (python-engineio compares exactly).
        if not self.cors_allowed_origins or any("*" in o for o in self.cors_allowed_origins):
            raise ValueError(
                "EJOURNAL_CORS_ORIGINS: перечислите разрешённые адреса явно "
                "(например, http://localhost:3000); «*» не допускается."
            )
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"EJOURNAL_TRUSTED_PROXIES: «{proxy}» — не IP-адрес и не сеть."
                ) from None
        if self.smtp_security not in ("", "starttls", "ssl"):
            raise ValueError("EJOURNAL_SMTP_SECURITY: «starttls», «ssl» или пусто.")
        if self.is_production and self.bcrypt_rounds < 12:
            raise ValueError(
                "EJOURNAL_BCRYPT_ROUNDS: в рабочем режиме стоимость bcrypt не ниже 12."
            )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'ejournal.db'}"

    @property
    def smtp_enabled(self) -> bool:
        """E-mail goes out only when a mail server is configured."""
        return bool(self.smtp_host)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
