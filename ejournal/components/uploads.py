"""File uploads with a named file input: Reflex's drop zone renders a hidden
``<input type="file">`` without a label, which screen readers (and axe-core) flag."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.forms import Input


def _label_file_input(component: rx.Component, label: str) -> bool:
    for child in component.children:
        if isinstance(child, Input):
            child.custom_attrs["aria-label"] = label
            return True
        if isinstance(child, rx.Component) and _label_file_input(child, label):
            return True
    return False


def labelled_upload(upload: rx.Component, label: str) -> rx.Component:
    """`upload` (an ``rx.upload(...)``) with its file input named `label`."""
    if not _label_file_input(upload, label):
        msg = "rx.upload without a file input"
        raise ValueError(msg)
    return upload
