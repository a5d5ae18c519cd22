"""What can go wrong in the courses' services; each blueprint says how a person hears of it."""
from __future__ import annotations


class Busy(Exception):
    """The session is locked by other sign-ups for too long: the person should try again."""


class SessionClosed(Exception):
    """The session takes no sign-ups (or changes): it started, ended or was cancelled."""


class NoPlace(Exception):
    """An organiser tried to confirm someone in a full session without allowing overbooking."""


class Invalid(Exception):
    """Some fields are wrong; ``errors`` maps each to a message in the current language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class NotManaged(Exception):
    """The session or registration does not exist, or the account does not manage it."""


class NotOrganiser(Exception):
    """The account neither organises courses nor administers the portal."""
