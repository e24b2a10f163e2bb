"""Settings refuse unsafe values."""

from __future__ import annotations

import pytest

from ejournal.config import Settings


def test_a_wildcard_origin_is_refused(monkeypatch):
    """'*' would let any site open the websocket, so the settings refuse it."""
    monkeypatch.setenv("EJOURNAL_CORS_ORIGINS", "*")
    with pytest.raises(ValueError, match="не допускается"):
        Settings()


def test_production_refuses_cheap_bcrypt(monkeypatch):
    """In production the bcrypt cost may not go below 12."""
    monkeypatch.setenv("EJOURNAL_ENV", "production")
    monkeypatch.setenv("EJOURNAL_BCRYPT_ROUNDS", "4")
    with pytest.raises(ValueError, match="bcrypt"):
        Settings()


def test_explicit_origins_are_kept(monkeypatch):
    """A list of origins is read as given, trimmed."""
    monkeypatch.setenv("EJOURNAL_CORS_ORIGINS", "https://school.example, http://localhost:3000")
    assert Settings().cors_allowed_origins == ("https://school.example", "http://localhost:3000")
