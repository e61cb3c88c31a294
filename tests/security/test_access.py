"""Deny by default, object-level scope and CSRF, over every route of the app (parametrised from app.routes)."""

from __future__ import annotations

import pytest
from fastapi import Depends, FastAPI
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from lishui.identity.roles import ROLES
from lishui.main import UnguardedRoute, check_guards
from lishui.web.guard import require
from tests.factories import login
from tests.security.conftest import World, csrf_token_of
from tests.security.routes import (
    ENDPOINTS,
    OTHER_ROUTES,
    Endpoint,
    call,
    endpoints,
    ids_of,
    sample_body,
)
from tests.stats.security_samples import any_stats_ids, stats_records

# The only routes anyone may call without signing in.
PUBLIC_ALLOW_LIST = {
    "GET /login", "POST /login", "GET /lang", "GET /healthz", "GET /api/docs", "GET /api/openapi.json",
    "GET /calculator",
}
# Routes for any signed-in user, whatever the role: the account itself and the home page.
SIGNED_IN_ALLOW_LIST = {
    "GET /", "POST /logout", "GET /account/password", "POST /account/password", "GET /account/mfa",
    "POST /account/mfa", "GET /api/v1/me",
}

# Path parameters naming records that belong to an organisation or a county: scope must hide them.
OBJECT_PARAMS = {"org_id", "park_id", "person_id", "run_id"}
OBJECT_PARAMS |= {"submission_id", "exception_id"}  # statistics reports and lock exceptions
# Path parameters of records only city-wide administrators reach (no data scope to apply).
CITY_ONLY_PARAMS = {"user_id", "token_id"}

# Role order when a test needs "some role": roles without a second factor first, then by table order.
ROLE_ORDER = sorted(ROLES, key=lambda code: (ROLES[code].mfa_required, list(ROLES).index(code)))


def lacking(permission: str) -> str | None:
    return next((code for code in ROLE_ORDER if permission not in ROLES[code].permissions), None)


def holding(permission: str) -> list[str]:
    return [code for code in ROLE_ORDER if permission in ROLES[code].permissions]


def any_ids(world: World) -> dict[str, int]:
    """An existing record for every path parameter."""
    if "token_id" not in world.ids:
        from lishui.identity.models import ApiToken

        world.token("enterprise_user")
        with world.db.unit_of_work() as session:
            world.ids["token_id"] = session.query(ApiToken.id).order_by(ApiToken.id.desc()).first()[0]
    return {"org_id": world.ids["ent_b"], "park_id": world.ids["park_b"], "person_id": world.ids["person_b"],
            "user_id": world.account("enterprise_user").user_id, "token_id": world.ids["token_id"],
            **policy_samples(world), **any_stats_ids(world)}


def policy_samples(world: World) -> dict[str, int | str]:
    """A pack, a parameter and a measure of the shipped city pack; a city-wide batch run."""
    return {"key": "lishui-2015@2015.1", "name": "m03_cap", "measure": "M03", "run_id": policy_runs(world)["city"]}


def policy_runs(world: World) -> dict[str, int]:
    """Batch runs started by a city officer, a Liandu (331102) and a Jinyun (331122) county officer, once."""
    if "run_city" not in world.ids:
        from lishui.policy import service as policy

        pack = policy.resolve_pack("lishui-2015")
        starters = {"city": world.account("city_officer"), "liandu": world.account("county_officer"),
                    "jinyun": world.factory.account("county_officer", division="331122")}
        for key, account in starters.items():
            actor = world.factory.actor(account)
            with world.db.unit_of_work() as session:
                world.ids[f"run_{key}"] = policy.run_batch(session, actor, pack, 2017).id
    return {key: world.ids[f"run_{key}"] for key in ("city", "liandu", "jinyun")}


def assert_error_json(resp, status: int, code: str) -> None:
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    body = resp.json()
    assert set(body) == {"code", "message", "fields"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]


# ---------------------------------------------------------------- the route table itself

def test_the_suite_sees_the_routes():
    assert len(ENDPOINTS) >= 50, "route discovery found too few routes: is app.routes flattened?"


def test_every_route_has_a_guard_and_nothing_else_is_served():
    assert all(e.guard is not None for e in ENDPOINTS)
    assert [type(r) for r in OTHER_ROUTES] == [Mount], "only the static mount may serve outside API routes"
    assert isinstance(OTHER_ROUTES[0].app, StaticFiles)


def test_public_routes_are_exactly_the_allow_list():
    assert set(ids_of(endpoints(public=True))) == PUBLIC_ALLOW_LIST


def test_routes_without_a_permission_are_exactly_the_signed_in_list():
    assert set(ids_of(endpoints(public=False, with_permission=False))) == SIGNED_IN_ALLOW_LIST


def test_every_permission_is_held_by_some_role():
    for e in endpoints(with_permission=True):
        assert holding(e.permission), f"{e.id}: no role holds {e.permission}"


