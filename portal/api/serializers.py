"""Open311 GeoReport v2 on the wire: every field name of the API lives here (DESIGN.md, 7).

Out: the documents (discovery, services, service definitions, requests, errors) as JSON or XML,
built from the portal's objects. In: the query strings and bodies partners send, read into
``services``' dataclasses. And the JSON Schemas of both, which ``openapi`` publishes.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from flask import Response
from werkzeug.datastructures import FileStorage, Headers, MultiDict

from portal import geo
from portal.config import LANGUAGES
from portal.i18n import _, localized, ngettext
from portal.reports.models import Category, Report
from portal.reports.questions import Kind, Question, all_questions, questions_of
from portal.reports.reference_data import CategoryInfo
from portal.reports.services import Draft, normalise_reference
from portal.times import BRUSSELS

from . import services
from .models import ApiKey
from .services import RequestFilter

#: This server's jurisdiction. A client may omit it or send it empty; any other value is a 400.
JURISDICTION_ID = "brussels.prevention"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this API last changed in a way a client could notice.
CHANGESET = "2026-11-28T00:00:00Z"
MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
#: The extra questions of all categories; each is sent as ``attribute[<name>]``.
DETAIL_NAMES: tuple[str, ...] = tuple(question.name for question in all_questions())
POSTAL_CODE = "postal_code"
#: The last page one may ask for: keeps the offset a database integer.
MAX_PAGE = 1_000_000


class ApiError(Exception):
    """An answer that is an Open311 error list: ``status`` and one description per problem."""

    def __init__(self, status: int, descriptions: list[str],
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, descriptions)
        self.status = status
        self.descriptions = descriptions
        self.headers = dict(headers or {})


# Writing ----------------------------------------------------------------------------------------

#: XML: the element of each item of a list, by the name of the list (the spec's own names).
_XML_ITEMS = {
    "services": "service", "service_requests": "request", "errors": "error",
    "endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
}
#: Characters XML 1.0 cannot carry at all, even escaped (a resident's text might hold them).
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render(root: str, data: Any, fmt: str, status: int = 200,
           headers: Mapping[str, str] | None = None) -> Response:
    """A document as JSON (``data`` as it is) or XML (``root`` element, lists per the spec)."""
    if fmt == "xml":
        element = ET.Element(root)
        _fill(element, data)
        body = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                + ET.tostring(element, encoding="unicode").encode("utf-8"))
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    response = Response(body, status=status, headers=dict(headers or {}))
    response.headers["Content-Type"] = MEDIA_TYPES[fmt]
    return response


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, list):
        tag = _XML_ITEMS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, tag), item)
    elif isinstance(value, dict):
        for name, item in value.items():
            _fill(ET.SubElement(element, name), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("\ufffd", str(value))


def moment(value: datetime) -> str:
    """ISO 8601 with the offset, in Brussels time (the spec's w3 subset): 2026-03-31T14:05:00+02:00."""
    return value.astimezone(BRUSSELS).replace(microsecond=0).isoformat()


def errors(status: int, descriptions: Iterable[str]) -> list[dict[str, Any]]:
    return [{"code": status, "description": description} for description in descriptions]


def discovery(base_url: str, contact: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _("Partners ask the Region's prevention service for a key: %(contact)s.",
                         contact=contact),
        # Extensions: this server's jurisdiction, and where its OpenAPI description is.
        "jurisdiction_id": JURISDICTION_ID,
        "openapi": f"{base_url}/openapi.json",
        "endpoints": [{
            "specification": SPECIFICATION, "url": base_url, "changeset": CHANGESET,
            "type": "production", "formats": ["application/json", "text/xml"],
        }],
    }


def service_list(categories: Iterable[Category], lang: str) -> list[dict[str, Any]]:
    return [{
        "service_code": category.code,
        "service_name": localized(category, "name", lang),
        "description": localized(category, "description", lang),
        "metadata": True,  # every service has at least the postal_code attribute
        "type": "realtime",
        "keywords": ",".join(services.service_keywords(category)),
        "group": services.service_group(category),
    } for category in categories]


def service_definition(category: CategoryInfo) -> dict[str, Any]:
    """The service's attributes: the postal code, then the category's own questions."""
    attributes: list[dict[str, Any]] = [{
        "variable": True, "code": POSTAL_CODE, "datatype": "string", "required": False,
        "datatype_description": _("Four digits, for example 1050."), "order": 1,
        "description": _("Postal code of the place. Required unless address_string contains it."),
    }]
    for order, question in enumerate(questions_of(category.questions), start=2):
        attribute: dict[str, Any] = {
            "variable": True, "code": question.name, "datatype": "string",
            "required": question.required, "order": order, "description": question.heading(),
            "datatype_description": str(question.hint or ""),
        }
        if question.kind == Kind.TIME:
            attribute["datatype_description"] = _(
                "A time of day such as 17:30 (HH:MM, Brussels time, on the date of the facts).")
        if question.kind == Kind.CHOICE:
            attribute["datatype"] = "singlevaluelist"
            attribute["values"] = [{"key": key, "name": str(label)} for key, label in question.choices]
        attributes.append(attribute)
    return {"service_code": category.code, "attributes": attributes}


def request_list(reports: Iterable[Report], readable: frozenset[str],
                 lang: str) -> list[dict[str, Any]]:
    """Requests as the spec lists them. Everyone sees the public fields and a position rounded
    to the grid; a key may read the description, address and exact position of its
    municipalities. Contact data and photos are never given out."""
    items = []
    for report in reports:
        # A key reads its municipalities' reports, not one parked there until the coordinators
        # decide (services.agency then names the Region)
        full = report.municipality_nis in readable and not report.municipality_to_decide
        agency_name, agency_nis = services.agency(report, lang)
        item: dict[str, Any] = {
            "service_request_id": report.reference,
            "status": services.open311_status(report),
            "service_name": localized(report.category, "name", lang),
            "service_code": report.category_code,
        }
        if full:
            item["description"] = report.description
        item.update({
            "agency_responsible": agency_name,
            "agency_nis": agency_nis,  # extension: the municipality's NIS code
            "requested_datetime": moment(report.created_at),
            "updated_datetime": moment(report.updated_at),
        })
        if full:
            item["address"] = services.address(report)
        item["zipcode"] = report.postal_code
        if report.latitude is not None and report.longitude is not None:
            lat, lon = ((report.latitude, report.longitude) if full
                        else services.coarse_position(report.latitude, report.longitude))
            item["lat"], item["long"] = lat, lon
        items.append(item)
    return items


def created(report: Report, notice: str) -> list[dict[str, Any]]:
    # No token: the id is known at once. No account_id: the portal has no accounts.
    return [{"service_request_id": report.reference, "service_notice": notice}]


# Reading --------------------------------------------------------------------------------------

def api_key(args: MultiDict[str, str], form: MultiDict[str, str] | None = None) -> str | None:
    """The key from the query string, else from the body."""
    raw = args.get("api_key") or (form.get("api_key") if form is not None else None)
    return raw.strip() or None if raw else None


def check_jurisdiction(values: MultiDict[str, str]) -> None:
    given = values.get("jurisdiction_id") or ""
    if given and given != JURISDICTION_ID:
        raise ApiError(400, [_field("jurisdiction_id", _(
            "Unknown jurisdiction: this server serves only %(id)s.", id=JURISDICTION_ID))])


def locale(values: MultiDict[str, str]) -> str | None:
    """The language asked for with ``locale`` (fr, nl, en; "nl_BE" or "fr-BE" too), if any."""
    lang = (values.get("locale") or "").strip()[:2].lower()
    return lang if lang in LANGUAGES else None


def request_filter(args: MultiDict[str, str]) -> RequestFilter:
    """Read GET requests' filters; ApiError 400 listing every parameter that is wrong."""
    problems: list[str] = []
    query = RequestFilter()
    ids = [part.strip() for part in (args.get("service_request_id") or "").split(",")]
    query.references = [normalise_reference(part) or part for part in ids if part]
    query.codes = [part.strip() for part in (args.get("service_code") or "").split(",") if part.strip()]
    for name in ("start_date", "end_date"):
        text = (args.get(name) or "").strip()
        if text:
            value = _moment(text)
            if value is None:
                problems.append(_field(name, _(
                    "Give a date and time such as 2026-03-31T14:00:00+02:00.")))
            setattr(query, "start" if name == "start_date" else "end", value)
    if not problems and not query.references:
        try:
            query.start, query.end = services.window(query.start, query.end)
        except ValueError as error:
            if str(error) == "inverted":
                problems.append(_field("start_date", _("The start must come before the end.")))
            else:
                problems.append(_field("end_date", ngettext(
                    "The period may not be longer than %(num)s day.",
                    "The period may not be longer than %(num)s days.",
                    services.DEFAULT_WINDOW.days)))
    status = args.get("status") or ""
    if status.strip(" "):
        parts = [part.strip(" ") for part in status.split(",")]
        if all(part in services.STATUS_GROUPS for part in parts):
            query.statuses = [s for part in dict.fromkeys(parts) for s in services.STATUS_GROUPS[part]]
        else:
            problems.append(_field("status", _("Use open, closed or both, separated by a comma.")))
    page = _whole(args.get("page"), 1, MAX_PAGE, 1)
    size = _whole(args.get("page_size"), 1, services.MAX_PAGE_SIZE, services.MAX_PAGE_SIZE)
    if page is None:
        problems.append(_field("page", _("Give a whole number from 1 to %(max)s.", max=MAX_PAGE)))
    if size is None:
        problems.append(_field("page_size", _("Give a whole number from 1 to %(max)s.",
                                              max=services.MAX_PAGE_SIZE)))
    if problems or page is None or size is None:  # either None has added a problem
        raise ApiError(400, problems)
    query.page, query.page_size = page, size
    return query


def reference(text: str) -> str:
    """A service_request_id as partners may type it (lower case, no dashes) made canonical."""
    return normalise_reference(text) or text


def submission(form: MultiDict[str, str], files: MultiDict[str, FileStorage],
               headers: Headers | Mapping[str, str], key: ApiKey,
               language: str) -> tuple[Draft, list[FileStorage], dict[str, str]]:
    """Read a POST requests body into the portal's draft; returns it, the photos sent and the
    problems found in reading (field → message).

    ``first_name``, ``last_name``, ``device_id``, ``account_id``, ``address_id`` and
    ``media_url`` are accepted and ignored: the portal has no name field, and it does not fetch
    pictures from addresses a client names (a photo is sent as the ``media`` file).
    """
    problems: dict[str, str] = {}
    code = (form.get("service_code") or "").strip()
    if not code:
        raise ApiError(400, [_field("service_code", _("Choose one of the categories."))])
    street = (form.get("address_string") or "").strip()
    given_code = "".join((form.get(f"attribute[{POSTAL_CODE}]") or "").split())
    in_address = re.findall(r"(?<![0-9])[0-9]{4}(?![0-9])", street)
    found = Draft(category_code=code, description=form.get("description") or "",
                  occurred_on=services.today(), street=street,
                  postal_code=given_code or (in_address[-1] if in_address else ""),
                  language=language, source="open311")
    lat, lon = (form.get("lat") or "").strip(), (form.get("long") or "").strip()
    if lat or lon:
        found.latitude, found.longitude = _decimal(lat), _decimal(lon)
        if found.latitude is None or found.longitude is None:
            problems["lat/long"] = _(
                "Give lat and long as decimal degrees (WGS 84), for example 50.8466 and 4.3528.")
    when = (form.get("occurred_on") or "").strip()
    if when:
        parsed = _facts_moment(when)
        if parsed is None:
            problems["occurred_on"] = _("Give a date such as 2026-03-31.")
        else:
            found.occurred_on, found.occurred_at_time = parsed
    found.details = {name: form.get(f"attribute[{name}]", "") for name in DETAIL_NAMES
                     if form.get(f"attribute[{name}]")}
    found.email = (form.get("email") or "").strip() or None
    found.phone = (form.get("phone") or "").strip() or None
    found.municipality_choice = (form.get("agency_nis") or "").strip() or None
    media = [upload for upload in files.getlist("media") if upload and upload.filename]
    idempotency = (headers.get("Idempotency-Key") or "").strip()
    if len(idempotency) > 200:
        problems["Idempotency-Key"] = _("Use at most %(max)s characters.", max=200)
    found.submission_key = services.submission_key(key, idempotency or None)
    return found, media, problems


#: The portal's names of the fields its checks complain about, and the API's names for them.
_FIELD_NAMES = {
    "category": "service_code", "description": "description", "occurred_on": "occurred_on",
    "occurred_at_time": "occurred_on", "postal_code": f"attribute[{POSTAL_CODE}]",
    "street": "address_string", "location": "lat/long", "email": "email", "phone": "phone",
    "photos": "media", **{name: f"attribute[{name}]" for name in DETAIL_NAMES},
}


def field_problems(problems: Mapping[str, str]) -> list[str]:
    """The portal's field messages, each prefixed by the API's name of the field."""
    return [_field(_FIELD_NAMES.get(name, name), message) for name, message in problems.items()]


def media_problem(message: str) -> list[str]:
    return [_field("media", message)]


def routing_problem(routing: geo.Routing, lang: str) -> str:
    """Why a location names no single municipality of the Region, with the candidates."""
    def names(found: Iterable[geo.Municipality]) -> str:
        return ", ".join(f"{m.name(lang)} ({m.nis})" for m in found)

    if routing.outcome is geo.Outcome.OUTSIDE:
        return _("This location is outside the Brussels-Capital Region: contact the municipality "
                 "where it happened.")
    if routing.outcome is geo.Outcome.CONFLICT:
        outside = _("outside the Region")
        return _("The postal code and the position do not agree (postal code: %(by_code)s; "
                 "position: %(by_point)s). Correct one of them, or choose the municipality with "
                 "agency_nis.",
                 by_code=names(routing.by_postal_code) or outside,
                 by_point=names(routing.by_point) or outside)
    return _("This location could be in several municipalities: %(names)s. Send lat and long, "
             "or choose the municipality with agency_nis.", names=names(routing.candidates))


def unknown_service(code: str) -> str:
    return _field("service_code", _("There is no service %(code)s.", code=code[:80]))


def unknown_request(reference: str) -> str:
    return _field("service_request_id", _("There is no request %(id)s.", id=reference[:80]))


def unknown_token() -> str:
    return _field("token", _("Unknown token. This server answers each request with its "
                             "service_request_id at once, so it has no tokens to look up."))


def unknown_address(base_url: str) -> str:
    return _("There is nothing at this address. The endpoints are listed at %(url)s.",
             url=f"{base_url}/discovery.json")


def key_missing() -> str:
    return _field("api_key", _("Filing a request needs an API key."))


def key_invalid() -> str:
    return _field("api_key", _("This API key is not valid or has been revoked."))


def key_cannot_submit() -> str:
    return _field("api_key", _("This API key may not file requests."))


def _field(name: str, message: str) -> str:
    return f"{name}: {message}"


_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")
_WHOLE = re.compile(r"[0-9]{1,7}")


def _decimal(text: str) -> float | None:
    # Not float() alone: it takes "nan", "inf" and "1_0", none of which is a coordinate.
    return float(text) if _NUMBER.fullmatch(text) else None


def _whole(text: str | None, low: int, high: int, default: int) -> int | None:
    """A whole number in [low, high]; ``default`` when absent, None when wrong (empty too)."""
    if text is None:
        return default
    if not _WHOLE.fullmatch(text) or not low <= int(text) <= high:
        return None
    return int(text)


def _moment(text: str) -> datetime | None:
    """An ISO 8601 date or date and time; without an offset it is Brussels time."""
    # An unencoded "+" in a query string arrives as a space: "2026-03-31T14:00:00 02:00".
    text = re.sub(r" ([0-9]{2}:?[0-9]{2})$", r"+\1", text)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not 1970 <= value.year <= 2999:  # also keeps the arithmetic on the window in range
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=BRUSSELS)


