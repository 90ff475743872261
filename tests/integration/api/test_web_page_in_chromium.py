"""The web page in real headless Chromium (Debian's, driven by Playwright): graph, node details, chat with citations.

Chromium comes from the test setup (`scripts/setup_browser.sh`, run by `make test`);
Playwright's own browser download does not work on this closed network. The
flags are those this machine needs: no sandbox (root), and no background
networking (its connections are refused here, many at a time). Screenshots go
to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is missing: run scripts/setup_browser.sh (make test does)")


def test_graph_node_details_and_chat_with_citations(live_server: Any) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        # Playwright gives the browser a new, empty profile of its own (the probe used a fresh --user-data-dir).
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 860})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(live_server.url + "/")

            # The graph renders with the sample estate's nodes (Cytoscape draws on a canvas).
            page.wait_for_selector("body[data-graph-ready]", timeout=60_000)
            drawn = page.evaluate("() => window.opsgraph.cy.nodes().length")
            assert drawn == int(page.get_attribute("body", "data-graph-ready")) == 86
            assert page.evaluate("() => window.opsgraph.cy.getElementById('paymentservice').nonempty()")
            assert page.locator("canvas").count() > 0
            page.wait_for_selector("#risk-table tbody tr", state="attached", timeout=60_000)
            assert "ok" in (page.get_attribute("#status", "class") or "")
            page.screenshot(path=str(ARTIFACTS / "web-1-graph.png"))

            # Click a node on the canvas: its properties, neighbours, risk and runbooks show.
            box = page.evaluate("""() => { const n = window.opsgraph.cy.getElementById('checkoutservice').renderedPosition();
                                           const r = document.querySelector('#graph').getBoundingClientRect();
                                           return {x: n.x + r.left, y: n.y + r.top}; }""")
            page.mouse.click(box["x"], box["y"])
            page.wait_for_selector("#tab-node h2", timeout=30_000)
            panel = page.inner_text("#tab-node")
            assert "Checkout Service" in panel and "paymentservice" in panel.lower() and "RUNBOOKS" in panel.upper()
            assert "p(fail within horizon)" in panel
            page.screenshot(path=str(ARTIFACTS / "web-2-node.png"))

            # Ask in the chat: the answer is the runbook section quoted verbatim, its source linked into the documents.
            page.click(".tab[data-tab=chat]")
            page.fill("#chat-input", "How do I mitigate redis-cart being unavailable?")
            page.click("#chat-send")
            page.wait_for_selector("#chat-log .sources a.citation", timeout=60_000)
            assert "redis-cart" in page.inner_text("#chat-log .answer").lower()
            sources = page.locator("#chat-log .sources a.citation")
            assert sources.count() > 0
            first = sources.first.get_attribute("data-source") or ""
            assert first.startswith("docs/"), first
            page.screenshot(path=str(ARTIFACTS / "web-3-chat.png"))
            sources.first.click()
            page.wait_for_selector("#tab-doc .chunk.hl", timeout=30_000)
            assert "redis-cart" in page.inner_text("#tab-doc").lower()
            page.screenshot(path=str(ARTIFACTS / "web-4-document.png"))

            # The read-only Cypher editor shows results as a table.
            page.click(".tab[data-tab=cypher]")
            page.click("#cypher-run")
            page.wait_for_selector("#cypher-table", timeout=30_000)
            assert "checkoutservice" in page.inner_text("#cypher-table")
            page.click(".tab[data-tab=risk]")
            assert page.locator("#risk-table tbody tr").count() == 14
            page.screenshot(path=str(ARTIFACTS / "web-5-risk.png"))
        finally:
            browser.close()
    assert not errors, errors