def test_the_app_refuses_to_start_with_an_unguarded_route():
    from fastapi import APIRouter

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    router = APIRouter(prefix="/x")

    @router.get("/open")
    def open_route() -> dict[str, str]:
        return {}

    app.include_router(router)
    with pytest.raises(UnguardedRoute, match="/x/open"):
        check_guards(app)

    with pytest.raises(UnguardedRoute, match="/docs"):  # FastAPI's own docs routes carry no guard
        check_guards(FastAPI())

    guarded = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @guarded.get("/closed")
    def closed(_: object = Depends(require("a:b:c"))) -> dict[str, str]:
        return {}

    check_guards(guarded)


# ---------------------------------------------------------------- deny by default

@pytest.mark.parametrize("endpoint", endpoints(public=False), ids=ids_of(endpoints(public=False)))
def test_anonymous_is_refused(world: World, endpoint: Endpoint):
    client = world.anonymous()
    csrf = csrf_token_of(client) if endpoint.unsafe else None
    resp = call(client, endpoint, endpoint.url(any_ids(world)), csrf=csrf)
    if endpoint.is_api:
        assert_error_json(resp, 401, "unauthenticated")
    else:
        assert resp.status_code == 303, (resp.status_code, resp.text[:300])
        assert resp.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("endpoint", endpoints(public=True, unsafe=False),
                         ids=ids_of(endpoints(public=True, unsafe=False)))
def test_public_pages_answer_anonymous(world: World, endpoint: Endpoint):
    resp = call(world.anonymous(), endpoint, endpoint.url({}))
    assert resp.status_code in (200, 303), resp.status_code
    assert not resp.headers.get("location", "").startswith("/login?next=")


# Permissions every role holds (reference data any signed-in user may read): nobody to refuse.
UNIVERSAL_PERMISSIONS = {"registry:division:read"}
GUARDED = [e for e in endpoints(with_permission=True) if lacking(e.permission)]


def test_only_reference_data_is_open_to_every_role():
    assert {e.permission for e in endpoints(with_permission=True) if not lacking(e.permission)} \
        <= UNIVERSAL_PERMISSIONS


@pytest.mark.parametrize("endpoint", GUARDED, ids=ids_of(GUARDED))
def test_a_role_without_the_permission_is_refused(world: World, endpoint: Endpoint):
    role = lacking(endpoint.permission)
    assert role is not None
    client = world.client(role)
    csrf = csrf_token_of(client) if endpoint.unsafe else None
    resp = call(client, endpoint, endpoint.url(any_ids(world)), csrf=csrf,
                headers={"Accept": "application/json"})
    assert_error_json(resp, 403, "forbidden")
    if not endpoint.is_api:
        page = call(client, endpoint, endpoint.url(any_ids(world)), csrf=csrf)
        assert page.status_code == 403 and "text/html" in page.headers["content-type"]


GUARDED_READS = endpoints(with_permission=True, unsafe=False)


@pytest.mark.parametrize("endpoint", GUARDED_READS, ids=ids_of(GUARDED_READS))
def test_a_role_with_the_permission_is_admitted(world: World, endpoint: Endpoint):
    """The control for the test above: the guard is not simply refusing everyone."""
    city_roles = [r for r in holding(endpoint.permission) if ROLES[r].scope == "city"]
    role = (city_roles or holding(endpoint.permission))[0]
    resp = call(world.client(role), endpoint, endpoint.url(any_ids(world)))
    assert resp.status_code == 200, (role, resp.status_code, resp.text[:300])


# ---------------------------------------------------------------- object level

def test_every_id_parameter_is_classified():
    for e in ENDPOINTS:
        for name in e.params:
            if name.endswith("_id"):
                assert name in OBJECT_PARAMS | CITY_ONLY_PARAMS, (
                    f"{e.id}: classify path parameter {name!r} in OBJECT_PARAMS or CITY_ONLY_PARAMS")


def test_city_only_records_are_reached_only_by_city_wide_roles():
    for e in ENDPOINTS:
        if set(e.params) & CITY_ONLY_PARAMS and e.permission:
            scopes = {ROLES[r].scope for r in holding(e.permission)}
            assert scopes == {"city"}, f"{e.id}: {e.permission} is held by a scoped role"


OBJECT_ENDPOINTS = [e for e in ENDPOINTS if set(e.params) & OBJECT_PARAMS]
SCOPED_ROLES = {"enterprise_user": "org", "county_officer": "division"}
OBJECT_CASES = [(e, role) for e in OBJECT_ENDPOINTS for role in SCOPED_ROLES
                if e.permission in ROLES[role].permissions]


def test_object_routes_without_a_scoped_role_are_city_only():
    covered = {e.id for e, _ in OBJECT_CASES}
    for e in OBJECT_ENDPOINTS:
        if e.id not in covered:
            for role in holding(e.permission):
                assert ROLES[role].scope == "city", (
                    f"{e.id}: held by the scoped role {role}; add it to SCOPED_ROLES so the test covers it")
    assert len(OBJECT_CASES) >= 10


