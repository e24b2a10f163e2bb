"""The login handler takes the client's address from the socket, not from the client."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace
from typing import Any

import pytest
from reflex.istate.data import RouterData

from ejournal.config import get_settings
from ejournal.domain.people import throttle
from ejournal.state.auth import _client_ip

PEER = "198.51.100.7"


def _state(peer: str, forwarded_for: str = "") -> Any:
    """A stand-in State whose router is built the way Reflex builds it for an event."""
    headers = {"user-agent": "Firefox"}
    if forwarded_for:
        headers["x-forwarded-for"] = forwarded_for
    return SimpleNamespace(router=RouterData.from_router_data({"ip": peer, "headers": headers}))


def _trust(monkeypatch: pytest.MonkeyPatch, *proxies: str) -> None:
    changed = dataclasses.replace(get_settings(), trusted_proxies=proxies)
    monkeypatch.setattr(throttle, "get_settings", lambda: changed)


def test_a_forged_forwarded_for_header_is_ignored(monkeypatch):
    """Without a trusted proxy the socket's peer is the address, whatever the header says."""
    _trust(monkeypatch)
    assert _client_ip(_state(PEER, "1.2.3.4")) == PEER


def test_the_trusted_proxys_forwarded_for_gives_the_client(monkeypatch):
    """Behind the configured proxy the client is what the proxy appended."""
    _trust(monkeypatch, "127.0.0.1")
    assert _client_ip(_state("127.0.0.1", f"6.6.6.6, {PEER}")) == PEER
