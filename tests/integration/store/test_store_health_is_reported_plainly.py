"""A damaged, read-only, full, unreadable or locked home gets one plain line from the CLI, never a Java stack trace.

A truncated bucket (which the engine alone reads as zero rows, exit 0) and a bucket
overwritten with random bytes are detected at open by the clean-close record plus the
engine's `CHECK DATABASE`, and reported as corrupt with the file and what to do.
Read-only and full disks are real file systems made here (a tmpfs, remounted read-only
or filled); where mounting is not permitted the test says so and is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, Settings, sample_estate_path
from opsgraph.store.health import marker_path

OPSGRAPH = [sys.executable, "-m", "opsgraph.cli.main"]
SETTINGS = {"embed": {"provider": "hashing"}, "llm": {"provider": "none"}}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPSGRAPH_")}
    src = str(Path(__file__).resolve().parents[3] / "src")
    env.update(OPSGRAPH_EMBEDDER="hashing", OPSGRAPH_LLM="none", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([src, env.get("PYTHONPATH", "")]))
    return env


def run(*args: str, without_file_override: bool = False) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess; `without_file_override`: as root without the capabilities that bypass file permissions."""
    cmd = [*OPSGRAPH, *args]
    if without_file_override:
        cmd = ["capsh", "--drop=cap_dac_override,cap_dac_read_search,cap_fowner", "--", "-c", 'exec "$0" "$@"', *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=300, cwd="/")


def one_plain_line(stderr: str) -> str:
    """The stderr of a failed command, less progress bars: exactly one line, with no engine log or Java trace."""
    lines = [line for line in stderr.splitlines() if line.strip() and "━" not in line]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    for noise in ("Exception", "\tat ", "SEVERE", "WARNING", "Traceback", "com.arcadedb"):
        assert noise not in stderr, stderr
    return lines[0]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("health") / "home"
    with OpsGraph(Settings(home=home, **SETTINGS)) as og:
        og.ingest(sample_estate_path(), documents=False)
    assert marker_path(home / "store").exists(), "a clean close leaves its record"
    return home


def _copy(base: Path, dst: Path) -> Path:
    shutil.copytree(base, dst, symlinks=True)
    shutil.copy2(marker_path(base / "store"), marker_path(dst / "store"))  # (it sits in the home: copied already)
    return dst


def _bucket(home: Path, type_name: str = "Service") -> Path:
    return next(p for p in (home / "store").iterdir() if p.name.startswith(f"{type_name}_0.") and p.name.endswith(".bucket"))


def test_a_clean_home_opens_without_a_check_and_check_says_whole(base: Path, tmp_path: Path) -> None:
    home = _copy(base, tmp_path / "home")
    with OpsGraph(Settings(home=home, **SETTINGS)) as og:
        assert og.store.health is None  # type: ignore[attr-defined]
        assert not marker_path(home / "store").exists()  # open: the next open checks unless this one closes cleanly
    r = run("check", "--home", str(home))
    assert r.returncode == 0, r.stderr
    assert "is whole" in r.stdout and "0 errors" in r.stdout


def test_after_an_unclean_close_open_runs_the_integrity_check(base: Path, tmp_path: Path) -> None:
    home = _copy(base, tmp_path / "home")
    marker_path(home / "store").unlink()  # as a killed process leaves it
    with OpsGraph(Settings(home=home, **SETTINGS)) as og:
        report = og.store.health  # type: ignore[attr-defined]
        assert report is not None and report.ok
        assert og.query("MATCH (s:Service) RETURN count(s) AS n").rows == [{"n": 14}]
    assert marker_path(home / "store").exists()


def test_a_truncated_bucket_is_reported_as_corrupt_not_served(base: Path, tmp_path: Path) -> None:
    home = _copy(base, tmp_path / "home")
    bucket = _bucket(home)
    os.truncate(bucket, 100)
    r = run("query", "--home", str(home), "MATCH (s:Service) RETURN count(s) AS n")
    assert r.returncode == 1 and r.stdout == ""
    line = one_plain_line(r.stderr)
    assert "damaged" in line and bucket.name in line and "reset" in line and "backup" in line
    r = run("check", "--home", str(home))
    assert r.returncode == 1 and bucket.name in one_plain_line(r.stderr)


def test_a_bucket_overwritten_with_random_bytes_is_reported_as_corrupt(base: Path, tmp_path: Path) -> None:
    home = _copy(base, tmp_path / "home")
    bucket = _bucket(home)
    size = bucket.stat().st_size
    with bucket.open("r+b") as f:
        f.write(os.urandom(size))
    r = run("schema", "show", "--home", str(home))
    assert r.returncode == 1
    line = one_plain_line(r.stderr)
    assert "damaged" in line and bucket.name in line


def test_a_lock_held_elsewhere_is_one_plain_line(base: Path, tmp_path: Path) -> None:
    home = _copy(base, tmp_path / "home")
    with OpsGraph(Settings(home=home, **SETTINGS)):
        r = run("ingest", "--home", str(home), "--no-docs", str(sample_estate_path()))
    assert r.returncode == 1
    assert "in use by another process" in one_plain_line(r.stderr)


def test_missing_permissions_are_one_plain_line(base: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("capsh") is None:
        pytest.skip("running as root without capsh: file permissions cannot be made to apply")
    home = _copy(base, tmp_path / "home")
    os.chmod(home / "store", 0o500)  # readable, not writable: the engine cannot take its lock
    r = run("query", "--home", str(home), "MATCH (n) RETURN count(n) AS n", without_file_override=os.geteuid() == 0)
    os.chmod(home / "store", 0o700)
    assert r.returncode == 1
    assert "no permission" in one_plain_line(r.stderr)


@pytest.fixture()
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 40 MB tmpfs made for this test (mounting needs CAP_SYS_ADMIN: skipped, saying so, where it is not permitted)."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=40m", "tmpfs", str(mount)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.strip()}): a read-only or full disk cannot be made without it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_read_only_home_is_one_plain_line(base: Path, tmpfs: Path) -> None:
    home = _copy(base, tmpfs / "home")
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    r = run("query", "--home", str(home), "MATCH (s:Service) RETURN count(s) AS n")
    assert r.returncode == 1
    assert "read-only file system" in one_plain_line(r.stderr)


def test_a_full_disk_is_one_plain_line(base: Path, tmpfs: Path) -> None:
    home = _copy(base, tmpfs / "home")
    free = shutil.disk_usage(tmpfs).free
    (tmpfs / "filler").write_bytes(b"\0" * (free - 1_500_000))  # room to open, not to write the documents' types
    r = run("ingest", "--home", str(home), str(sample_estate_path()))
    assert r.returncode == 1
    assert "disk holding the store" in one_plain_line(r.stderr) and "is full" in r.stderr
    (tmpfs / "filler").unlink()
    r = run("query", "--home", str(home), "MATCH (s:Service) RETURN count(s) AS n")  # the home still answers
    assert r.returncode == 0, r.stderr
