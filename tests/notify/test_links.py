"""Links in e-mails are absolute, on BASE_URL, and in the right language."""
from __future__ import annotations

from flask import Flask

from portal.i18n import speaking
from portal.notify.services import external_url


def test_outside_a_request_uses_base_url_and_current_language(web_app: Flask) -> None:
    web_app.config["BASE_URL"] = "https://prevention.example.be"
    with web_app.app_context():
        with speaking("nl"):
            assert external_url("site.privacy") == "https://prevention.example.be/nl/privacy"
        with speaking("en"):
            assert (external_url("site.home", ref="BXL 1", _anchor="follow")
                    == "https://prevention.example.be/en/?ref=BXL+1#follow")
        # An endpoint without a language gets none, not a stray ?lang= argument.
        assert external_url("root.choose_language") == "https://prevention.example.be/"


def test_inside_a_request_uses_its_language_not_its_host(web_app: Flask) -> None:
    web_app.config["BASE_URL"] = "https://prevention.example.be"
    with web_app.test_request_context("/nl/", base_url="http://10.0.0.5:8000"):
        web_app.preprocess_request()
        assert external_url("site.home") == "https://prevention.example.be/nl/"
        assert external_url("site.home", lang="fr") == "https://prevention.example.be/fr/"


def test_base_url_with_a_path(web_app: Flask) -> None:
    web_app.config["BASE_URL"] = "https://example.be:8443/portal/"
    with web_app.app_context(), speaking("fr"):
        assert external_url("site.privacy") == "https://example.be:8443/portal/fr/privacy"
