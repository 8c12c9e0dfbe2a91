"""The dashboard's pages: each section's path serves its page to a logged-in browser and the login
page to anyone else; the page's navigation (nav.js) lists the sections of sections.py, in order."""

from __future__ import annotations

import re

from tests.api.web.rig import Rig
from thinggate.api.web.pages import LOGIN_PAGE, STATIC_DIR
from thinggate.api.web.sections import SECTIONS


def nav_sections() -> list[tuple[str, str]]:
    """The (path, label) rows of static/nav.js's SECTIONS list."""
    source = (STATIC_DIR / "nav.js").read_text()
    listed = re.search(r"export const SECTIONS = \[(.*?)\];", source, re.S)
    assert listed is not None, "nav.js has no SECTIONS list"
    return re.findall(r'\{\s*path:\s*"([^"]+)",\s*label:\s*"([^"]+)"\s*\}', listed.group(1))


def test_the_navigation_lists_every_section_in_order() -> None:
    assert nav_sections() == [(section.path, section.label) for section in SECTIONS]


def test_every_section_has_its_page_and_a_translated_label() -> None:
    table = (STATIC_DIR / "i18n" / "en.json").read_text()
    for section in SECTIONS:
        assert (STATIC_DIR / section.page).is_file(), section.page
        assert f'"{section.label}":' in table, section.label


async def test_each_section_is_its_page_once_logged_in_and_the_login_page_before(rig: Rig) -> None:
    login_page = (STATIC_DIR / LOGIN_PAGE).read_bytes()
    stranger = rig.client()
    member = await rig.logged_in()
    for section in SECTIONS:
        before = await stranger.get(section.path)
        assert before.status_code == 200 and before.content == login_page, section.path
        after = await member.get(section.path)
        assert after.status_code == 200 and after.content == (STATIC_DIR / section.page).read_bytes(), section.path
        assert after.headers["vary"] == "Cookie"
