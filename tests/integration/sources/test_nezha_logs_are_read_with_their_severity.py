"""Nezha's real Online Boutique log files (the runtime's JSON wrapper around JSON and Java/C# text lines) read as
(service, time, error) lines: every line kept, pods mapped to the ten services, times inside the file's minute."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from helpers import datasets_dir
from opsgraph.sources.logs import read_logs

NEZHA = datasets_dir() / "nezha_online_boutique"
SERVICES = {"adservice", "cartservice", "checkoutservice", "currencyservice", "emailservice", "frontend", "paymentservice",
            "productcatalogservice", "recommendationservice", "shippingservice"}


@pytest.mark.parametrize("path", ["2022-08-22/log/05_19_log.csv", "2022-08-23/log/13_29_log.csv"])
def test_every_line_is_read_for_its_service(path: str) -> None:
    lines = list(read_logs(NEZHA / path))
    with (NEZHA / path).open(newline="") as fh:
        rows = sum(1 for _ in csv.reader(fh)) - 1
    assert len(lines) == rows > 5000
    assert {x.service for x in lines} == SERVICES
    minute = int(path.split("/")[-1][:2]) * 3600 + int(path.split("/")[-1][3:5]) * 60
    assert all(abs((x.time_ns // 10**9) % 86400 - minute) <= 120 for x in lines)
    # both windows are CPU-contention faults: the services log nothing at error level in them
    assert Counter(x.error for x in lines) == {False: rows}
