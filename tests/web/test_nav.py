"""The side navigation: each section once, in one block, whatever order numbers the subsystems chose."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from lishui.core.actor import system_actor
from lishui.web import nav
from lishui.web.nav import NavEntry, menu_for, register
from tests.factories import login


def test_every_section_appears_once_for_an_officer_who_sees_them_all(app, factory):
    client = login(TestClient(app, base_url="http://127.0.0.1"), factory.account("city_officer"))
    page = client.get("/")
    assert page.status_code == 200
    sections = re.findall(r'<div class="side-section">([^<]+)</div>', page.text)
    assert len(sections) >= 6 and len(sections) == len(set(sections)), sections
    assert sections[0] == "工作台" and "统计监测" in sections and "专项资金" in sections


def test_a_section_keeps_its_entries_together_and_in_order(monkeypatch):
    monkeypatch.setattr(nav, "_ENTRIES", list(nav._ENTRIES))  # the entries added here leave with the test
    register(NavEntry("测试栏目", "后一项", "Later", "/zz-test/later", None, order=5005))
    register(NavEntry("测试栏目", "前一项", "Earlier", "/zz-test/earlier", None, order=5))
    menu = [e for e in menu_for(system_actor("test")) if e.section == "测试栏目"]
    assert [e.label for e in menu] == ["前一项", "后一项"]
    everything = [e.section for e in menu_for(system_actor("test"))]
    runs = [s for i, s in enumerate(everything) if i == 0 or everything[i - 1] != s]
    assert len(runs) == len(set(runs)), runs
