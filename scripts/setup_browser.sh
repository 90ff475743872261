#!/usr/bin/env bash
# Test setup for the browser test (tests/integration/api/test_web_page_in_chromium.py):
# Debian's Chromium, installed only when /usr/bin/chromium is missing.
# Playwright's own browser download (`playwright install`) does not work on this
# closed network, so the test drives this system Chromium instead.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo "==> [setup] chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "error: /usr/bin/chromium is missing and installing it needs root: sudo apt-get install -y chromium" >&2
    exit 1
fi
echo "==> [setup] installing Debian's chromium for the browser test (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium
/usr/bin/chromium --version
