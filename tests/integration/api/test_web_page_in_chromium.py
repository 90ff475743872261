"""The web page in real headless Chromium (Debian's, driven by Playwright): graph, node details, chat with citations.

Chromium, its flags and the page come from the `browser_page` fixture (conftest); screenshots go to
tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

from typing import Any


def test_graph_node_details_and_chat_with_citations(live_server: Any, browser_page: Any) -> None:
    page = browser_page.page
    page.set_viewport_size({"width": 1400, "height": 860})
    page.goto(live_server.url + "/")

    # The graph renders with the sample estate's nodes (Cytoscape draws on a canvas).
    page.wait_for_selector("body[data-graph-ready]", timeout=60_000)
    drawn = page.evaluate("() => window.opsgraph.cy.nodes().length")
    assert drawn == int(page.get_attribute("body", "data-graph-ready")) == 86
    assert page.evaluate("() => window.opsgraph.cy.getElementById('paymentservice').nonempty()")
    assert page.locator("canvas").count() > 0
    page.wait_for_selector("#risk-table tbody tr", state="attached", timeout=60_000)
    assert "ok" in (page.get_attribute("#status", "class") or "")
    page.screenshot(path=str(browser_page.artifacts / "web-1-graph.png"))

    # Click a node on the canvas: its properties, neighbours, risk and runbooks show.
    box = page.evaluate("""() => { const n = window.opsgraph.cy.getElementById('checkoutservice').renderedPosition();
                                   const r = document.querySelector('#graph').getBoundingClientRect();
                                   return {x: n.x + r.left, y: n.y + r.top}; }""")
    page.mouse.click(box["x"], box["y"])
    page.wait_for_selector("#tab-node h2", timeout=30_000)
    panel = page.inner_text("#tab-node")
    assert "Checkout Service" in panel and "paymentservice" in panel.lower() and "RUNBOOKS" in panel.upper()
    assert "p(fail within horizon)" in panel
    page.screenshot(path=str(browser_page.artifacts / "web-2-node.png"))

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
    page.screenshot(path=str(browser_page.artifacts / "web-3-chat.png"))
    sources.first.click()
    page.wait_for_selector("#tab-doc .chunk.hl", timeout=30_000)
    assert "redis-cart" in page.inner_text("#tab-doc").lower()
    page.screenshot(path=str(browser_page.artifacts / "web-4-document.png"))

    # The read-only Cypher editor shows results as a table.
    page.click(".tab[data-tab=cypher]")
    page.click("#cypher-run")
    page.wait_for_selector("#cypher-table", timeout=30_000)
    assert "checkoutservice" in page.inner_text("#cypher-table")
    page.click(".tab[data-tab=risk]")
    assert page.locator("#risk-table tbody tr").count() == 14
    page.screenshot(path=str(browser_page.artifacts / "web-5-risk.png"))
