"""The website in a real browser (Debian's chromium through Playwright), phone and desktop.

Screenshots go to test-output/screenshots/ (named in the README) for a reviewer to look at.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Page, async_playwright

from bot.domain import AnniversaryFields
from bot.formatting import Photo, Style, TextStyle
from bot.ports import ManualClock
from storage.repository import Repository
from tests.images import png
from tests.site.world import Site, open_site

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
HOSTILE_TITLE = '<script>window.pwned=1</script>"><img src=x onerror="window.pwned=2">'
HOSTILE_BODY = (
    "\u05e9\u05dc\u05d5\u05dd \u202eevil RTL\u202c <b>not bold</b>\n"
    '"><img src=x onerror="window.pwned=3"> <script>window.pwned=4</script>\n'
    "A real link and bold text."
)
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)"
)


async def _seed(site: Site) -> dict[str, int]:
    link_at = HOSTILE_BODY.index("real link")
    bold_at = HOSTILE_BODY.index("bold text")
    styles = (
        TextStyle(Style.LINK, link_at, link_at + 9, "https://example.org/"),
        TextStyle(Style.BOLD, bold_at, bold_at + 4),
    )
    ids = {}
    for n in range(23):
        site.clock.advance(60)
        await site.post(f"Announcement number {n}", f"Text of announcement {n}.", tags=("Archive",))
    site.clock.advance(60)
    ids["photo"] = await site.post(
        "Friendship concert", "A concert of Korean songs.\n\nEveryone is welcome.",
        tags=("Friends of Korea", "Culture"), photo=Photo(png(240, 160), "image/png"),
    )
    site.clock.advance(60)
    ids["hostile"] = await site.post(HOSTILE_TITLE, HOSTILE_BODY, tags=("Culture",), styles=styles)
    await site.anniversaries.add(
        AnniversaryFields(title="Liberation Day", month=8, day=15, year=1945,
                          tags=("Friends of Korea",)),
        actor="cli:test",
    )
    return ids


async def _open(page: Page, url: str) -> None:
    response = await page.goto(url)
    assert response is not None, url
    assert response.status == 200, url
    width = await page.evaluate("document.documentElement.scrollWidth")
    viewport = await page.evaluate("window.innerWidth")
    assert width <= viewport, f"{url} scrolls sideways: {width} > {viewport}"
    assert await page.evaluate("window.pwned === undefined"), url


async def _links(page: Page, origin: str) -> set[str]:
    hrefs: list[str] = await page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    found = {h.split("#")[0] for h in hrefs if h.startswith(origin)}
    found |= set(await page.eval_on_selector_all(
        "link[rel=alternate], link[rel=stylesheet], img[src]",
        "els => els.map(e => e.href || e.src)",
    ))
    return {h for h in found if h.startswith(origin)}


async def _walk(browser: Browser, site: Site, ids: dict[str, int], name: str) -> set[str]:
    width, height = SIZES[name]
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: errors.append("dialog: " + d.message))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    origin = site.url("/").rstrip("/")
    pages = {
        "latest": "/", "latest-2": "/?page=2", "permalink": f"/announcements/{ids['photo']}",
        "hostile": f"/announcements/{ids['hostile']}", "tag": "/tags/friends_of_korea",
        "tags": "/tags", "search": "/search?q=korean+songs", "anniversaries": "/anniversaries",
        "russian": "/?lang=ru", "korean": f"/announcements/{ids['photo']}?lang=ko",
    }
    links: set[str] = set()
    for label, path in pages.items():
        await _open(page, origin + path)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True)
        links |= await _links(page, origin)
    await page.goto(origin + f"/announcements/{ids['hostile']}")
    assert await page.inner_text("h1") == HOSTILE_TITLE
    body = await page.inner_text(".body")
    assert "<b>not bold</b>" in body
    assert "<script>window.pwned=4</script>" in body
    assert "\u202eevil RTL" in body
    assert await page.locator("main img").count() == 0
    assert await page.locator("main script").count() == 0
    assert await page.get_attribute(".body a", "href") == "https://example.org/"
    await page.goto(origin + "/search")
    await page.fill("#q", "concert")
    await page.click("form.search button")
    assert "Friendship concert" in await page.inner_text("main")
    await context.close()
    assert errors == [], errors
    return links


async def test_pages_in_a_real_browser(repo: Repository, clock: ManualClock) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with open_site(repo, clock) as site, async_playwright() as driver:
        ids = await _seed(site)
        browser = await driver.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            links = set()
            for name in SIZES:
                links |= await _walk(browser, site, ids, name)
        finally:
            await browser.close()
        broken = []
        for url in sorted(links):
            response = await site.client.get(urlsplit(url).path + (
                "?" + urlsplit(url).query if urlsplit(url).query else ""))
            await response.read()
            if response.status != 200:
                broken.append((url, response.status))
    assert len(links) > 20
    assert broken == []
