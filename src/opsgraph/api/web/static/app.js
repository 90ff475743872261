// opsgraph web page: the estate graph, the risk board, a chat with citations, investigations, a read-only Cypher editor.
// Plain JS over the HTTP API (same origin). Text from the server is always inserted as text, never as HTML.
"use strict";

(function () {
  // The server gives its own page the write token (a loopback server without a configured token).
  function writeToken() { const m = document.querySelector('meta[name="opsgraph-write-token"]'); return m ? m.content : ""; }
  const state = { cy: null, risk: {}, riskNodeType: "Service", token: sessionStorage.getItem("opsgraph-token") || writeToken(), graphIds: new Set(),
                  // One conversation per tab: follow-up questions are read in the context of the earlier ones.
                  session: "web-" + Math.random().toString(36).slice(2, 10) };
  window.opsgraph = state; // for debugging and the browser test

  // ---- small helpers -----------------------------------------------------------------------
  const $ = (sel) => document.querySelector(sel);
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }
  function setStatus(text, cls) { const s = $("#status"); s.textContent = text; s.className = "status " + (cls || ""); }
  function riskColour(p) {
    if (p === undefined || p === null) return null;
    // green (0) -> yellow (0.5) -> red (1)
    const lerp = (a, b, t) => Math.round(a + (b - a) * t);
    const [c0, c1, c2] = [[46, 157, 91], [227, 181, 5], [215, 38, 61]];
    const [a, b, t] = p < 0.5 ? [c0, c1, p / 0.5] : [c1, c2, (p - 0.5) / 0.5];
    return `rgb(${lerp(a[0], b[0], t)},${lerp(a[1], b[1], t)},${lerp(a[2], b[2], t)})`;
  }
  const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? "–" : Number(x).toFixed(d));

  // ---- API --------------------------------------------------------------------------------------
  class ApiError extends Error { constructor(status, code, message, details) { super(message); this.status = status; this.code = code; this.details = details; } }
  function headers(json) {
    const h = {};
    if (json) h["Content-Type"] = "application/json";
    if (state.token) h["Authorization"] = "Bearer " + state.token;
    return h;
  }
  async function api(path, options = {}) {
    const res = await fetch(path, { ...options, headers: { ...headers(options.body !== undefined), ...(options.headers || {}) } });
    if (res.status === 401) { askToken(); }
    const body = res.headers.get("content-type")?.includes("json") ? await res.json() : await res.text();
    if (!res.ok) {
      const e = (body && body.error) || { code: "http_" + res.status, message: String(body).slice(0, 300) };
      throw new ApiError(res.status, e.code, e.message, e.details);
    }
    return body;
  }
  function askToken() {
    const d = $("#token-dialog");
    if (!d.open) d.showModal();
  }
  $("#token-button").addEventListener("click", askToken);
  $("#token-dialog").addEventListener("close", () => {
    if ($("#token-dialog").returnValue === "ok") {
      state.token = $("#token-input").value.trim();
      sessionStorage.setItem("opsgraph-token", state.token);
      boot();
    }
  });

  // ---- tabs ----------------------------------------------------------------------------------------
  function showTab(name) {
    for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.tab === name);
    for (const p of document.querySelectorAll(".panel")) p.hidden = p.id !== "tab-" + name;
  }
  for (const t of document.querySelectorAll(".tab")) t.addEventListener("click", () => showTab(t.dataset.tab));

  // ---- graph ---------------------------------------------------------------------------------------
  const SHAPES = { Service: "ellipse", Datastore: "barrel", Queue: "rhomboid", ExternalService: "hexagon", Team: "round-rectangle",
                   Person: "ellipse", Incident: "triangle", Runbook: "tag", Document: "rectangle" };
  const TYPE_COLOURS = { Datastore: "#6c8ebf", Queue: "#8e7cc3", ExternalService: "#9aa5b1", Team: "#4f6d7a", Person: "#b4bccb",
                         Incident: "#c97b63", Runbook: "#7aa974", Document: "#7aa974" };

  const MINOR = new Set(["Incident", "Runbook", "Person", "Document"]);

  function graphStyle() {
    return [
      { selector: "node", style: {
        "label": "data(label)", "font-size": 9, "color": "#1d2330", "text-valign": "bottom", "text-margin-y": 3,
        "background-color": (n) => n.data("colour") || TYPE_COLOURS[n.data("type")] || "#9aa5b1",
        "shape": (n) => SHAPES[n.data("type")] || "ellipse",
        "width": (n) => (n.data("type") === "Service" ? 26 : n.data("type") === "Person" ? 12 : 18),
        "height": (n) => (n.data("type") === "Service" ? 26 : n.data("type") === "Person" ? 12 : 18),
        "border-width": (n) => (n.data("risky") ? 3 : 1), "border-color": (n) => (n.data("risky") ? "#8e1b2a" : "#ffffff"),
        "text-background-color": "#ffffff", "text-background-opacity": 0.6, "text-background-padding": 1,
      } },
      // Incidents, runbooks and people have long names: labelled only around the selected node, or when zoomed in far.
      { selector: [...MINOR].map((t) => `node[type = '${t}']`).join(", "), style: { "font-size": 8, "min-zoomed-font-size": 20 } },
      { selector: "node.labelled", style: { "min-zoomed-font-size": 0 } },
      { selector: "edge", style: {
        "width": 1, "line-color": "#c3cad6", "target-arrow-color": "#c3cad6", "target-arrow-shape": "triangle", "arrow-scale": 0.6,
        "curve-style": "bezier", "opacity": 0.8,
      } },
      { selector: "edge[type = 'DEPENDS_ON']", style: { "width": 1.6, "line-color": "#8c96a8", "target-arrow-color": "#8c96a8" } },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#2f5fd0" } },
      // An investigation's candidates (ranked, the first in bold), its symptom and the dependency path to the first.
      { selector: "node.candidate", style: { "border-width": 4, "border-color": "#7b2cbf", "min-zoomed-font-size": 0,
        "label": (n) => `#${n.data("rank")} ${n.data("label")}`, "font-weight": "bold", "z-index": 10 } },
      { selector: "node.top-candidate", style: { "border-width": 6, "width": 34, "height": 34, "font-size": 11 } },
      { selector: "node.symptom", style: { "border-width": 4, "border-color": "#d7263d", "border-style": "double", "min-zoomed-font-size": 0 } },
      { selector: "edge.cause-path", style: { "width": 3.5, "line-color": "#7b2cbf", "target-arrow-color": "#7b2cbf", "opacity": 1, "z-index": 9 } },
      // The nodes an answer is about (its rows and citations): marked until the next answer.
      { selector: "node.answer-node", style: { "border-width": 5, "border-color": "#e36414", "min-zoomed-font-size": 0, "font-weight": "bold",
        "z-index": 11 } },
      { selector: ".faded", style: { "opacity": 0.15 } },
      { selector: ".hidden", style: { "display": "none" } },
    ];
  }

  async function loadGraph() {
    const g = await api("/v1/graph");
    state.riskNodeType = g.risk_node_type || "Service";
    state.graphIds = new Set(g.nodes.map((n) => n.id));
    $("#graph-empty").hidden = g.nodes.length > 0;
    const elements = [
      ...g.nodes.map((n) => ({ group: "nodes", data: { id: n.id, label: n.name || n.id, type: n.type } })),
      ...g.edges.map((e, i) => ({ group: "edges", data: { id: "e" + i, source: e.source, target: e.target, type: e.type } })),
    ];
    if (state.cy) state.cy.destroy();
    state.cy = cytoscape({ container: $("#graph"), elements, style: graphStyle(), wheelSensitivity: 0.3, minZoom: 0.1, maxZoom: 4 });
    state.cy.on("tap", "node", (evt) => selectNode(evt.target.id()));
    state.cy.on("tap", (evt) => { if (evt.target === state.cy) state.cy.elements().removeClass("faded labelled"); });
    applyFilters();
    layout();
    paintRisk();
    $("#inv-targets").replaceChildren(...g.nodes.filter((n) => n.type === state.riskNodeType || n.type === "Incident")
      .map((n) => el("option", { value: n.id }, n.type === "Incident" ? `${n.type}: ${n.name || n.id}` : n.name || n.id)));
    if (state.investigation) markInvestigation(state.investigation);
    document.body.dataset.graphReady = String(g.nodes.length);
  }
  function layout() {
    if (!state.cy) return;
    state.cy.layout({ name: "cose", animate: false, nodeRepulsion: () => 9000, idealEdgeLength: () => 60, padding: 20, randomize: true,
                      numIter: 1500, componentSpacing: 60 }).run();
    state.cy.fit(state.cy.elements(":visible"), 20);
  }
  function applyFilters() {
    if (!state.cy) return;
    const hide = new Set();
    if (!$("#show-people").checked) hide.add("Person");
    if (!$("#show-incidents").checked) hide.add("Incident");
    state.cy.nodes().forEach((n) => n.toggleClass("hidden", hide.has(n.data("type"))));
  }
  function paintRisk() {
    if (!state.cy) return;
    state.cy.nodes().forEach((n) => {
      const r = state.risk[n.id()];
      n.data("colour", r ? riskColour(r.probability) : null);
      n.data("risky", r ? r.risky : false);
    });
  }
  function focusNode(id) {
    if (!state.cy) return;
    const n = state.cy.getElementById(id);
    if (n.empty()) return;
    n.removeClass("hidden");
    state.cy.elements().unselect();
    n.select();
    const hood = n.closedNeighborhood();
    state.cy.elements().addClass("faded").removeClass("labelled");
    hood.removeClass("faded");
    hood.nodes().addClass("labelled");
    state.cy.animate({ center: { eles: n }, zoom: Math.max(state.cy.zoom(), 1.2) }, { duration: 250 });
  }
  $("#fit").addEventListener("click", () => state.cy && state.cy.fit(state.cy.elements(":visible"), 20));
  $("#relayout").addEventListener("click", layout);
  $("#show-people").addEventListener("change", applyFilters);
  $("#show-incidents").addEventListener("change", applyFilters);
  $("#find").addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || !state.cy) return;
    const q = e.target.value.trim().toLowerCase();
    const hit = state.cy.nodes().filter((n) => n.id().toLowerCase() === q || String(n.data("label")).toLowerCase().includes(q))[0];
    if (hit) selectNode(hit.id());
  });

  // ---- node panel -----------------------------------------------------------------------------------
  function nodeLink(id, label) {
    return el("a", { class: "link", href: "#", onclick: (e) => { e.preventDefault(); selectNode(id); } }, label || id);
  }
  function docLink(docId, label) {
    return el("a", { class: "link", href: "#", onclick: (e) => { e.preventDefault(); openDocument(docId); } }, label || docId);
  }
  async function selectNode(id) {
    focusNode(id);
    showTab("node");
    const panel = $("#tab-node");
    panel.replaceChildren(el("p", { class: "muted" }, "loading " + id + "…"));
    let n;
    try { n = await api("/v1/nodes/" + encodeURIComponent(id)); } catch (e) { panel.replaceChildren(el("div", { class: "msg err" }, e.message)); return; }
    const props = el("dl", { class: "props" });
    for (const [k, v] of Object.entries(n.properties)) {
      if (k === "id" || k.startsWith("_")) continue;
      props.append(el("dt", {}, k), el("dd", {}, Array.isArray(v) ? v.join(", ") : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)));
    }
    const parts = [el("h2", {}, n.name || n.id), el("div", { class: "muted" }, n.type + " · " + n.id,
      n.type === state.riskNodeType || n.type === "Incident"
        ? [" · ", el("a", { class: "link", href: "#", id: "investigate-node", onclick: (e) => { e.preventDefault(); investigateFrom(n.id); } }, "investigate")] : null),
      el("h3", {}, "properties"), props];
    if (n.risk && !n.risk.error && n.risk.score) {
      const s = n.risk.score, ex = n.risk.explanation;
      parts.push(el("h3", {}, "risk"));
      parts.push(el("div", { class: s.risky ? "risky" : "" }, `p(fail within horizon) = ${fmt(s.probability)}` + (s.risky ? "  ⚠ above threshold" : "")));
      if (ex && ex.path && ex.path.length) {
        const ul = el("ul", { class: "plain" });
        for (const h of ex.path) {
          ul.append(el("li", {}, nodeLink(h.dependant), " → depends on ", nodeLink(h.dependency),
            el("span", { class: "pill" }, "attention " + fmt(h.attention)), el("span", { class: "pill" }, "its risk " + fmt(h.dependency_probability))));
        }
        parts.push(el("div", { class: "muted" }, "what drives it (upstream path by attention):"), ul);
      } else if (ex) {
        parts.push(el("div", { class: "muted" }, `driven by its own telemetry (self-attention ${fmt(ex.self_attention)})`));
      }
    } else if (n.risk && n.risk.error) {
      parts.push(el("h3", {}, "risk"), el("div", { class: "note" }, n.risk.error));
    }
    if (n.runbooks.length) {
      parts.push(el("h3", {}, "runbooks"));
      parts.push(el("ul", { class: "plain" }, n.runbooks.map((r) => el("li", {}, r.path ? docLink(r.path, r.title || r.id) : nodeLink(r.id, r.title)))));
    }
    if (n.documents.length) {
      parts.push(el("h3", {}, "mentioned in"));
      parts.push(el("ul", { class: "plain" }, n.documents.map((d) => el("li", {}, docLink(d)))));
    }
    parts.push(el("h3", {}, `neighbours (${n.neighbours.length})`));
    const table = el("table", { class: "grid" }, el("tr", {}, el("th", {}, "edge"), el("th", {}, "node"), el("th", {}, "type")));
    for (const nb of n.neighbours) {
      table.append(el("tr", {}, el("td", {}, (nb.direction === "out" ? "→ " : "← ") + nb.edge), el("td", {}, nodeLink(nb.id, nb.name || nb.id)), el("td", {}, nb.type)));
    }
    parts.push(table);
    panel.replaceChildren(...parts);
  }

  // ---- documents ---------------------------------------------------------------------------------------
  async function openDocument(docId) {
    showTab("doc");
    const panel = $("#tab-doc");
    panel.replaceChildren(el("p", { class: "muted" }, "loading " + docId + "…"));
    let d;
    try { d = await api("/v1/documents/" + docId.split("/").map(encodeURIComponent).join("/")); }
    catch (e) { panel.replaceChildren(el("div", { class: "msg err" }, e.message)); return; }
    const chunks = d.chunks.map((c) => el("div", { class: "chunk" + (c.id === d.highlight ? " hl" : ""), id: "chunk-" + c.position },
      c.heading ? el("div", { class: "muted" }, c.heading) : null, c.text));
    panel.replaceChildren(el("h2", {}, d.properties.title || d.id), el("div", { class: "muted" }, d.id), ...chunks);
    const hl = panel.querySelector(".chunk.hl");
    if (hl) hl.scrollIntoView({ block: "center" });
  }

  // ---- risk board ------------------------------------------------------------------------------------
  function sparkline(values) {
    const v = values.filter((x) => x !== null && x !== undefined);
    const w = 90, h = 20;
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("class", "spark");
    if (v.length < 2) return svg;
    const lo = Math.min(...v), hi = Math.max(...v), span = hi - lo || 1;
    const pts = values.map((x, i) => (x === null ? null : `${(i / (values.length - 1)) * (w - 2) + 1},${h - 2 - ((x - lo) / span) * (h - 4)}`)).filter(Boolean);
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", pts.join(" ")); line.setAttribute("fill", "none"); line.setAttribute("stroke", "#2f5fd0"); line.setAttribute("stroke-width", "1.2");
    svg.append(line);
    return svg;
  }
  async function loadRisk() {
    const tbody = $("#risk-table tbody");
    let board;
    try { board = await api("/v1/risk/scores"); }
    catch (e) {
      $("#drift").className = "drift"; $("#drift").textContent = "";
      tbody.replaceChildren();
      $("#risk-note").textContent = e.message;
      return;
    }
    let trends = null;
    try { trends = await api("/v1/risk/trends?steps=60"); } catch (e) { trends = null; }
    const feature = trends && (trends.features.includes("error_rate") ? "error_rate" : trends.features[0]);
    $("#trend-head").textContent = feature ? feature + " (last 60)" : "trend";
    state.risk = Object.fromEntries(board.nodes.map((n) => [n.node, n]));
    paintRisk();
    const d = board.drift || {};
    const dr = $("#drift");
    if (d.error) { dr.className = "drift"; dr.textContent = "drift: " + d.error; }
    else {
      dr.className = "drift" + (d.drifted ? " drifted" : "");
      dr.textContent = (d.drifted ? "DRIFT: recent telemetry no longer looks like the training data" : "no drift")
        + ` (score ${fmt(d.score)} vs threshold ${fmt(d.threshold)}, p=${fmt(d.p_value, 3)})`;
    }
    const anomalyOnly = board.mode === "anomaly-only";
    $("#risk-table thead th:nth-child(2)").textContent = anomalyOnly ? "anomaly-only (1 − p)" : "risk";
    tbody.replaceChildren(...board.nodes.map((n) => {
      // anomaly-only: no failure probability exists; the bar shows 1 - the anomaly p-value instead, labelled so.
      const level = anomalyOnly ? (n.anomaly_p === null || n.anomaly_p === undefined ? 0 : 1 - n.anomaly_p) : n.probability;
      const colour = riskColour(level);
      return el("tr", { class: "clickable", "data-node": n.node, onclick: () => selectNode(n.node) },
        el("td", { class: n.risky ? "risky" : "" }, n.node),
        el("td", {}, el("span", { class: "bar", style: `width:${Math.round(level * 60) + 2}px;background:${colour}` }),
          anomalyOnly ? "p " + fmt(n.anomaly_p, 3) : fmt(n.probability)),
        el("td", {}, fmt(n.anomaly, 1)),
        el("td", {}, trends && trends.nodes[n.node] && feature ? sparkline(trends.nodes[n.node][feature]) : ""));
    }));
    $("#risk-note").textContent = anomalyOnly
      ? `ANOMALY-ONLY: ${board.mode_note}. On telemetry up to ${board.timestamp} (${board.data_age}). Bold red: anomaly p < ${fmt(board.threshold, 3)}.`
      : `model ${board.version}, on telemetry up to ${board.timestamp} (${board.data_age}), horizon ${board.horizon_steps} steps; threshold ${fmt(board.threshold)}. Bold red: above threshold.`;
    $("#risk-note").classList.toggle("anomaly-only", anomalyOnly);
  }

  // ---- chat --------------------------------------------------------------------------------------------
  function citationTarget(c) {
    if (c.kind === "chunk") return () => openDocument(c.source_id);
    if (state.graphIds.has(c.source_id)) return () => selectNode(c.source_id);
    const row = c.source_id.split("#")[0];
    if (state.graphIds.has(row)) return () => selectNode(row);
    if (c.kind === "node" && c.source_id.includes("/")) return () => openDocument(c.source_id); // a Document node: its id is its path
    return null;
  }
  function citationLink(c) {
    const go = citationTarget(c);
    const label = `[${c.n}] ${c.source_id}`;
    return go ? el("a", { class: "citation", href: "#", "data-source": c.source_id, onclick: (e) => { e.preventDefault(); go(); } }, label)
              : el("span", {}, label);
  }
  function renderAnswer(box, a) {
    const byN = Object.fromEntries((a.context || a.citations).map((c) => [c.n, c]));
    // The answer text with [n] markers turned into links.
    const text = el("div", { class: "answer" });
    let last = 0;
    const re = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
    let m;
    while ((m = re.exec(a.answer)) !== null) {
      text.append(a.answer.slice(last, m.index));
      const nums = m[1].split(",").map((s) => parseInt(s.trim(), 10));
      text.append("[");
      nums.forEach((num, i) => {
        const c = byN[num];
        const go = c && citationTarget(c);
        text.append(go ? el("a", { class: "citation", href: "#", "data-source": c.source_id, onclick: (e) => { e.preventDefault(); go(); } }, String(num)) : String(num));
        if (i < nums.length - 1) text.append(",");
      });
      text.append("]");
      last = m.index + m[0].length;
    }
    text.append(a.answer.slice(last));
    box.replaceChildren(text);
    const evidence = answerEvidence(a);
    if (evidence) box.append(evidence);
    if (a.citations && a.citations.length) {
      box.append(el("div", { class: "sources" }, el("b", {}, "sources"), el("ul", { class: "plain" }, a.citations.map((c) => el("li", {}, citationLink(c), el("span", { class: "pill" }, c.kind + " · " + c.found_by))))));
    }
    for (const note of a.notes || []) box.append(el("div", { class: "note" }, note));
    if (a.standalone && a.standalone !== a.question) box.prepend(el("div", { class: "note" }, "read as: " + a.standalone));
    if (a.cached) box.append(el("div", { class: "note" }, "answered from the semantic cache"));
    if (a.data_age) box.append(el("div", { class: "muted data-age" }, a.data_age));
  }
  // The evidence an answer stands on: the rows of the query as a table, the query itself, the quoted sections with
  // their document titles and headings (each opens the document at that section).
  function answerEvidence(a) {
    const parts = [];
    if (a.rows && a.rows.length) {
      const cols = [...new Set(a.rows.flatMap((r) => Object.keys(r)))];
      const table = el("table", { class: "grid evidence-rows" }, el("tr", {}, cols.map((c) => el("th", {}, c))));
      for (const row of a.rows.slice(0, 200)) {
        table.append(el("tr", {}, cols.map((c) => {
          const v = row[c];
          return el("td", {}, typeof v === "string" && state.graphIds.has(v) ? nodeLink(v) : cell(v));
        })));
      }
      parts.push(el("div", { class: "muted" }, `rows (${a.rows.length}${a.rows.length > 200 ? ", first 200 shown" : ""})`), table);
    }
    if (a.cypher) parts.push(el("div", { class: "muted" }, "query"), el("pre", { class: "cypher" }, a.cypher));
    if (a.sections && a.sections.length) {
      parts.push(el("div", { class: "muted" }, "quoted from"), el("ul", { class: "plain evidence-sections" }, a.sections.map((sec) =>
        el("li", { "data-chunk": sec.chunk }, docLink(sec.chunk, sec.title || sec.document), sec.section ? el("span", { class: "muted" }, " › " + sec.section) : null,
          el("span", { class: "pill" }, sec.document)))));
    }
    if (!parts.length) return null;
    return el("details", { class: "evidence", open: true }, el("summary", {}, "evidence"), ...parts);
  }
  // The graph's nodes an answer is about: the ids in its rows and its citations (only ids the answer itself holds).
  function answerNodes(a) {
    const ids = new Set();
    for (const row of a.rows || []) for (const v of Object.values(row)) {
      if (typeof v === "string" && state.graphIds.has(v)) ids.add(v);
      else if (Array.isArray(v)) for (const x of v) if (typeof x === "string" && state.graphIds.has(x)) ids.add(x);
    }
    for (const c of a.citations || []) {
      const id = state.graphIds.has(c.source_id) ? c.source_id : c.source_id.split("#")[0];
      if (state.graphIds.has(id)) ids.add(id);
    }
    return [...ids];
  }
  function markAnswer(a) {
    state.answerNodes = answerNodes(a);
    if (!state.cy) return;
    state.cy.nodes().removeClass("answer-node");
    const marked = state.cy.collection();
    for (const id of state.answerNodes) {
      const n = state.cy.getElementById(id);
      if (n.nonempty()) marked.merge(n.removeClass("hidden faded").addClass("answer-node"));
    }
    if (marked.empty()) return;
    // Fit the marked nodes and their neighbours, but never closer than 1.2 (one node alone would fill the canvas).
    const around = marked.closedNeighborhood();
    state.cy.fit(around, 40);
    if (state.cy.zoom() > 1.2) { state.cy.zoom(1.2); state.cy.center(around); }
  }
  function renderSuggestions(list) {
    const box = $("#chat-suggestions");
    if (!list.length) { box.replaceChildren(); box.hidden = true; return; }
    box.hidden = false;
    box.replaceChildren(el("div", { class: "muted" }, "try asking"), ...list.map((s) =>
      el("button", { type: "button", class: "suggestion", "data-shape": s.shape, "data-about": s.about, title: "answered by " + (s.kind || "ask"),
                     onclick: () => { showTab("chat"); ask(s.question); } }, s.question)));
  }
  async function loadSuggestions() {
    try { renderSuggestions((await api("/v1/ask/suggestions")).questions); }
    catch (e) { renderSuggestions([]); }
  }
  async function ask(question) {
    const log = $("#chat-log");
    log.append(el("div", { class: "msg q" }, question));
    const box = el("div", { class: "msg a" }, el("span", { class: "muted" }, "thinking…"));
    const stages = el("div", { class: "stages" });
    log.append(box, stages);
    log.scrollTop = log.scrollHeight;
    $("#chat-send").disabled = true;
    try {
      const res = await fetch("/v1/ask/stream", { method: "POST", headers: headers(true), body: JSON.stringify({ question, session: state.session }) });
      if (res.status === 401) askToken();
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        throw new Error((body.error && body.error.message) || "HTTP " + res.status);
      }
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          let event = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trim();
          }
          if (!data) continue;
          const payload = JSON.parse(data);
          if (event === "stage" && payload.done) stages.append(el("span", {}, `${payload.name} ${Math.round(payload.ms)} ms`));
          else if (event === "stage") box.replaceChildren(el("span", { class: "muted" }, payload.name + "…"));
          else if (event === "answer") { renderAnswer(box, payload); markAnswer(payload); }
          else if (event === "error") { box.className = "msg err"; box.textContent = payload.error.message; }
        }
      }
    } catch (e) {
      box.className = "msg err"; box.textContent = e.message;
    } finally {
      $("#chat-send").disabled = false;
      log.scrollTop = log.scrollHeight;
    }
  }
  $("#chat-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("#chat-input").value.trim();
    if (!q) return;
    $("#chat-input").value = "";
    ask(q);
  });

  // ---- investigations ----------------------------------------------------------------------------------
  // POST /v1/investigations starts a job; its progress (one task per stage) is polled until it ends, then the
  // ranked candidates, the evidence timeline, similar past incidents and runbook sections are shown, and the
  // candidates are marked on the graph.
  const STAGES = ["target", "telemetry", "evidence", "ranking", "incidents and runbooks"];
  const hhmm = (iso) => (iso ? iso.replace("T", " ").replace(/:\d\dZ$/, "Z") : "–");
  function investigateFrom(id) {
    showTab("investigate");
    $("#inv-target").value = id;
    $("#inv-target").focus();
  }
  function markInvestigation(r) {
    if (!state.cy) return;
    state.cy.elements().removeClass("candidate top-candidate symptom cause-path");
    state.cy.nodes().forEach((n) => n.removeData("rank"));
    const sym = state.cy.getElementById(r.symptom);
    if (sym.nonempty()) sym.removeClass("hidden").addClass("symptom");
    r.candidates.slice(0, 5).forEach((c, i) => {
      const n = state.cy.getElementById(c.node);
      if (n.empty()) return;
      n.data("rank", i + 1).removeClass("hidden faded").addClass(i === 0 ? "candidate top-candidate" : "candidate");
    });
    const top = r.candidates[0];
    const hops = (top && top.path && top.path.hops) || [];
    for (const h of hops) {
      state.cy.edges().filter((e) => (e.source().id() === h.caller && e.target().id() === h.callee) ||
                                     (e.source().id() === h.callee && e.target().id() === h.caller)).addClass("cause-path");
    }
  }
  function renderProgress(job) {
    const box = $("#inv-progress");
    const seen = Object.keys(job.progress || {});
    const pct = job.state === "succeeded" ? 100 : Math.max(0, ...seen.map((k) => job.progress[k].done));
    const current = seen[seen.length - 1];
    const stages = el("div", { class: "inv-stages" }, STAGES.map((st) => el("span", {
      class: seen.includes(st) && (st !== current || job.done || job.state === "succeeded") ? "done" : "" }, st)));
    box.replaceChildren(el("div", { class: "muted", id: "inv-state" }, `${job.params.target}: ${job.state}` + (current && job.state === "running" ? ` (${current}…)` : "")),
      el("div", { class: "progress" }, el("i", { style: `width:${pct}%` })), stages);
    box.dataset.state = job.state;
  }
  function evidenceDetails(c) {
    const items = [];
    if (c.path && c.path.hops && c.path.hops.length) items.push(el("li", {}, "path: ", c.path.hops.map((h) => h.text).join("; ")));
    for (const m of c.metrics || []) items.push(el("li", {}, "metric: ", m.text));
    for (const ch of c.changes || []) items.push(el("li", {}, `${ch.kind} change ${Math.round(ch.before_onset_s / 60)} min before onset: `, ch.text));
    for (const p of c.past_causes || []) items.push(el("li", {}, "caused past incident ", nodeLink(p)));
    if (!items.length) return null;
    return el("details", { class: "cand" }, el("summary", {}, "evidence"), el("ul", { class: "plain" }, items));
  }
  function renderInvestigation(r) {
    state.investigation = r;
    const out = $("#inv-result");
    const parts = [el("h2", {}, "Investigation of " + r.target),
      el("div", { class: "muted" }, `symptom ${r.symptom} · onset ${hhmm(r.onset)} (${r.onset_source}) · window ${Math.round(r.window_s / 60)} min · ${r.data_age} · ${fmt(r.seconds)} s`),
      el("div", { class: "conf " + (r.confident ? "clear" : "unclear"), id: "inv-confidence" }, r.confidence)];
    const maxScore = Math.max(1e-9, ...r.candidates.map((c) => c.score));
    const table = el("table", { class: "grid", id: "inv-candidates" },
      el("tr", {}, el("th", {}, "#"), el("th", {}, "candidate"), el("th", {}, "score"), el("th", {}, "why")));
    r.candidates.slice(0, 5).forEach((c, i) => {
      table.append(el("tr", { class: "clickable" + (i === 0 ? " top-candidate" : ""), "data-node": c.node, onclick: () => focusNode(c.node) },
        el("td", {}, String(i + 1)),
        el("td", {}, nodeLink(c.node), i === 0 ? el("span", { class: "pill" }, r.confident ? "clear" : "unsure") : null,
          c.explains_symptom ? null : el("span", { class: "pill" }, "not a dependency")),
        el("td", {}, el("span", { class: "score", style: `width:${Math.round((c.score / maxScore) * 50) + 2}px` }), fmt(c.score, 3)),
        el("td", {}, c.reason, evidenceDetails(c))));
    });
    parts.push(el("h3", {}, "ranked candidates"), table);
    parts.push(el("h3", {}, "timeline of the evidence"));
    parts.push(r.timeline.length ? el("ul", { class: "timeline", id: "inv-timeline" }, r.timeline.map((e) =>
      el("li", { class: "k-" + e.kind, "data-kind": e.kind }, el("time", {}, hhmm(e.at)), el("span", { class: "pill" }, e.kind), " ",
        state.graphIds.has(e.node) ? nodeLink(e.node) : e.node, ": ", e.text)))
      : el("p", { class: "muted" }, "nothing moved in the window"));
    if (r.similar.length) {
      parts.push(el("h3", {}, "similar past incidents"), el("ul", { class: "plain", id: "inv-similar" }, r.similar.map((x) =>
        el("li", {}, state.graphIds.has(x.id) ? nodeLink(x.id) : x.id, " ", x.title, el("span", { class: "pill" }, x.why),
          x.causes.length ? ` cause: ${x.causes.join(", ")}` : "", x.fix ? `; fix: ${x.fix}` : ""))));
    }
    if (r.runbooks.length) {
      parts.push(el("h3", {}, "runbooks"));
      const books = el("div", { id: "inv-runbooks" });
      for (const b of r.runbooks) {
        books.append(el("div", {}, b.path ? docLink(b.path, b.title) : b.title, el("span", { class: "pill" }, "for " + b.node)));
        for (const sec of b.sections) books.append(el("div", { class: "chunk" }, sec.heading ? el("div", { class: "muted" }, sec.heading) : null, sec.text));
      }
      parts.push(books);
    }
    out.replaceChildren(...parts);
    markInvestigation(r);
  }
  async function loadInvestigations() {
    let list;
    try { list = await api("/v1/investigations"); } catch (e) { return; }
    const ul = $("#inv-history");
    if (!list.length) { ul.replaceChildren(el("li", { class: "muted" }, "none yet")); return; }
    ul.replaceChildren(...list.slice(0, 10).map((j) => el("li", {},
      j.result ? el("a", { class: "link", href: "#", onclick: (e) => { e.preventDefault(); renderInvestigation(j.result); } }, j.params.target)
               : j.params.target,
      el("span", { class: "pill" }, j.state), " ", j.result ? `→ ${j.result.candidates.length ? j.result.candidates[0].node : "no candidate"} (${j.result.confident ? "clear" : "unsure"})`
                                                            : (j.error ? j.error.message : ""), el("span", { class: "muted" }, " " + hhmm(j.created.slice(0, 19) + "Z")))));
  }
  async function startInvestigation() {
    const target = $("#inv-target").value.trim();
    if (!target) return;
    const body = { target, window: $("#inv-window").value };
    const at = $("#inv-at").value.trim();
    if (at) body.at = at;
    $("#inv-start").disabled = true;
    $("#inv-result").replaceChildren();
    try {
      let job = await api("/v1/investigations", { method: "POST", body: JSON.stringify(body) });
      renderProgress(job);
      while (job.state !== "succeeded" && job.state !== "failed") {
        await new Promise((ok) => setTimeout(ok, 250));
        job = await api("/v1/jobs/" + encodeURIComponent(job.id));
        renderProgress(job);
      }
      if (job.state === "failed") $("#inv-result").replaceChildren(el("div", { class: "msg err", id: "inv-error" }, job.error ? job.error.message : "failed"));
      else renderInvestigation(job.result);
    } catch (e) {
      $("#inv-result").replaceChildren(el("div", { class: "msg err", id: "inv-error" }, e.message));
    } finally {
      $("#inv-start").disabled = false;
      loadInvestigations();
    }
  }
  $("#inv-form").addEventListener("submit", (e) => { e.preventDefault(); startInvestigation(); });
  document.querySelector('.tab[data-tab="investigate"]').addEventListener("click", loadInvestigations);

  // ---- Cypher editor -----------------------------------------------------------------------------------
  const EXAMPLES = [
    ["What breaks if payment is down?", "MATCH p = (s)-[:DEPENDS_ON*1..6]->(t:Service {id: $id})\nRETURN s.id AS service, min(length(p)) AS hops ORDER BY hops, service", { id: "paymentservice" }],
    ["Who is on call for a team?", "MATCH (p:Person)-[oc:ON_CALL_FOR]->(t:Team)\nRETURN t.name AS team, p.name AS person, oc.rotation AS rotation ORDER BY team", {}],
    ["Critical components by team", "MATCH (t:Team)-[:OWNS]->(c) WHERE c.tier = $tier\nRETURN t.name AS team, collect(c.id) AS components", { tier: "critical" }],
    ["Counts by label", "MATCH (n) RETURN labels(n)[0] AS label, count(n) AS n ORDER BY n DESC", {}],
  ];
  for (const [label] of EXAMPLES) $("#cypher-examples").append(el("option", { value: label }, label));
  $("#cypher-examples").addEventListener("change", (e) => {
    const ex = EXAMPLES.find(([l]) => l === e.target.value);
    if (!ex) return;
    $("#cypher-text").value = ex[1];
    $("#cypher-params").value = JSON.stringify(ex[2]);
  });
  function cell(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  async function runCypher() {
    const out = $("#cypher-results");
    let params = {};
    const raw = $("#cypher-params").value.trim();
    try { params = raw ? JSON.parse(raw) : {}; } catch (e) { out.replaceChildren(el("div", { class: "msg err" }, "parameters are not valid JSON: " + e.message)); return; }
    out.replaceChildren(el("p", { class: "muted" }, "running…"));
    try {
      const r = await api("/v1/query", { method: "POST", body: JSON.stringify({ cypher: $("#cypher-text").value, params, limit: 1000 }) });
      const table = el("table", { class: "grid", id: "cypher-table" }, el("tr", {}, r.columns.map((c) => el("th", {}, c))));
      for (const row of r.rows) {
        table.append(el("tr", {}, r.columns.map((c) => {
          const v = row[c];
          return el("td", {}, typeof v === "string" && state.graphIds.has(v) ? nodeLink(v) : cell(v));
        })));
      }
      $("#cypher-meta").textContent = `${r.rows.length} row(s) in ${fmt(r.elapsed_ms, 1)} ms` + (r.truncated ? " (truncated)" : "");
      out.replaceChildren(table);
    } catch (e) {
      $("#cypher-meta").textContent = "";
      out.replaceChildren(cypherError(e));
    }
  }
  // A label typo gets its likeliest meaning (one click puts it in the query); a refused write says what this server allows.
  function cypherError(e) {
    const box = el("div", { class: "msg err", id: "cypher-error", "data-code": e.code || "" });
    const d = e.details || {};
    if (e.code === "unknown_label" && Array.isArray(d.unknown)) {
      box.append(el("div", {}, "The query names what this estate does not have, so it would match nothing:"));
      box.append(el("ul", { class: "plain hints" }, d.unknown.map((u) => el("li", { "data-name": u.name }, `no such ${u.kind} ${u.name}`,
        u.suggestions.length ? ["; did you mean ", ...u.suggestions.map((sug, i) => [i ? " or " : "", el("a", { class: "link fix", href: "#",
          onclick: (ev) => { ev.preventDefault(); replaceName(u.name, sug); } }, sug)]), "?"] : ""))));
      box.append(el("div", { class: "muted" }, "labels: " + (d.labels || []).join(", ")));
    } else if (e.code === "write_refused" && Array.isArray(d.what_you_can_do)) {
      box.append(el("div", {}, d.read_only_server ? "This server was started read-only: nothing can be written through it."
                                                    : "The Cypher editor only reads: this query would write."));
      box.append(el("div", {}, "What you can do:"), el("ul", { class: "hints" }, d.what_you_can_do.map((t) => el("li", {}, t))));
    } else {
      box.append(`${e.code}: ${e.message}`);
    }
    return box;
  }
  function replaceName(from, to) {
    const t = $("#cypher-text");
    const esc = from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    t.value = t.value.replace(new RegExp("([:|]\\s*)`?" + esc + "`?(?![\\w`])", "g"), "$1" + to);
    runCypher();
  }
  $("#cypher-run").addEventListener("click", runCypher);
  $("#cypher-text").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); runCypher(); } });

  // ---- start ------------------------------------------------------------------------------------------
  async function boot() {
    try {
      const ready = await api("/readyz");
      setStatus(`${ready.nodes} nodes · ${ready.edges} edges · ${ready.documents} docs` + (ready.risk_model ? ` · risk ${ready.risk_model}` : ""), "ok");
      const schema = await api("/v1/schema");
      $("#estate-name").textContent = schema.name || "";
      await loadGraph();
      loadRisk();
      loadSuggestions();
    } catch (e) {
      setStatus(e.code === "unauthorized" ? "token needed" : "error: " + e.message, "bad");
    }
  }
  boot();
})();
