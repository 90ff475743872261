"""The web page: static files (HTML, plain JS, CSS, vendored Cytoscape.js) served by the HTTP API at `/`.

No build step and no CDN: everything the page needs is in `static/`, so it
works on a closed network. It talks to the API with `fetch` (the bearer
token, when the server has one, is asked once and kept in the tab's session storage).
"""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
"""index.html, app.js, style.css and vendor/."""
