"""Administration of reports' reference data: categories and the municipalities' contact
addresses. The administrators' pages (``reports.admin_views``) call these and commit once."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal.config import DEFAULT_LANGUAGE, LANGUAGES
from portal.extensions import db
from portal.reports.models import Category, MunicipalContact
from portal.territory.models import Municipality


class ContactError(ValueError):
    """A municipal contact address the rules refuse."""


def all_categories() -> list[Category]:
    """Every category, inactive ones included, in the plan's order."""
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.code)))


def update_category(category: Category, **values: Any) -> Category:
    """Change an administrator-editable field of a category (names, descriptions, days, active)."""
    editable = {f"{name}_{lang}" for name in ("name", "description") for lang in LANGUAGES}
    editable |= {"acknowledge_days", "close_days", "active"}
    unknown = set(values) - editable
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    for name, value in values.items():
        setattr(category, name, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    return category


def list_contacts() -> list[MunicipalContact]:
    """Every contact address, by municipality, then general ones first, then by e-mail."""
    return list(db.session.scalars(select(MunicipalContact).order_by(
        MunicipalContact.municipality_nis, MunicipalContact.category_code.is_not(None),
        MunicipalContact.category_code, MunicipalContact.email)))


def add_contact(municipality_nis: str, category_code: str | None, email: str,
                language: str = "fr") -> MunicipalContact:
    """Announce this municipality's new reports (of one category, or of all) to an address."""
    email = (email or "").strip().lower()
    category_code = category_code or None
    if "@" not in email or "\n" in email or "\r" in email:
        raise ContactError("not an e-mail address")
    if db.session.get(Municipality, municipality_nis) is None:
        raise ContactError("unknown municipality")
    if category_code is not None and db.session.get(Category, category_code) is None:
        raise ContactError("unknown category")
    same_category = (MunicipalContact.category_code.is_(None) if category_code is None
                     else MunicipalContact.category_code == category_code)
    # NULLs never collide in the unique constraint: "all categories" is checked here.
    if db.session.scalar(select(MunicipalContact.id).where(
            MunicipalContact.municipality_nis == municipality_nis, same_category,
            MunicipalContact.email == email)) is not None:
        raise ContactError("this address is already there")
    contact = MunicipalContact(municipality_nis=municipality_nis, category_code=category_code,
                               email=email, language=language if language in LANGUAGES else DEFAULT_LANGUAGE)
    db.session.add(contact)
    db.session.flush()
    return contact


def remove_contact(contact_id: int) -> bool:
    """Delete a contact address; False if there was none with this id."""
    contact = db.session.get(MunicipalContact, contact_id)
    if contact is None:
        return False
    db.session.delete(contact)
    db.session.flush()
    return True
