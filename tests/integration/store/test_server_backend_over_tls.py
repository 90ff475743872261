"""The `arcadedb-server` backend over https against a real ArcadeDB server with TLS on.

The test makes a self-signed certificate for 127.0.0.1 with the `keytool` of the JRE that `arcadedb-embedded`
ships, starts the engine's own server in a child process with its SSL settings (`arcadedb.ssl.*`,
`arcadedb.server.httpsIncomingPort`), and then: with `store.ca_file` naming the certificate, the store writes and
reads over https through the facade's settings; with the default verification and no CA file the connection is
refused with an error that says why; `tls_verify: false` connects (what a user opts into knowingly).
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from opsgraph.app import OpsGraph, Settings
from opsgraph.errors import StoreError
from opsgraph.schema import parse_schema
from opsgraph.store.http_transport import server_store

SCHEMA = parse_schema("version: 1\nname: tls\nnodes:\n  N: {properties: {name: string}}\n")

SERVER = textwrap.dedent(
    """
    import sys, time
    import arcadedb_embedded as arcadedb
    root, password, http_port, https_port, keystore, store_password = sys.argv[1:]
    config = {"host": "127.0.0.1", "http_port": int(http_port), "server_httpsIncomingPort": int(https_port),
              "ssl_enabled": "true", "ssl_keyStore": keystore, "ssl_keyStorePassword": store_password,
              "ssl_trustStore": keystore, "ssl_trustStorePassword": store_password}
    server = arcadedb.create_server(root, root_password=password, config=config)
    server.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the test closes stdin
    server.stop()
    """
)


@dataclass(frozen=True)
class TlsServer:
    url: str
    """The https URL."""
    ca_file: Path
    """The server's self-signed certificate (PEM)."""
    password_file: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    import arcadedb_embedded

    folder = tmp_path_factory.mktemp("tls-server")
    keytool = Path(arcadedb_embedded.__file__).parent / "jre" / "bin" / "keytool"
    keystore, pem, store_password = folder / "server.p12", folder / "server.pem", secrets.token_urlsafe(12)
    subprocess.run([str(keytool), "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=127.0.0.1",
                    "-ext", "SAN=IP:127.0.0.1,DNS:localhost", "-keystore", str(keystore), "-storetype", "PKCS12", "-storepass", store_password,
                    "-keypass", store_password], check=True, capture_output=True, timeout=120)
    subprocess.run([str(keytool), "-exportcert", "-rfc", "-alias", "server", "-keystore", str(keystore), "-storepass", store_password,
                    "-file", str(pem)], check=True, capture_output=True, timeout=120)
    password = secrets.token_urlsafe(16)
    password_file = folder / "root-password"
    password_file.write_text(password + "\n", encoding="utf-8")
    password_file.chmod(0o600)
    https_port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(folder / "databases"), password, str(_free_port()), str(https_port), str(keystore),
                             store_password], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=folder)
    assert proc.stdout is not None and proc.stdin is not None
    try:
        line = proc.stdout.readline()
        assert line.strip() == "ready", f"the TLS server did not start (exit {proc.poll()})"
        yield TlsServer(f"https://127.0.0.1:{https_port}", pem, password_file)
    finally:
        proc.stdin.close()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)
        proc.stdout.close()


def test_the_facade_writes_and_reads_over_https_with_the_servers_ca(tls_server: TlsServer, tmp_path: Path) -> None:
    store = {"backend": "arcadedb-server", "url": tls_server.url, "database": "viaca", "password_file": str(tls_server.password_file),
             "ca_file": str(tls_server.ca_file)}
    with OpsGraph(Settings(home=tmp_path / "home", store=store, embed={"provider": "none"})) as og:
        og.store.ensure_schema(SCHEMA)
        og.store.upsert_nodes("N", [{"id": "a", "name": "over tls"}])
        assert og.query("MATCH (n:N) RETURN n.name AS name").rows == [{"name": "over tls"}]


def test_an_unknown_certificate_is_refused_unless_verification_is_turned_off(tls_server: TlsServer) -> None:
    password = tls_server.password_file.read_text(encoding="utf-8").strip()
    with pytest.raises(StoreError, match=r"(?i)certificate"), server_store(tls_server.url, database="noca", password=password, journal=False):
        pass
    with server_store(tls_server.url, database="noverify", password=password, verify=False, journal=False) as store:
        store.ensure_schema(SCHEMA)
        assert store.query("MATCH (n:N) RETURN count(n) AS c").rows == [{"c": 0}]
