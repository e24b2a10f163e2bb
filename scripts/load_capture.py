"""Capture what Chromium sends over the websocket when a remembered parent opens /diary.

`python -m scripts.load_capture [DB_URL]` (from the repository root, so that `bench` is
importable) starts the production server (as `make load` does), opens /diary in headless
Chromium with a parent's remember-me cookie and prints every websocket frame, sent and
received (shortened). The load client replays this shape.
"""

from __future__ import annotations

import sys

from bench.load import fixtures
from bench.load.server import production_server
from ejournal.domain.db import make_engine

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main() -> int:
    db_url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:////tmp/ejournal-load-capture.db"
    engine = make_engine(db_url)
    fixtures.seed_demo(engine)
    family = fixtures.open_remembered_sessions(engine, 1)[0]
    engine.dispose()
    from playwright.sync_api import sync_playwright

    with production_server(db_url) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=server.url, locale="ru-RU")
        context.add_cookies(
            [{"name": "ejournal_remember", "value": family.token, "url": server.url}]
        )
        page = context.new_page()

        def on_ws(ws: object) -> None:
            print("WS", ws.url)  # type: ignore[attr-defined]
            ws.on("framesent", lambda f: print(">>", str(f)[:3000]))  # type: ignore[attr-defined]
            ws.on("framereceived", lambda f: print("<<", str(f)[:1500]))  # type: ignore[attr-defined]

        page.on("websocket", on_ws)
        page.goto("/diary")
        page.wait_for_timeout(6000)
        print("URL", page.url)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