def _records(world: World, role: str, *, own: bool) -> dict[str, int]:
    ids = world.ids
    if role == "enterprise_user":
        keys = ("ent_a", "park_a", "person_a") if own else ("ent_b", "park_b", "person_b")
    else:  # a county officer of Liandu (331102)
        keys = ("ent_b", "park_b", "person_b") if own else ("ent_far", "park_far", "person_far")
    # Batch runs: a county officer sees its county's runs, not another county's (nor city-wide ones).
    run = policy_runs(world)["liandu" if own else "jinyun"]
    return {"org_id": ids[keys[0]], "park_id": ids[keys[1]], "person_id": ids[keys[2]], "run_id": run,
            **stats_records(world, role, own=own)}


@pytest.mark.parametrize(("endpoint", "role"), OBJECT_CASES, ids=[f"{r} {e.id}" for e, r in OBJECT_CASES])
def test_another_scopes_record_is_not_found(world: World, endpoint: Endpoint, role: str):
    """Enterprise A asking for B's record, or a Liandu county officer for a Jinyun record: 404, as if absent."""
    client = world.client(role)
    url = endpoint.url(_records(world, role, own=False))
    csrf = csrf_token_of(client) if endpoint.unsafe else None
    body = sample_body(endpoint, {"org_id": world.ids["ent_a"]}) if endpoint.unsafe else None
    resp = call(client, endpoint, url, csrf=csrf, body=body, headers={"Accept": "application/json"})
    assert_error_json(resp, 404, "not_found")


OWN_READS = [(e, r) for e, r in OBJECT_CASES if not e.unsafe]


@pytest.mark.parametrize(("endpoint", "role"), OWN_READS, ids=[f"{r} {e.id}" for e, r in OWN_READS])
def test_the_own_scopes_record_is_shown(world: World, endpoint: Endpoint, role: str):
    """The control: the same role reading a record in its own scope gets it."""
    resp = call(world.client(role), endpoint, endpoint.url(_records(world, role, own=True)))
    assert resp.status_code == 200, (resp.status_code, resp.text[:300])


# ---------------------------------------------------------------- CSRF

UNSAFE_ENDPOINTS = endpoints(unsafe=True)


@pytest.mark.parametrize("endpoint", UNSAFE_ENDPOINTS, ids=ids_of(UNSAFE_ENDPOINTS))
def test_cookie_session_without_csrf_token_is_refused(world: World, endpoint: Endpoint):
    client = world.client("city_officer")
    url = endpoint.url(any_ids(world))
    no_token = call(client, endpoint, url, body={"x": "1"} if not endpoint.is_api else None,
                    headers={"Accept": "application/json"})
    assert_error_json(no_token, 403, "csrf_failed")
    foreign = csrf_token_of(world.client("county_officer"))
    assert foreign != csrf_token_of(client)
    forged = call(client, endpoint, url, csrf=foreign, headers={"Accept": "application/json"})
    assert_error_json(forged, 403, "csrf_failed")
    if not endpoint.is_api:
        page = call(client, endpoint, url, csrf=foreign)
        assert page.status_code == 403


@pytest.mark.parametrize("endpoint", UNSAFE_ENDPOINTS, ids=ids_of(UNSAFE_ENDPOINTS))
def test_the_sessions_own_csrf_token_passes(world: World, endpoint: Endpoint):
    """The control: with its own token the same request gets past the CSRF check (a fresh session, as the
    handler may run: e.g. sign-out)."""
    client = login(world.new_client(), world.account("city_officer"))
    resp = call(client, endpoint, endpoint.url(any_ids(world)), csrf=csrf_token_of(client),
                headers={"Accept": "application/json"})
    if resp.status_code == 403:
        assert resp.json()["code"] != "csrf_failed"


def test_the_anonymous_login_form_needs_its_token(world: World):
    client = world.anonymous()
    resp = client.post("/login", data={"username": "x", "password": "y"}, headers={"Accept": "application/json"})
    assert_error_json(resp, 403, "csrf_failed")
    other = world.anonymous()
    resp = client.post("/login", data={"username": "x", "password": "y", "csrf_token": csrf_token_of(other)},
                       headers={"Accept": "application/json"})
    assert_error_json(resp, 403, "csrf_failed")


API_UNSAFE = [e for e in UNSAFE_ENDPOINTS if e.is_api]


@pytest.mark.parametrize("endpoint", API_UNSAFE, ids=ids_of(API_UNSAFE))
def test_bearer_token_calls_need_no_csrf_token(world: World, endpoint: Endpoint):
    token = world.token("city_officer")
    resp = call(world.anonymous(), endpoint, endpoint.url(any_ids(world)),
                headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code != 401, resp.text[:300]
    if resp.status_code == 403:
        assert resp.json()["code"] != "csrf_failed"
