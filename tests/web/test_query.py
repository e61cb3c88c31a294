"""A filter form submitted with empty fields (``year=``) is read as if those fields were left out, on every page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from lishui.web.middleware import without_empty_parameters
from tests.factories import login

PAGES = ["/funds/claims?state=&division=&measure=&year=&age=", "/assessment/tasks?year=&division=&colour=&unit=",
         "/assessment/dashboard?indicator=&division=&year=&grain=year",
         "/stats/indicators?indicator=&year=&granularity=", "/registry/orgs?q=&kind=&division=&page=",
         "/assessment/scorecards?year=&sort=", "/assessment/targets?division=&year=", "/funds/budget?year=",
         "/stats/submissions?form=&flagged=&page="]


def test_empty_pairs_are_dropped_and_the_rest_kept_as_sent():
    assert without_empty_parameters(b"year=&q=%E4%B8%BD&page=2&flagged=") == b"q=%E4%B8%BD&page=2"
    assert without_empty_parameters(b"a=1&&b=") == b"a=1"
    assert without_empty_parameters(b"x==") == b""


@pytest.mark.parametrize("url", PAGES)
def test_a_filter_form_with_empty_fields_shows_the_page(app, factory, url):
    client = login(TestClient(app, base_url="http://127.0.0.1"), factory.account("city_officer"))
    assert client.get(url).status_code == 200, url
