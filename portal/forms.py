"""The base of every form of the portal."""
from __future__ import annotations

import functools
from typing import Any

from flask_wtf import FlaskForm
from wtforms.i18n import get_translations

from portal.i18n import current_language


@functools.cache
def _wtforms_messages(language: str) -> Any:
    return get_translations([language])


class PortalForm(FlaskForm):
    """Flask-WTF's form, with WTForms' own messages ("Not a valid integer value.") in the
    language of the request.

    Flask-WTF would read WTForms' catalog from disk again on every request that builds a form
    (about a fifth of a millisecond, a third of a report submission's form work); here each
    language's catalog is read once per process.
    """

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            return _wtforms_messages(current_language())
