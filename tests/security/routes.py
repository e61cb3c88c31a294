"""Every route the app serves, found from ``app.routes`` at collection time, and how to call one.

Nothing here lists routes by hand: a route added anywhere joins every parametrised test. What a new route
may need is a sample value for a new path parameter or body field; the tests then fail saying which.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from pydantic import BaseModel

from lishui.config import load_settings
from lishui.core.ids import resident_check_char, uscc_check_char
from lishui.main import create_app
from lishui.web.guard import served_routes
from tests.conftest import TEST_SECRET

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    guard: dict[str, Any]
    route: Any

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def unsafe(self) -> bool:
        return self.method in UNSAFE

    @property
    def params(self) -> list[str]:
        return PARAM.findall(self.path)

    @property
    def permission(self) -> str | None:
        return self.guard["permission"]

    def url(self, ids: dict[str, int]) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in ids, f"{self.id}: no sample id for path parameter {name!r} — add one to the test"
            return str(ids[name])

        return PARAM.sub(fill, self.path)


def _collect() -> tuple[list[Endpoint], list[Any]]:
    folder = tempfile.mkdtemp(prefix="lishui-routes-")
    # Building the app opens no connection: the database is only named.
    app = create_app(load_settings(database_url=f"sqlite:///{folder}/unused.sqlite3", secret_key=TEST_SECRET))
    api, other = served_routes(app.routes)
    endpoints = [Endpoint(m, r.path, r.guard, r.route) for r in api for m in sorted(r.methods)]
    return sorted(endpoints, key=lambda e: (e.path, e.method)), other


ENDPOINTS, OTHER_ROUTES = _collect()


def endpoints(**where: Any) -> list[Endpoint]:
    out = ENDPOINTS
    if "unsafe" in where:
        out = [e for e in out if e.unsafe == where["unsafe"]]
    if "public" in where:
        out = [e for e in out if e.guard["public"] == where["public"]]
    if "with_permission" in where:
        out = [e for e in out if (e.permission is not None) == where["with_permission"]]
    return out


def ids_of(items: list[Endpoint]) -> list[str]:
    return [e.id for e in items]


# ---------------------------------------------------------------- request bodies

# Valid values by field name, for routes whose body must parse before the handler can refuse the request.
# A new required field gets a value here; the failure message says so.
SAMPLE_FIELDS: dict[str, Any] = {
    "name": "样例电子商务有限公司",
    "kind": "enterprise",
    "division_code": "331102",
    "revision": 1,
    "reason": "核对开户信息需要",
    "move_in_date": "2016-01-01",
    "leased_area_m2": "100.00",
    "total_area_m2": "1000.00",
    "role": "reviewer",
    "code": "000000",
    "username": "sample-user",
    "display_name": "样例用户",
    "password": "Sample-Password-42!",
    "current_password": "Sample-Password-42!",
    "new_password": "Other-Password-42!!",
    "confirm_password": "Other-Password-42!!",
    "org_uscc": "91331102MA28C0000" + uscc_check_char("91331102MA28C0000"),
    "uscc": "91331102MA28C0000" + uscc_check_char("91331102MA28C0000"),
    "id_number": "33110219800101001" + resident_check_char("33110219800101001"),
    "amount": "100.00",
    "days": 5,
    "action": "start",
    "score": 5,
    # assessment
    "year": 2017,
    "text": "样例进展",
    "note": "样例说明",
    "due_on": "2017-12-31",
    "until": "2018-03-31",
    "approve": True,
    "grade": "A",
    "indicator": "online_shops",
    "value": "1",
    "items": [{"indicator": "tasks", "weight": "100", "rule": "tasks"}],
    "period": "2017",
    # funds
    "account_confirmed": True,
    "objection": 1,
    "upheld": False,
    "answer": "经核实，异议不成立",
    "general": "1000",
    "rural": "0",
    "measure_id": "M22",
    "item": "统计部门核定的本年度及上年度网络零售额",
    "form": "ENT_MONTHLY_RETAIL",
}


def body_model(endpoint: Endpoint) -> type[BaseModel] | None:
    field = getattr(endpoint.route, "body_field", None)
    return None if field is None else field.field_info.annotation


def is_form(endpoint: Endpoint) -> bool:
    from fastapi.params import Form

    return any(isinstance(p.field_info, Form) for p in endpoint.route.dependant.body_params)


# Where two domains use one field name for different values: the value for routes under a path prefix.
SAMPLE_FIELDS_UNDER: dict[str, dict[str, Any]] = {
    "/api/v1/funds/": {"action": "prelim_pass", "year": 2016},
    "/funds/": {"action": "prelim_pass", "year": 2016},
    "/api/v1/stats/": {"items": [{"period": "2017-01", "values": {}}], "values": {}},
    "/stats/": {"items": [{"period": "2017-01", "values": {}}], "values": {}},
}


def sample_value(endpoint: Endpoint, name: str) -> Any:
    for prefix, values in SAMPLE_FIELDS_UNDER.items():
        if endpoint.path.startswith(prefix) and name in values:
            return values[name]
    return SAMPLE_FIELDS[name]


def sample_body(endpoint: Endpoint, ids: dict[str, int]) -> dict[str, Any]:
    """A body that passes the route's own parsing, so that the handler (and its checks) runs."""
    model = body_model(endpoint)
    if model is None:
        return {}
    body: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        if name == "file":
            continue
        if name.endswith("_id") and name in ids:
            body[name] = ids[name]
            continue
        assert name in SAMPLE_FIELDS or any(name in v for v in SAMPLE_FIELDS_UNDER.values()), (
            f"{endpoint.id}: no sample value for required body field {name!r} — add one to SAMPLE_FIELDS")
        body[name] = sample_value(endpoint, name)
    return body


def call(client: TestClient, endpoint: Endpoint, url: str, *, csrf: str | None = None,
         body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
    """Send one request the way the route expects its body (JSON, form or nothing)."""
    headers = dict(headers or {})
    kwargs: dict[str, Any] = {"headers": headers, "follow_redirects": False}
    if endpoint.unsafe:
        if body is not None:
            if is_form(endpoint) or not endpoint.is_api:
                data = dict(body)
                if csrf is not None:
                    data["csrf_token"] = csrf
                kwargs["data"] = data
            else:
                kwargs["json"] = body
        elif csrf is not None and not endpoint.is_api:
            kwargs["data"] = {"csrf_token": csrf}
        if csrf is not None and endpoint.is_api:
            headers["X-CSRF-Token"] = csrf
    return client.request(endpoint.method, url, **kwargs)
