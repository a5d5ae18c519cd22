"""Reports that may be the same facts as another: same category, near it, sent around the same
time, visible to the person. Offered on the report page so that marking a duplicate is a choice
in a short list, not a reference typed from memory."""
from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import StaffUser
from portal.extensions import db
from portal.reports import triage
from portal.reports.models import Report

#: How near (metres) and how close in time (days) another report must be to be offered.
NEAR_METRES = 300
RECENT_DAYS = 30
LIMIT = 5
_METRES_PER_DEGREE = 111_320


def candidates(user: StaffUser, report: Report) -> list[Report]:
    """Up to ``LIMIT`` possible duplicates of ``report``, newest first.

    With a position: within ``NEAR_METRES`` (a box in degrees, which the indexes can use);
    without one: the same postal code.
    """
    triage.require_report_role(user)
    window = timedelta(days=RECENT_DAYS)
    query = select(Report).where(
        triage.visible(user), Report.id != report.id, Report.spam.is_(False),
        Report.category_code == report.category_code,
        Report.created_at >= report.created_at - window, Report.created_at <= report.created_at + window)
    if report.latitude is not None and report.longitude is not None:
        dlat = NEAR_METRES / _METRES_PER_DEGREE
        dlon = NEAR_METRES / (_METRES_PER_DEGREE * max(math.cos(math.radians(report.latitude)), 0.1))
        query = query.where(Report.latitude.between(report.latitude - dlat, report.latitude + dlat),
                            Report.longitude.between(report.longitude - dlon, report.longitude + dlon))
    else:
        query = query.where(Report.postal_code == report.postal_code)
    return list(db.session.scalars(query.order_by(Report.created_at.desc(), Report.id.desc()).limit(LIMIT)))
