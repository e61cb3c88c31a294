"""API fuzzing: schemathesis against the app's own OpenAPI schema, in process, as a city officer.

Bounded and deterministic (25 examples per operation, derandomised) so it runs in CI on every commit:
no answer may be a server error, and every answer must match the schema (status, content type, body).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lishui.registry import service as registry
from tests.factories import Factory

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, ignored_auth]
EXAMPLES: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()
TOKEN: dict[str, str] = {}


@pytest.fixture
def api_schema(app, factory: Factory):
    """A populated database, a city officer's token, and the schema as the app serves it."""
    org = factory.org(bank_account="6222020000000000044")
    operator = factory.org(kind="park_operator")
    with factory.db.unit_of_work() as session:
        park = registry.create_park(session, factory.system, name="模糊测试园区", operator_org_id=operator,
                                    division_code="331102", total_area_m2=Decimal("500.00"))
        registry.add_tenancy(session, factory.system, park.id, org_id=org, move_in_date=date(2016, 1, 1),
                             leased_area_m2=Decimal("50.00"))
        registry.create_person(session, factory.system, name="赵六", id_number=factory.resident_id(),
                               division_code="331102", org_id=org)
    TOKEN["value"] = factory.token(factory.account("city_officer"))
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_api_never_fails_and_keeps_to_its_schema(case):
    EXAMPLES[case.operation.label] += 1
    response = case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN['value']}"}, checks=CHECKS)
    STATUSES[response.status_code] += 1


def test_the_fuzzing_covered_every_operation(app):
    """Runs after the fuzzing (file order): every documented operation got examples."""
    if not EXAMPLES:
        pytest.skip("the fuzzing test was not selected in this run")
    operations = {f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops}
    assert operations, "the schema documents no operation"
    assert set(EXAMPLES) == operations, operations ^ set(EXAMPLES)
    total = sum(EXAMPLES.values())
    print(f"\nschemathesis: {len(EXAMPLES)} operations, {total} examples, statuses {dict(sorted(STATUSES.items()))}")
    assert total >= 5 * len(operations)
    assert not any(status >= 500 for status in STATUSES)


def test_the_api_docs_say_how_to_authenticate(app):
    schema = app.openapi()
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"]}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["security"] == [{"bearerAuth": []}], f"{method.upper()} {path}"
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
