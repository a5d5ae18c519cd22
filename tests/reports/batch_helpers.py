"""Many reports at once, straight through the service (the form's own path is tested elsewhere)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Flask

from portal.extensions import db
from portal.i18n import speaking
from portal.reports.services import Draft, submit_report

#: Postal codes naming one municipality: Ixelles shares 1050 with the City of Brussels.
POSTAL_CODES = {"21009": "1050", "21004": "1000", "21013": "1060", "21002": "1160", "21006": "1140",
                "21007": "1190", "21008": "1083", "21011": "1081", "21014": "1210", "21017": "1170",
                "21018": "1200", "21010": "1090", "21015": "1030"}


def make_reports(app: Flask, count: int, nis: str = "21009", category: str = "vandalism",
                 language: str = "fr", description: str = "Tags sur la façade de l'école",
                 email: str | None = None) -> list[str]:
    """``count`` new reports in municipality ``nis`` (sent from ``email``, if given); their
    references, oldest first."""
    references = []
    with app.app_context(), speaking(language):
        for index in range(count):
            draft = Draft(category_code=category, description=f"{description} ({index + 1})",
                          occurred_on=date.today() - timedelta(days=1), postal_code=POSTAL_CODES[nis],
                          language=language, street=f"Rue de la Paix {index + 1}",
                          municipality_choice=nis, email=email)
            report = submit_report(draft).report
            assert report.municipality_nis == nis, (nis, report.municipality_nis)
            references.append(report.reference)
        db.session.commit()
        db.session.remove()
    return references
