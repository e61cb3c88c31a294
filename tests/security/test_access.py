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
    "GET /showcase", "GET /showcase/product", "GET /showcase/collection", "GET /showcase/go", "GET /showcase/image",
    "GET /providers", "GET /policy-lookup", "GET /showcase/enterprise",
    "GET /providers/detail",
    "GET /funds/public/notices", "POST /funds/public/objections", "GET /funds/public/awards",
}
# Routes for any signed-in user, whatever the role: the account itself and the home page; the public showcase and
# provider directory as data (the pages are public; the API wants a token, like every documented operation).
SIGNED_IN_ALLOW_LIST = {
    "GET /", "POST /logout", "GET /account/password", "POST /account/password", "GET /account/mfa",
    "POST /account/mfa", "GET /api/v1/me", "GET /api/v1/marketplace/products", "GET /api/v1/marketplace/providers",
}

# Path parameters naming records that belong to an organisation or a county: scope must hide them.
OBJECT_PARAMS = {"org_id", "park_id", "person_id", "run_id", "demand_id", "quote_id", "engagement_id",
                 "offering_id", "product_id", "task_id", "claim_id"}
OBJECT_PARAMS |= {"submission_id", "exception_id"}  # statistics reports and lock exceptions
# Path parameters of records only city-wide administrators reach (no data scope to apply).
CITY_ONLY_PARAMS = {"user_id", "token_id", "provider_id", "bulletin_id", "batch_id"}

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
            **policy_samples(world), **marketplace_samples(world), "task_id": assessment_tasks(world)["liandu"],
            "bulletin_id": assessment_bulletin(world), **funds_samples(world), **any_stats_ids(world)}


def marketplace_samples(world: World) -> dict[str, int]:
    """Demands, quotes and engagements of enterprises A and B with providers A (the provider_user's) and B, and a
    demand of B private to provider B; a pending provider. Made once per module."""
    if "demand_a" not in world.ids:
        from datetime import timedelta

        from lishui.core import clock
        from lishui.core.files import store
        from lishui.marketplace import service as market
        from lishui.marketplace import showcase
        from lishui.registry import service as registry

        system = world.factory.system
        provider_orgs = {"a": world.account("provider_user").org_id,
                         "b": world.factory.org(kind="service_provider", name="乙电商服务有限公司"),
                         "pending": world.factory.org(kind="service_provider", name="待审电商服务有限公司")}
        actors = {}
        for key, org_id in provider_orgs.items():
            account = world.factory.account("provider_user", org_id=org_id) if key != "a" \
                else world.account("provider_user")
            actors[key] = world.factory.actor(account)
            document = ("营业执照.pdf", store(world.settings.upload_dir / "providers", b"%PDF-1.4 licence")[0])
            with world.db.unit_of_work() as session:
                provider = market.apply_as_provider(session, actors[key], display_name=f"服务商{key}",
                                                    kind="design", document=document)
                world.ids[f"provider_{key}"] = provider.id
                if key != "pending":
                    market.review_provider(session, system, provider.id, approve=True)
            if key != "pending":
                with world.db.unit_of_work() as session:
                    world.ids[f"offering_{key}"] = market.create_offering(
                        session, actors[key], category="design", title=f"设计{key}", price_min="1",
                        price_max="2").id
        enterprises = {"a": world.factory.actor(world.account("enterprise_user")),
                       "b": world.factory.actor(world.factory.account("enterprise_user", org_id=world.ids["ent_b"]))}
        deadline = clock.today() + timedelta(days=30)
        stored, _ = store(world.settings.upload_dir / "demands", b"%PDF-1.4 sample attachment")
        for key in ("a", "b"):
            with world.db.unit_of_work() as session:
                demand = market.create_demand(session, enterprises[key], category="design", title=f"需求{key}",
                                              budget="1000", deadline=deadline, attachment=("需求说明.pdf", stored))
                quote = market.submit_quote(session, actors[key], demand.id, amount="900", days=5)
                engagement = market.accept_quote(session, enterprises[key], quote.id)
                world.ids[f"demand_{key}"], world.ids[f"quote_{key}"] = demand.id, quote.id
                world.ids[f"engagement_{key}"] = engagement.id
                world.ids[f"product_{key}"] = showcase.create_product(
                    session, enterprises[key], showcase.ProductInput(name=f"产品{key}", category="tea")).id
        # The provider's own registry records (it is a scoped role for the registry routes as well).
        world.ids["prov_org"] = provider_orgs["a"]
        world.ids["prov_park"] = world.factory.park_tenant(provider_orgs["a"])
        with world.db.unit_of_work() as session:
            world.ids["prov_person"] = registry.create_person(
                session, system, name="服务商员工", id_number=world.factory.resident_id(), division_code="331102",
                org_id=provider_orgs["a"]).id
        with world.db.unit_of_work() as session:
            private = market.create_demand(session, enterprises["b"], category="design", title="乙的不公开需求",
                                           budget="1000", deadline=deadline, is_private=True,
                                           invite=[world.ids["provider_b"]])
            world.ids["demand_private"] = private.id
    return {"demand_id": world.ids["demand_a"], "quote_id": world.ids["quote_a"],
            "engagement_id": world.ids["engagement_a"], "provider_id": world.ids["provider_pending"],
            "offering_id": world.ids["offering_a"], "product_id": world.ids["product_a"]}


