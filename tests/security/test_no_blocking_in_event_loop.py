"""Every route handler and guard is a plain function: FastAPI runs them in the thread pool. An async handler doing
blocking database work stalls the event loop, and concurrent requests then deadlock on each other's locks
(found by the 20-parallel idempotency test). Forms are read by the async ``posted_form`` dependency instead."""

import inspect

from lishui.web.guard import served_routes

ASYNC_ALLOWED = {"posted_form", "sent_csrf_token"}  # read the request body; no database work


def _calls(dependant):
    stack = [dependant]
    while stack:
        dep = stack.pop()
        if dep.call is not None:
            yield dep.call
        stack.extend(dep.dependencies)


def test_no_route_or_dependency_is_async(app):
    api, _ = served_routes(app.routes)
    offenders = []
    for entry in api:
        for call in _calls(entry.route.dependant):
            if inspect.iscoroutinefunction(call) and call.__name__ not in ASYNC_ALLOWED:
                offenders.append(f"{sorted(entry.methods)} {entry.path}: {call.__name__}")
    assert api and not offenders, offenders
