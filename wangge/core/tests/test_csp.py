"""Every page runs only our own static scripts: it sends a Content-Security-Policy whose script-src and
style-src have no 'unsafe-inline', and its HTML holds no inline <script> with content (data in
<script type="application/json"> aside), no `on*=` handler, no style attribute and no <style> block.

The staff pages walked are the jurisdiction matrix's page rows (every app's tests/scope_rows.py), each asked
by every role that may use it, at a region or record inside that role's area; and the menu of every role
(core/shell.py), each of whose links must open for that role (no menu link answers 403).
"""
import re

import pytest
from django.conf import settings

from wangge.core.roles import Role
from wangge.core.tests.test_jurisdiction_matrix import ROWS, _targets, matrix_world  # noqa: F401

# Pages still allowed inline scripts and styles (the measures pages, until the measures engine's static chart
# script has merged): the one list in settings, which the lead empties then.
INLINE_ALLOWED = tuple(settings.WANGGE_CSP_INLINE_ALLOWED)

PAGE_ROWS = [row for row in ROWS if not row.url.startswith("/api/")
             and not row.url.split("?")[0].endswith((".json", ".docx"))]
PUBLIC_PAGES = ["/login/", "/portal/", "/portal/report/", "/portal/track/", "/portal/grid-worker/",
                "/portal/dispute/"]

INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
HANDLER = re.compile(r"<[a-z][^>]*?\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*?\sstyle\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)


def assert_runs_only_our_files(response, where: str):
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    if INLINE_ALLOWED and response.request["PATH_INFO"].startswith(INLINE_ALLOWED):
        return
    for directive in ("script-src", "style-src"):
        assert "'self'" in policy[directive] and "unsafe" not in policy[directive], f"{where}: {directive}"
    html = response.content.decode()
    for attributes, content in INLINE_SCRIPT.findall(html):
        if content.strip():
            assert 'type="application/json"' in attributes, f"{where}: an inline script: {content[:80]!r}"
    for pattern, what in ((HANDLER, "an on*= handler"), (STYLE_ATTRIBUTE, "a style attribute"),
                          (STYLE_BLOCK, "a <style> block")):
        found = pattern.search(html)
        assert not found, f"{where}: {what}: {html[found.start():found.start() + 120]!r}"


def _url(row, world, user):
    if row.about_a_region:
        inside, _outside = _targets(row, user)
        return row.url.format(code=inside[-1].code) if inside else None
    if row.about_a_record:
        inside, _outside = row.objects(world, user)
        return row.url.format(id=inside[0]) if inside else None
    return row.url


@pytest.mark.parametrize("row", PAGE_ROWS, ids=lambda r: r.name)
def test_staff_pages_run_only_our_files(matrix_world, client, row):  # noqa: F811
    if row.setup:
        row.setup(matrix_world)
    asked = 0
    for role, user in matrix_world.users.items():
        if row.roles is not None and role not in row.roles:
            continue
        url = _url(row, matrix_world, user)
        if url is None:
            continue
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, f"{row.name} as {role}: {response.status_code}"
        assert_runs_only_our_files(response, f"{row.name} as {role}")
        asked += 1
    assert asked or row.roles == (), f"{row.name}: no role asked"


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_run_only_our_files(world, client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_runs_only_our_files(response, url)


@pytest.mark.parametrize("role", list(Role))
def test_every_menu_link_opens_for_its_role(world, client, role):
    """The menu shows a role only what it may use: each link answers 200, not 403, and carries the policy."""
    user = world.users[role]
    client.force_login(user)
    response = client.get("/", follow=True)  # a department handler or a mediator lands on their work
    assert response.status_code == 200
    assert_runs_only_our_files(response, f"home as {role}")
    nav = response.content.decode()
    nav = nav[nav.index('id="mainnav"'):nav.index("</nav>", nav.index('id="mainnav"'))]
    links = re.findall(r'<a href="([^"]+)"', nav)
    assert links[0] == "/" and len(links) == len(set(links))
    for link in links[1:]:
        answer = client.get(link, follow=True)
        assert answer.status_code == 200, f"{role}: {link} answers {answer.status_code}"
        if not link.startswith(INLINE_ALLOWED):
            assert_runs_only_our_files(answer, f"{link} as {role}")
