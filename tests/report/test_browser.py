"""The report in a real browser (Debian's chromium, driven by Playwright): the gallery renders,
filters, search and paging change what is shown, and planted markup stays inert text."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mmrecipe.report import write_report

from .conftest import ONERROR, SCRIPT, record, write_run

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless chromium; fails (never skips) when it is missing, so CI cannot pass silently."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Debian's chromium is not installed: `apt-get install chromium` "
            "(scripts/test.sh does it as root); the report's browser test needs it"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def _open(browser: Any, path: Path, fragment: str = "") -> tuple[Any, list[str]]:
    page = browser.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    page.goto(path.resolve().as_uri() + fragment)
    page.wait_for_selector("#cards[data-rendered]")
    return page, messages


def _ids(page: Any) -> list[str]:
    return page.eval_on_selector_all(".card", "cs => cs.map(c => c.dataset.id)")


def test_gallery_filters_and_payloads(browser: Any, small_run: Path, tmp_path: Path) -> None:
    report = write_report(small_run, tmp_path / "report.html")
    page, messages = _open(browser, report)

    assert page.locator(".card").count() == 36
    assert page.text_content("#count").startswith("36 matching")
    assert page.locator(".card.rejected").count() == 12
    assert page.locator(".card .thumbs img").count() >= 24

    # the planted payloads show as literal text and never ran
    assert page.evaluate("typeof window.__pwned") == "undefined"
    for sid in ("k01", "k02", "r11"):
        assert SCRIPT in page.text_content(f'.card[data-id="{sid}"]')
        assert ONERROR in page.text_content(f'.card[data-id="{sid}"]')
    page.click('.card[data-id="k02"] details summary')
    assert SCRIPT in page.text_content('.card[data-id="k02"] details pre')
    assert page.evaluate("document.querySelectorAll('script').length") == 2
    assert page.evaluate("document.querySelectorAll('img:not([src^=\"data:\"])').length") == 0
    bold = "[...document.querySelectorAll('b')].some(b => b.textContent === 'bold?')"
    assert page.evaluate(bold) is False

    page.select_option("#f-status", "rejected")
    assert page.locator(".card").count() == 12
    assert page.locator(".card.kept").count() == 0
    assert page.text_content("#count").startswith("12 matching")

    page.select_option("#f-reason", "nonsense")
    assert sorted(_ids(page)) == ["r10", "r11"]
    page.select_option("#f-status", "kept")
    assert page.locator(".card").count() == 0

    page.select_option("#f-status", "*")
    page.select_option("#f-reason", "*")
    page.select_option("#f-op", "intake")
    assert sorted(_ids(page)) == ["r00", "r01"]
    page.select_option("#f-op", "*")

    page.select_option("#f-domain", "ocr")
    assert page.locator(".card").count() == 12

    page.select_option("#f-domain", "*")
    page.fill("#f-q", "PICTURE NUMBER 7")
    assert _ids(page) == ["k07"]
    page.fill("#f-q", "window.__pwned")
    assert sorted(_ids(page)) == ["k01", "k02", "r10", "r11"]
    page.fill("#f-q", "")
    assert page.locator(".card").count() == 36

    assert page.evaluate("typeof window.__pwned") == "undefined"
    csp = [m for m in messages if "Content Security Policy" in m or "pageerror" in m]
    assert csp == [], csp  # nothing was even attempted (escaping, not only CSP, held)


def test_paging_and_hash_filters(browser: Any, tmp_path: Path) -> None:
    kept = [record(f"k{i:03d}", f"question {i}", "answer", domain="d") for i in range(120)]
    run = write_run(tmp_path / "run", kept, [])
    report = write_report(run)
    page, messages = _open(browser, report)
    assert page.locator(".card").count() == 50
    assert page.text_content("#pageinfo") == "page 1 of 3"
    first = set(_ids(page))
    page.click("#next")
    page.click("#next")
    assert page.text_content("#pageinfo") == "page 3 of 3"
    assert page.locator(".card").count() == 20 and page.is_disabled("#next")
    assert not first & set(_ids(page))
    page.close()

    # filters can also be set from the URL fragment (links to a view)
    page, _ = _open(browser, report, "#q=question%2011")
    assert sorted(_ids(page)) == [
        "k011",
        "k110",
        "k111",
        "k112",
        "k113",
        "k114",
        "k115",
        "k116",
        "k117",
        "k118",
        "k119",
    ]
    assert messages == [] or all("pageerror" not in m for m in messages)


def test_edit_triplet_side_by_side(browser: Any, tmp_path: Path) -> None:
    from PIL import Image

    from .conftest import PAYLOAD

    run = tmp_path / "run"
    (run / "images").mkdir(parents=True)
    for name, color in (("src.png", (200, 0, 0)), ("edit.png", (0, 0, 200))):
        Image.new("RGB", (32, 24), color).save(run / "images" / name)
    rec = record("e1", PAYLOAD, None, images=["images/src.png", "images/edit.png"])
    rec["messages"] = []
    rec["fields"].update(source_image=0, edited_image=1)
    rec["scores"] = {"edit_changed": 0.4, "edit_clip_direction": 0.25}
    write_run(run, [rec], [], shards=1)
    page, messages = _open(browser, write_report(run, tmp_path / "report.html"))
    view = '.card[data-id="e1"] .edit'
    assert page.locator(f"{view} figure img").count() == 2
    assert page.eval_on_selector_all(f"{view} figcaption", "fs => fs.map(f => f.textContent)") == [
        "source",
        "edited",
    ]
    assert page.text_content(f"{view} .instr") == PAYLOAD  # text, never markup
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert "edit_clip_direction 0.25" in page.text_content(f"{view} .scores")
    assert not [m for m in messages if "error" in m]
