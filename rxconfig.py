"""Reflex configuration; every value comes from ejournal.config.Settings."""

import reflex as rx

from ejournal.config import get_settings

_settings = get_settings()

# Without Redis the server runs one worker: keep client states in memory (they expire like
# Reflex's own) instead of also writing each one to disk. Sessions live in the database, so
# a restart only makes the browser rehydrate.
_state_manager = (
    rx.constants.StateManagerMode.REDIS
    if _settings.redis_url
    else rx.constants.StateManagerMode.MEMORY
)

config = rx.Config(
    app_name="ejournal",
    db_url=_settings.effective_database_url,
    redis_url=_settings.redis_url or None,
    state_manager_mode=_state_manager,
    telemetry_enabled=False,
    frontend_port=_settings.port,
    backend_port=_settings.port,
    cors_allowed_origins=list(_settings.cors_allowed_origins),
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="medium")),
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