def assessment_bulletin(world: World) -> int:
    """A published progress bulletin."""
    if "bulletin" not in world.ids:
        from lishui.assessment import bulletins

        with world.db.unit_of_work() as session:
            world.ids["bulletin"] = bulletins.publish(session, world.factory.system, "2017").id
    return world.ids["bulletin"]


def assessment_tasks(world: World) -> dict[str, int]:
    """A responsibility task of Liandu (with a progress report and attachment) and one of Jinyun."""
    if "task_liandu" not in world.ids:
        import datetime as dt

        from sqlalchemy import select

        from lishui.assessment import tasks
        from lishui.assessment.models import Task

        with world.db.unit_of_work() as session:
            tasks.generate(session, world.factory.system, pack_key="lishui-2015", year=2017)
            for key, unit in (("liandu", "莲都区人民政府"), ("jinyun", "缙云县人民政府")):
                world.ids[f"task_{key}"] = session.scalar(select(Task.id).where(Task.unit_name == unit).limit(1))
            tasks.report_progress(session, world.factory.system, world.ids["task_liandu"], text="进展", figures={},
                                  attachment=("a.pdf", b"%PDF-1.4 x"), upload_dir=world.settings.upload_dir)
            assert dt.date(2017, 12, 31) == session.get(Task, world.ids["task_liandu"]).due_on
    return {"liandu": world.ids["task_liandu"], "jinyun": world.ids["task_jinyun"]}


def policy_samples(world: World) -> dict[str, int | str]:
    """A pack, a parameter and a measure of the shipped city pack; a city-wide batch run."""
    return {"key": "lishui-2015@2015.1", "name": "m03_cap", "measure": "M03", "run_id": policy_runs(world)["city"]}


def funds_samples(world: World) -> dict[str, int]:
    """Claims of enterprise A, B (Liandu), the Jinyun enterprise and the provider_user's organisation, and a payment
    batch, once."""
    if "claim_a" not in world.ids:
        from lishui.core.money import Money
        from lishui.funds.models import Claim, PaymentBatch

        marketplace_samples(world)  # the provider_user's organisation
        with world.db.unit_of_work() as session:
            for key, org in (("claim_a", "ent_a"), ("claim_b", "ent_b"), ("claim_far", "ent_far"),
                             ("claim_prov", "prov_org")):
                claim = Claim(org_id=world.ids[org], division_code="331122" if key == "claim_far" else "331102",
                              measure_id="M22", measure_title="网络零售额增长奖励", pack_key="lishui-2015@2015.1",
                              year=2016, budget_line="general", live_key=f"{world.ids[org]}:M22:2016",
                              state="submitted", amount=Money(1_000_000), estimate=Money(1_000_000))
                session.add(claim)
                session.flush()
                world.ids[key] = claim.id
            batch = PaymentBatch(year=2016, created_by="tests")
            session.add(batch)
            session.flush()
            world.ids["batch"] = batch.id
    return {"claim_id": world.ids["claim_b"], "batch_id": world.ids["batch"]}


def policy_runs(world: World) -> dict[str, int]:
    """Batch runs started by a city officer, a Liandu (331102) and a Jinyun (331122) county officer, once."""
    if "run_city" not in world.ids:
        from lishui.policy import service as policy

        pack = policy.resolve_pack("lishui-2015")
        world.factory.publish_packs()
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
SCOPED_ROLES = {"enterprise_user": "org", "county_officer": "division", "provider_user": "org"}
OBJECT_CASES = [(e, role) for e in OBJECT_ENDPOINTS for role in SCOPED_ROLES
                if e.permission in ROLES[role].permissions]
# Approvers are division-scoped too (a Liandu approver here): approving another county's claim is not found.
OBJECT_CASES += [(e, "approver") for e in OBJECT_ENDPOINTS if e.permission == "funds:claim:approve"]


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
    elif role == "provider_user":
        marketplace_samples(world)
        keys = ("prov_org", "prov_park", "prov_person") if own else ("ent_b", "park_b", "person_b")
    else:  # a county officer of Liandu (331102)
        keys = ("ent_b", "park_b", "person_b") if own else ("ent_far", "park_far", "person_far")
    # Batch runs: a county officer sees its county's runs, not another county's (nor city-wide ones).
    run = policy_runs(world)["liandu" if own else "jinyun"]
    marketplace_samples(world)
    # Marketplace: enterprise A's demand, quote and engagement, or B's; provider A sees A's public demand and its
    # own engagement, never B's demand that is private to provider B.
    if role == "provider_user":
        market = {"demand_id": ids["demand_a" if own else "demand_private"], "quote_id": ids["quote_a"],
                  "engagement_id": ids["engagement_a" if own else "engagement_b"], "product_id": ids["product_a"],
                  "offering_id": ids["offering_a" if own else "offering_b"]}
    else:
        market = {f"{name}_id": ids[f"{name}_{'a' if own else 'b'}"]
                  for name in ("demand", "quote", "engagement", "product", "offering")}
    funds_samples(world)
    if role == "enterprise_user":
        claim = ids["claim_a" if own else "claim_b"]
    elif role == "provider_user":
        claim = ids["claim_prov" if own else "claim_a"]
    else:
        claim = ids["claim_b" if own else "claim_far"]
    # Responsibility tasks: a county officer sees its county's tasks only.
    task = assessment_tasks(world)["liandu" if own else "jinyun"]
    return {"org_id": ids[keys[0]], "park_id": ids[keys[1]], "person_id": ids[keys[2]], "run_id": run, **market,
            "task_id": task, "claim_id": claim, **stats_records(world, role, own=own)}


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
