"""The web page's investigation panel in real headless Chromium: start one for a service from its node panel, follow
its progress, read the ranked candidates (scores, reasons, confidence), the evidence timeline and the runbook
sections, and see the candidates marked on the graph; a bad target shows the server's message.

The served home is the sample estate's last 480 telemetry steps: its errors start on paymentservice and
checkoutservice together at 11:52, so from checkoutservice the detected onset is 11:52 and paymentservice,
the dependency whose change nothing below it explains, comes first.
"""

from __future__ import annotations

from typing import Any


def test_an_investigation_runs_end_to_end_in_the_page(live_server: Any, browser_page: Any) -> None:
    page = browser_page.page
    page.goto(live_server.url + "/")
    page.wait_for_selector("body[data-graph-ready]", timeout=60_000)

    # From the node panel: "investigate" opens the panel with the service filled in.
    page.fill("#find", "checkoutservice")
    page.press("#find", "Enter")
    page.wait_for_selector("#investigate-node", timeout=30_000)
    page.click("#investigate-node")
    assert page.is_visible("#tab-investigate") and page.input_value("#inv-target") == "checkoutservice"
    page.click("#inv-start")

    page.wait_for_selector("#inv-progress[data-state=succeeded]", timeout=90_000)
    page.wait_for_selector("#inv-candidates tr[data-node]", timeout=10_000)
    stages = page.inner_text("#inv-progress")
    assert "checkoutservice: succeeded" in stages and "ranking" in stages
    assert page.locator("#inv-progress .inv-stages span.done").count() == 5
    result = page.evaluate("() => window.opsgraph.investigation")
    assert result["symptom"] == "checkoutservice" and result["onset_source"] == "detected"

    # Ranked candidates with scores and reasons; the first is paymentservice, said to be clear.
    rows = page.locator("#inv-candidates tr[data-node]")
    assert rows.first.get_attribute("data-node") == "paymentservice" == result["candidates"][0]["node"]
    first = rows.first.inner_text()
    assert "error_rate" in first and f"{result['candidates'][0]['score']:.3f}" in first and "clear" in first
    assert page.inner_text("#inv-confidence").startswith("clear")
    assert rows.count() == min(5, len(result["candidates"]))

    # The evidence timeline (the onset and the metric changes) and the runbook sections of the top candidates.
    kinds = page.eval_on_selector_all("#inv-timeline li", "els => els.map(e => e.dataset.kind)")
    assert "onset" in kinds and "metric" in kinds
    assert "paymentservice" in page.inner_text("#inv-timeline")
    books = page.inner_text("#inv-runbooks")
    assert "for paymentservice" in books and page.locator("#inv-runbooks .chunk").count() > 0

    # On the graph: the candidates ranked and marked, the symptom marked, the path to the first drawn.
    marks = page.evaluate("""() => { const cy = window.opsgraph.cy;
        return { top: cy.getElementById('paymentservice').hasClass('top-candidate'),
                 rank: cy.getElementById('paymentservice').data('rank'),
                 symptom: cy.getElementById('checkoutservice').hasClass('symptom'),
                 candidates: cy.nodes('.candidate').length, path: cy.edges('.cause-path').length }; }""")
    assert marks["top"] and marks["rank"] == 1 and marks["symptom"]
    assert marks["candidates"] == rows.count() and marks["path"] >= 1
    page.screenshot(path=str(browser_page.artifacts / "web-6-investigation.png"))

    # Kept and listed; a target the store does not know gives the server's message.
    page.wait_for_selector("#inv-history a.link", timeout=10_000)
    assert "checkoutservice" in page.inner_text("#inv-history")
    page.fill("#inv-target", "no-such-service")
    page.click("#inv-start")
    page.wait_for_selector("#inv-error", timeout=60_000)
    assert "no-such-service" in page.inner_text("#inv-error")
