"""The device column of «Где выполнен вход» names the browser and system, not the raw header."""

from __future__ import annotations

import pytest

from ejournal.state.auth import device_label

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (CHROME_LINUX, "Chrome, Linux"),
        (EDGE_WINDOWS, "Edge, Windows"),
        (SAFARI_IPHONE, "Safari, iPhone"),
    ],
)
def test_a_known_browser_is_named_with_its_system(agent: str, label: str):
    """A common User-Agent becomes «browser, system»."""
    assert device_label(agent) == label


def test_an_empty_agent_is_an_unknown_device():
    """Without a User-Agent the device is called unknown, in Russian."""
    assert device_label("") == "неизвестное устройство"
