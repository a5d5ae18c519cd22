"""Schemathesis against /open311/v2/openapi.json, in process: every operation, valid and invalid
data, JSON and XML. No 5xx, and every answer conforms to the description (status, content type,
body schema; XML bodies are read by the description's own ``xml`` names)."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Key, file_report

#: Examples per operation and generation mode; 14 operations × 2 modes.
EXAMPLES = int(__import__("os").environ.get("OPEN311_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
#: The description being tested, for the XML reader below (set by the test).
_DOCUMENT: dict[str, Any] = {}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _DOCUMENT["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _from_xml(element: ET.Element, schema: dict[str, Any]) -> Any:
    """An XML element read as OpenAPI's ``xml`` object says: wrapped arrays, named items."""
    schema = _resolve(schema)
    kind = schema.get("type")
    if kind == "array":
        item_name = _resolve(schema["items"]).get("xml", {}).get("name")
        # An item under another name is kept as a string: the schema then rejects it.
        return [_from_xml(child, schema["items"]) if child.tag == item_name else f"<{child.tag}>"
                for child in element]
    if kind == "object":
        properties = schema.get("properties", {})
        found: dict[str, Any] = {}
        for child in element:
            # An unknown element stays, as text: additionalProperties false then flags it.
            found[child.tag] = (_from_xml(child, properties[child.tag])
                                if child.tag in properties else child.text)
        return found
    text = element.text or ""
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if kind in ("integer", "number"):
        try:
            return int(text) if kind == "integer" else float(text)
        except ValueError:
            return text
    return text


@schemathesis.deserializer("text/xml")
def _xml(ctx: schemathesis.DeserializationContext, response: schemathesis.Response) -> Any:
    operation = _DOCUMENT["paths"][ctx.operation.path][ctx.operation.method.lower()]
    answer = operation["responses"][str(response.status_code)]
    schema = answer["content"]["text/xml"]["schema"]
    root = ET.fromstring(response.content)  # not well-formed: schemathesis reports it
    expected = _resolve(schema)["xml"]["name"]
    if root.tag != expected:
        return {"unexpected root element": root.tag}
    return _from_xml(root, schema)


def test_the_api_conforms_to_its_openapi_description(app: Flask, client: Any,
                                                     make_key: Any) -> None:
    # Some requests to read, one of them in the reader's municipality, and keys to use.
    reader: Key = make_key("reader", ("submit", "read"), ("21009",))
    for _ in range(2):
        file_report(client, reader)
    file_report(client, reader, **{"attribute[postal_code]": "1060", "lat": "50.8317",
                                   "long": "4.3447", "address_string": "Parvis 1"})

    schema = schemathesis.openapi.from_wsgi("/open311/v2/openapi.json", app)
    _DOCUMENT.clear()
    _DOCUMENT.update(client.get("/open311/v2/openapi.json").get_json())
    per_operation: dict[str, Counter[int]] = defaultdict(Counter)
    by_phase: Counter[str] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # The key goes in the query string: filing needs it; reading shows more with it.
        key = reader.raw if operation.method.upper() == "POST" else None
        runs = [("examples", strategy, CHECKS, 3)
                for strategy in schema.get_strategies_from_examples(operation)]
        runs += [("positive", operation.as_strategy(generation_mode=mode), CHECKS, EXAMPLES)
                 for mode in [schemathesis.GenerationMode.POSITIVE]]
        runs += [("negative", operation.as_strategy(generation_mode=mode),
                  [*CHECKS, negative_data_rejection], EXAMPLES)
                 for mode in [schemathesis.GenerationMode.NEGATIVE]]
        for phase, strategy, checks, examples in runs:

            @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def check(case: schemathesis.Case) -> None:
                # check() runs right below, within this iteration: the loop variables are current.
                if key is not None:  # noqa: B023
                    case.query = {**(case.query or {}), "api_key": key}  # noqa: B023
                response = case.call_and_validate(checks=checks)  # noqa: B023
                per_operation[operation.label][response.status_code] += 1  # noqa: B023
                by_phase[phase] += 1  # noqa: B023

            check()
    statuses: Counter[int] = sum(per_operation.values(), Counter())
    # Every Open311 operation in both formats (schemathesis leaves out the description itself).
    assert operations == 14 and len(per_operation) == 14
    assert not any(status >= 500 for status in statuses), statuses
    # The run reached the answers that matter, not only refusals.
    assert statuses[200] > 100 and statuses[400] > 20 and statuses[404] > 20, statuses
    assert per_operation["POST /open311/v2/requests.json"][200] > 0, per_operation
    assert per_operation["POST /open311/v2/requests.xml"][200] > 0, per_operation
    print(f"\nschemathesis: {operations} operations, {sum(statuses.values())} calls "
          f"{dict(by_phase)}, statuses {dict(sorted(statuses.items()))}")
    for label, counts in per_operation.items():
        print(f"  {label}: {dict(sorted(counts.items()))}")
