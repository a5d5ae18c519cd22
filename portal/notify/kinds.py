"""The registry of message kinds: each says once how its parameters become a message.

A domain's ``notifications`` module registers its kinds when imported (``create_app`` imports
them all, so the worker knows every kind). A kind's loader turns the JSON parameters stored on
the outbox row (ids and plain values) back into the template's context, at send time and in the
recipient's language; it raises ``Gone`` when what the message speaks of no longer exists.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.notify.models import Attachment

Parameters = dict[str, Any]
Context = dict[str, Any]


class Gone(Exception):
    """The message's objects were erased or deleted meanwhile: it is dropped, not retried."""


@dataclass(frozen=True)
class Kind:
    """One kind of message: its loader, its template (per channel) and its attachments."""

    name: str
    #: Parameters → template context; runs while the recipient's language is spoken.
    load: Callable[[Parameters], Context]
    #: The templates' base name: ``email/<template>.txt`` and ``email/<template>.subject.txt``.
    template: str
    #: Files built from the context at render time (channels that cannot carry files ignore them).
    attach: Callable[[Context, Parameters], list[Attachment]] | None = None


_KINDS: dict[str, Kind] = {}


def register(name: str, *, template: str | None = None,
             attach: Callable[[Context, Parameters], list[Attachment]] | None = None,
             ) -> Callable[[Callable[[Parameters], Context]], Callable[[Parameters], Context]]:
    """Decorate a loader to register the kind ``name`` (template ``name`` unless told)."""
    def decorate(load: Callable[[Parameters], Context]) -> Callable[[Parameters], Context]:
        if name in _KINDS and _KINDS[name].load is not load:
            raise ValueError(f"message kind registered twice: {name}")
        _KINDS[name] = Kind(name, load, template or name, attach)
        return load
    return decorate


def kind(name: str) -> Kind:
    """The registered kind ``name``; KeyError for an unknown one (a programming error)."""
    return _KINDS[name]


def registered() -> list[str]:
    """Every kind's name (for tests and the documentation)."""
    return sorted(_KINDS)