def _facts_moment(text: str) -> tuple[date, time | None] | None:
    """The date of the facts: a day, or a moment (then its day and time of day in Brussels)."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        try:
            return date.fromisoformat(text), None
        except ValueError:
            return None
    value = _moment(text)
    if value is None:
        return None
    local = value.astimezone(BRUSSELS)
    return local.date(), time(local.hour, local.minute)


# Schemas (published by ``openapi``) -----------------------------------------------------------

def _text(description: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": "string", **({"description": description} if description else {}), **extra}


def _list(root: str, items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items, "xml": {"name": root, "wrapped": True}}


def _object(name: str, properties: dict[str, Any], required: Iterable[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": False, "xml": {"name": name}}


_DATETIME = {"type": "string", "format": "date-time"}
_ERROR = _object("error", {"code": {"type": "integer"}, "description": _text()},
                 ["code", "description"])
_SERVICE = _object("service", {
    "service_code": _text(), "service_name": _text(), "description": _text(),
    "metadata": {"type": "boolean"}, "type": _text(enum=["realtime", "batch", "blackbox"]),
    "keywords": _text("Comma-separated."), "group": _text(),
}, ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"])
_VALUE = _object("value", {"key": _text(), "name": _text()}, ["key", "name"])
_ATTRIBUTE = _object("attribute", {
    "variable": {"type": "boolean"}, "code": _text(),
    "datatype": _text(enum=["string", "number", "datetime", "text", "singlevaluelist",
                            "multivaluelist"]),
    "required": {"type": "boolean"}, "datatype_description": _text(),
    "order": {"type": "integer"}, "description": _text(), "values": _list("values", _VALUE),
}, ["variable", "code", "datatype", "required", "datatype_description", "order", "description"])
_DEFINITION = _object("service_definition", {
    "service_code": _text(), "attributes": _list("attributes", _ATTRIBUTE),
}, ["service_code", "attributes"])
_REQUEST = _object("request", {
    "service_request_id": _text(), "status": _text(enum=["open", "closed"]),
    "service_name": _text(), "service_code": _text(),
    "description": _text("Only for a key that may read this municipality."),
    "agency_responsible": _text("The municipality in charge, in the language asked for."),
    "agency_nis": _text("Extension: the municipality's NIS code; the Region's (04000) while its "
                        "coordinators decide the municipality.",
                        pattern="^(210[0-1][0-9]|04000)$"),
    "requested_datetime": _DATETIME, "updated_datetime": _DATETIME,
    "address": _text("Only for a key that may read this municipality."),
    "zipcode": _text(pattern="^[0-9]{4}$"),
    "lat": {"type": "number", "minimum": -90, "maximum": 90,
            "description": "Rounded to 0.002° unless the key may read this municipality."},
    "long": {"type": "number", "minimum": -180, "maximum": 180,
             "description": "Rounded to 0.003° unless the key may read this municipality."},
}, ["service_request_id", "status", "service_name", "service_code", "agency_responsible",
    "agency_nis", "requested_datetime", "updated_datetime", "zipcode"])
_CREATED = _object("request", {"service_request_id": _text(), "service_notice": _text()},
                   ["service_request_id", "service_notice"])
_ENDPOINT = _object("endpoint", {
    "specification": _text(), "url": _text(), "changeset": _DATETIME, "type": _text(),
    "formats": _list("formats", _text(xml={"name": "format"})),
}, ["specification", "url", "changeset", "type", "formats"])
_DISCOVERY = _object("discovery", {
    "changeset": _DATETIME, "contact": _text(), "key_service": _text(),
    "jurisdiction_id": _text("Extension: this server's jurisdiction."),
    "openapi": _text("Extension: this description."), "endpoints": _list("endpoints", _ENDPOINT),
}, ["changeset", "contact", "key_service", "endpoints"])

#: name → (JSON Schema, XML root element). The XML root is the one ``render`` is given.
DOCUMENTS: dict[str, tuple[dict[str, Any], str]] = {
    "Discovery": (_DISCOVERY, "discovery"),
    "Services": (_list("services", _SERVICE), "services"),
    "ServiceDefinition": (_DEFINITION, "service_definition"),
    "ServiceRequests": (_list("service_requests", _REQUEST), "service_requests"),
    "Created": (_list("service_requests", _CREATED), "service_requests"),
    "Errors": (_list("errors", _ERROR), "errors"),
}

LOCALE_PARAMETER = {
    "name": "locale", "in": "query", "required": False, "schema": {"type": "string"},
    "description": "fr, nl or en (fr-BE or nl_BE also do). Else Accept-Language, else French.",
}
JURISDICTION_PARAMETER = {
    "name": "jurisdiction_id", "in": "query", "required": False,
    "schema": {"type": "string", "enum": ["", JURISDICTION_ID]},
    "description": f"Optional; empty or {JURISDICTION_ID}.",
}
API_KEY_PARAMETER = {"name": "api_key", "in": "query", "required": False,
                     "schema": {"type": "string"}}


def path_parameter(name: str, enum: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": "^[^/.]+$"}
    if enum is not None:
        schema["enum"] = enum
    return {"name": name, "in": "path", "required": True, "schema": schema}


def request_parameters() -> list[dict[str, Any]]:
    """The filters of GET requests."""
    def query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
        return {"name": name, "in": "query", "required": False, "schema": schema,
                "description": description}

    return [
        query("service_request_id", {"type": "string"},
              "Comma-separated ids; overrides every other filter but paging."),
        query("service_code", {"type": "string"}, "Comma-separated service codes."),
        query("start_date", {"type": "string"}, "ISO 8601 date or date and time (Brussels time "
              "without an offset). With end_date, at most 90 days; default the last 90 days."),
        query("end_date", {"type": "string"}, "ISO 8601, as start_date."),
        query("status", {"type": "string",
                          "pattern": "^ *$|^ *(open|closed) *(, *(open|closed) *)*$"},
              "open (new, acknowledged, in progress), closed (resolved, closed without action, "
              "referred to the police, duplicate), or both comma-separated."),
        query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "From 1."),
        query("page_size", {"type": "integer", "minimum": 1, "maximum": services.MAX_PAGE_SIZE},
              f"At most {services.MAX_PAGE_SIZE} (the default)."),
        API_KEY_PARAMETER, JURISDICTION_PARAMETER, LOCALE_PARAMETER,
    ]


def _question_schema(question: Question) -> dict[str, Any]:
    if question.kind == Kind.CHOICE:
        return {"type": "string", "enum": [key for key, _label in question.choices]}
    if question.kind == Kind.TIME:
        return _text(pattern="^[0-2][0-9]:[0-5][0-9](:[0-5][0-9])?$")
    return _text(maxLength=question.max_length)


def submission_schema(codes: list[str], multipart: bool) -> dict[str, Any]:
    """The body of POST requests, urlencoded or multipart (only multipart carries ``media``)."""
    properties: dict[str, Any] = {
        "api_key": _text("Or in the query string."),
        "jurisdiction_id": JURISDICTION_PARAMETER["schema"],
        "service_code": {"type": "string", "enum": codes},
        "description": _text("Required: what happened.", minLength=1, maxLength=4000),
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": _text("Street and number; a four-digit postal code in it counts when "
                                "attribute[postal_code] is not given.", maxLength=200),
        f"attribute[{POSTAL_CODE}]": _text(pattern="^[0-9]{4}$"),
        **{f"attribute[{question.name}]": _question_schema(question) for question in all_questions()},
        "email": _text("The resident's, for the acknowledgement and follow-up."),
        "phone": _text(),
        "first_name": _text("Ignored: the portal keeps no names."),
        "last_name": _text("Ignored: the portal keeps no names."),
        "device_id": _text("Ignored."), "account_id": _text("Ignored."),
        "address_id": _text("Ignored."),
        "media_url": _text("Ignored: send the photo itself as media."),
        "occurred_on": _text("Extension: the date of the facts, ISO 8601 date (YYYY-MM-DD) or date "
                             "and time; default today in Brussels."),
        "agency_nis": _text("Extension: when the location names several municipalities, the "
                            "NIS code of the one the reporter chose among those named."),
        "locale": LOCALE_PARAMETER["schema"],
    }
    if multipart:
        properties["media"] = {"type": "string", "format": "binary",
                               "description": "A JPEG, PNG or WebP photo of at most 10 MB."}
    return {"type": "object", "properties": properties,
            "required": ["service_code", "description"]}


#: A report that files as it is (Place Flagey lies in Ixelles), for the description's readers.
SUBMISSION_EXAMPLE = {
    "service_code": "vandalism", "description": "Graffiti on the bus shelter, since last night.",
    "lat": 50.8275, "long": 4.372, "address_string": "Place Flagey 18, 1050 Ixelles",
    "email": "resident@example.be",
}

IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Extension: the same value twice (with the same key) files one report.",
}
API_KEY_SCHEME = {"type": "apiKey", "in": "query", "name": "api_key"}
