"""The OpenAPI 3 description of the Open311 API, served at ``/open311/v2/openapi.json``.

Built from ``serializers``' schemas (the field names live there) with today's service codes, so
the description cannot drift from what the API answers; the test suite runs schemathesis on it.
"""
from __future__ import annotations

from typing import Any

from . import serializers, services

PREFIX = "/open311/v2"
_FORMATS = {"json": "application/json", "xml": "text/xml"}

DESCRIPTION = f"""\
Open311 [GeoReport v2]({serializers.SPECIFICATION}) for the partners of the Brussels-Capital
Region's prevention portal: residents' reports of nuisances (racket near schools, pickpocketing
on public transport, thefts of and from cars, vandalism, burglary) reach one of the Region's 19
municipalities.

Every resource answers as JSON (`.json`, or no suffix) or XML (`.xml`), errors included: an
Open311 error list (`[{{"code": 404, "description": "..."}}]`, XML
`<errors><error><code/><description/></error></errors>`). Dates are ISO 8601 with an offset.

**Jurisdiction**: `{serializers.JURISDICTION_ID}`. `jurisdiction_id` may be left out or empty;
any other value is a 400.

**Language**: `locale` (fr, nl or en), else `Accept-Language`, else French, for service names,
`agency_responsible`, `service_notice` and error descriptions.

**Keys**: `api_key` in the query string or the body. Filing a request needs a key with the
submit scope. Reading needs none; a key with the read scope also sees the description, address
and exact position of the requests of its municipalities. Without it, a request shows only its
status, service, dates, municipality, postal code and a position rounded to about 200 m
(latitude to 0.002°, longitude to 0.003°). Contact data and photos are never given out, so
there is no `media_url`. A missing key on POST, or an unknown or revoked key anywhere, is a 403.
Each key has its own limit on filing (60 requests a minute unless the operator sets another;
429 beyond).

**Filing** (`POST requests`, urlencoded or multipart): the same checks, routing and
notifications as the portal's own form. The place is `lat` and `long` and/or `address_string`;
the postal code is `attribute[postal_code]`, else the last four-digit number in
`address_string`. A location that names several municipalities, that lies outside the Region,
or whose postal code and position disagree is a 400 whose description names the candidates;
send the position, or choose with `agency_nis`. `first_name`, `last_name`, `device_id`,
`account_id`, `address_id` and `media_url` are ignored. A photo is sent as the `media` file.
The answer carries the `service_request_id` at once, never a `token`: `GET tokens/{{token}}` is
always a 404.

**Extensions**: `occurred_on` (POST: the date of the facts, default today in Brussels),
`agency_nis` (POST: the municipality chosen among the candidates; in requests: the NIS code of
`agency_responsible`), the `Idempotency-Key` header (POST: the same value twice files one
report), `page` and `page_size` (GET requests: at most {services.MAX_PAGE_SIZE}, the default;
newest first), `locale`.

**Lists**: `GET requests` defaults to the last 90 days and may not span more than 90 days;
`service_request_id` (comma-separated) overrides the other filters. `status` open means new,
acknowledged or in progress; closed means resolved, closed without action, referred to the
police, or a duplicate.
"""


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _responses(fmt: str, ok: str | None, *statuses: int) -> dict[str, Any]:
    media = _FORMATS[fmt]
    answers: dict[str, Any] = {}
    if ok is not None:
        answers["200"] = {"description": "OK", "content": {media: {"schema": _ref(ok)}}}
    reasons = {400: "Bad request", 403: "Missing, unknown or revoked key",
               404: "Not found", 405: "Method not allowed", 413: "Body too large",
               429: "Too many requests", 503: "Temporarily unavailable"}
    for status in sorted({400, 503, *statuses}):
        answers[str(status)] = {"description": reasons[status],
                                "content": {media: {"schema": _ref("Errors")}}}
    return answers


def document() -> dict[str, Any]:
    """The description, with the service codes of today's active categories."""
    codes = [category.code for category in services.services()]
    common = [serializers.JURISDICTION_PARAMETER, serializers.LOCALE_PARAMETER]
    paths: dict[str, Any] = {}
    for fmt in _FORMATS:
        tag = [fmt.upper()]
        paths[f"{PREFIX}/discovery.{fmt}"] = {"get": {
            "operationId": f"discovery_{fmt}", "summary": "Service discovery", "tags": tag,
            "parameters": common, "responses": _responses(fmt, "Discovery")}}
        paths[f"{PREFIX}/services.{fmt}"] = {"get": {
            "operationId": f"services_{fmt}", "summary": "The services (report categories)",
            "tags": tag, "parameters": common, "responses": _responses(fmt, "Services")}}
        paths[f"{PREFIX}/services/{{service_code}}.{fmt}"] = {"get": {
            "operationId": f"service_definition_{fmt}", "summary": "A service's attributes",
            "tags": tag,
            "parameters": [serializers.path_parameter("service_code", codes), *common],
            "responses": _responses(fmt, "ServiceDefinition", 404)}}
        paths[f"{PREFIX}/requests.{fmt}"] = {
            "get": {
                "operationId": f"requests_{fmt}", "summary": "Service requests", "tags": tag,
                "parameters": serializers.request_parameters(),
                "security": [{}, {"api_key": []}],
                "responses": _responses(fmt, "ServiceRequests", 403)},
            "post": {
                "operationId": f"create_request_{fmt}", "summary": "File a report", "tags": tag,
                "parameters": [serializers.IDEMPOTENCY_HEADER],
                "security": [{"api_key": []}],
                "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": serializers.submission_schema(codes, multipart=False),
                        "example": serializers.SUBMISSION_EXAMPLE},
                    "multipart/form-data": {
                        "schema": serializers.submission_schema(codes, multipart=True),
                        "example": serializers.SUBMISSION_EXAMPLE,
                        "encoding": {"media": {"contentType": "image/jpeg, image/png, image/webp"}}},
                }},
                "responses": _responses(fmt, "Created", 403, 404, 413, 429)},
        }
        paths[f"{PREFIX}/requests/{{service_request_id}}.{fmt}"] = {"get": {
            "operationId": f"request_{fmt}", "summary": "One service request (a list of one)",
            "tags": tag,
            "parameters": [serializers.path_parameter("service_request_id"),
                           serializers.API_KEY_PARAMETER, *common],
            "security": [{}, {"api_key": []}],
            "responses": _responses(fmt, "ServiceRequests", 403, 404)}}
        paths[f"{PREFIX}/tokens/{{token}}.{fmt}"] = {"get": {
            "operationId": f"token_{fmt}",
            "summary": "Always 404: ids are given at once, there are no tokens", "tags": tag,
            "parameters": [serializers.path_parameter("token"), *common],
            "responses": _responses(fmt, None, 404)}}
    paths[f"{PREFIX}/openapi.json"] = {"get": {
        "operationId": "openapi", "summary": "This description",
        "responses": {"200": {"description": "OK", "content": {
            "application/json": {"schema": {"type": "object"}}}}}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Brussels prevention portal: Open311 GeoReport v2",
                 "version": serializers.CHANGESET[:10], "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": {name: schema for name, (schema, _root) in serializers.DOCUMENTS.items()},
            "securitySchemes": {"api_key": serializers.API_KEY_SCHEME},
        },
    }
