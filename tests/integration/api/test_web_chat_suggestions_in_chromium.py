"""The web chat's suggested questions, an answer's evidence and its nodes on the graph, the Cypher editor's hints, and
/docs, in real headless Chromium (Debian's, driven by Playwright) against `opsgraph serve` on the sample estate.

Chromium, its flags and the page come from the `browser_page` fixture (conftest). Every request the browser makes is recorded: nothing may
go anywhere but the server (the page and /docs work on a closed network).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def test_a_suggested_question_shows_its_evidence_and_highlights_its_nodes(live_server: Any, browser_page: Any) -> None:
    elsewhere: list[str] = []
    server = urlsplit(live_server.url).netloc
    page = browser_page.page
    page.on("request", lambda r: None if urlsplit(r.url).netloc == server or r.url.startswith("data:") else elsewhere.append(r.url))
    page.goto(live_server.url + "/")
    page.wait_for_selector("body[data-graph-ready]", timeout=60_000)

    # Suggested questions, computed by the server from the estate (asked once at startup, kept when answered).
    page.wait_for_selector("#chat-suggestions button.suggestion", timeout=120_000)
    shapes = page.eval_on_selector_all("#chat-suggestions button.suggestion", "els => els.map(e => e.dataset.shape)")
    assert "impact" in shapes and "page" in shapes, shapes
    impact = page.locator('#chat-suggestions button.suggestion[data-shape="impact"]')
    about = impact.get_attribute("data-about") or ""
    question = impact.inner_text()
    impact.click()

    # The answer with its evidence: the rows as a table, the query; the rows' nodes marked on the graph.
    page.wait_for_selector("#chat-log .evidence table.evidence-rows tr td", timeout=60_000)
    assert question in page.inner_text("#chat-log")
    table = page.inner_text("#chat-log .evidence table.evidence-rows")
    ids = page.eval_on_selector_all("#chat-log .evidence table.evidence-rows td a.link", "els => els.map(e => e.textContent)")
    assert ids and all(i in table for i in ids)
    assert "MATCH" in page.inner_text("#chat-log .evidence pre.cypher") and about in page.inner_text("#chat-log .answer")
    marked = page.evaluate("() => window.opsgraph.cy.nodes('.answer-node').map(n => n.id())")
    assert marked and set(marked) <= set(ids) | {about} and set(ids) <= set(marked), (marked, ids)
    page.screenshot(path=str(browser_page.artifacts / "web-7-suggested-question.png"))

    # A runbook suggestion quotes sections, each with its document's title, linked into the document view.
    runbook = page.locator('#chat-suggestions button.suggestion[data-shape="runbook"]')
    if runbook.count():
        runbook.click()
        page.wait_for_selector("#chat-log .evidence-sections li a.link", timeout=60_000)
        section = page.locator("#chat-log .evidence-sections li a.link").last
        title = section.inner_text()
        section.click()
        page.wait_for_selector("#tab-doc .chunk.hl", timeout=30_000)
        assert title in page.inner_text("#tab-doc h2")

    # The Cypher editor: a label typo gets "did you mean", and one click puts the right name in and runs it.
    page.click(".tab[data-tab=cypher]")
    page.fill("#cypher-text", "MATCH (s:Servce)-[:DEPENDS_ON]->(d {id: $id})\nRETURN s.id AS service ORDER BY service")
    page.fill("#cypher-params", '{"id": "paymentservice"}')
    page.click("#cypher-run")
    page.wait_for_selector("#cypher-error[data-code=unknown_label]", timeout=30_000)
    assert "no such label Servce; did you mean Service?" in page.inner_text("#cypher-error")
    page.screenshot(path=str(browser_page.artifacts / "web-8-label-hint.png"))
    page.click("#cypher-error a.fix")
    page.wait_for_selector("#cypher-table", timeout=30_000)
    assert "(s:Service)" in page.input_value("#cypher-text") and "checkoutservice" in page.inner_text("#cypher-table")

    # A write is refused in the page's terms: what this server allows and how.
    page.fill("#cypher-text", "MATCH (s:Service {id: 'frontend'}) SET s.tier = 'low'")
    page.click("#cypher-run")
    page.wait_for_selector("#cypher-error[data-code=write_refused]", timeout=30_000)
    refusal = page.inner_text("#cypher-error")
    assert "only reads" in refusal and "What you can do" in refusal and "POST /v1/ingest" in refusal
    assert "this page already sends it" in refusal  # a loopback server gives its page the write token

    # /docs renders the API from this server's own Swagger UI files.
    page.goto(live_server.url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=60_000)
    assert "opsgraph" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-summary-path[data-path='/v1/ask/suggestions']", timeout=30_000)
    page.screenshot(path=str(browser_page.artifacts / "web-9-docs.png"))
    assert not elsewhere, elsewhere
