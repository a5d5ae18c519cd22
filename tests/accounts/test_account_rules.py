"""Account rules speak no HTTP and no language: a code and its values, worded by each caller."""
from __future__ import annotations

import pytest
from flask import Flask
from flask_login import AnonymousUserMixin

from portal.accounts import services
from portal.accounts.services import AccountError, NotAdmin
from portal.cli import operator_message
from tests.conftest import csrf_token
from tests.staff import login, make_user

PASSWORD = "a long enough password"


@pytest.mark.parametrize(("call", "code", "values"), [
    (lambda: services.create_user("x@example.org", "X", "staff", PASSWORD), "no_municipality", {}),
    (lambda: services.create_user("x@example.org", "X", "staff", PASSWORD, municipalities=["99999"]),
     "unknown_municipality", {}),
    (lambda: services.create_user("x@example.org", "X", "admin", "short"), "short_password",
     {"minimum": 12}),
    (lambda: services.create_user("x@example.org", "X", "boss", PASSWORD), "unknown_role", {"role": "boss"}),
    (lambda: services.set_active("nobody@example.org", False), "no_account", {"email": "nobody@example.org"}),
])
def test_account_rules_raise_codes_not_text(app: Flask, call, code, values) -> None:
    with app.app_context(), pytest.raises(AccountError) as refused:
        call()
    assert (refused.value.code, refused.value.values) == (code, values)


def test_an_address_taken_is_a_code_with_the_address(app: Flask) -> None:
    make_user(app, "own@ixelles.example", "staff", ("21009",))
    with app.app_context(), pytest.raises(AccountError) as refused:
        services.create_user("Own@Ixelles.example", "X", "admin", PASSWORD)
    assert (refused.value.code, refused.value.values) == ("email_taken", {"email": "Own@Ixelles.example"})


def test_the_command_line_words_the_codes_for_operators() -> None:
    assert operator_message(AccountError("short_password", minimum=12)) == \
        "the password must have at least 12 characters"
    assert operator_message(AccountError("email_taken", email="a@b.example")) == "a@b.example already has an account"
    assert operator_message(AccountError("no_municipality")) == "municipal staff need at least one --municipality"


def test_require_admin_raises_a_domain_exception(app: Flask) -> None:
    """Not werkzeug's Forbidden: the administration's blueprints map it to their 403 page."""
    with app.test_request_context("/fr/"):
        with pytest.raises(NotAdmin):
            services.require_admin(AnonymousUserMixin())


def test_the_admin_pages_word_the_rules_in_the_language_of_the_request(app: Flask) -> None:
    make_user(app, "own@ixelles.example", "staff", ("21009",))
    make_user(app, "admin@region.example", "admin")
    client = app.test_client()
    assert login(client, "admin@region.example", lang="nl").status_code == 303
    page = client.get("/nl/manage/admin/users/new").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "email": "nina@schaerbeek.example", "name": "Nina",
            "role": "staff", "language": "nl"}
    none = client.post("/nl/manage/admin/users/new", data=data)
    assert none.status_code == 422
    assert "Kies minstens één gemeente voor gemeentepersoneel." in none.get_data(as_text=True)
    taken = client.post("/nl/manage/admin/users/new",
                        data={**data, "email": "own@ixelles.example", "municipalities": "21015"})
    assert taken.status_code == 422
    assert "Dit e-mailadres heeft al een account." in taken.get_data(as_text=True)
