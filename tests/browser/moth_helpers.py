"""Helpers for the browser and interop tests: starting the moth binary on a
free loopback port with a fresh store, and small HTTP helpers on urllib that
never follow redirects and never raise on an error status."""

import base64
import hashlib
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "Violet-anchor-7-ledger-quartz"


def moth_bin() -> Path:
    path = Path(os.environ.get("MOTH_BIN") or REPO / "target" / "release" / "moth")
    if not path.is_absolute():
        path = REPO / path
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8")

    def header_values(self, name):
        return self.headers.get_all(name) or []


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def request(method, url, *, form=None, json_body=None, headers=None, timeout=10) -> Response:
    """One HTTP request; the answer whatever its status (3xx not followed)."""
    headers = dict(headers or {})
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    elif json_body is not None:
        data = json.dumps(json_body).encode()
        headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _OPENER.open(req, timeout=timeout) as res:
            return Response(res.status, res.headers, res.read())
    except urllib.error.HTTPError as e:
        with e:
            return Response(e.code, e.headers, e.read())


def pkce_pair():
    """(code_verifier, S256 code_challenge) per RFC 7636 §4.1–4.2."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


class Moth:
    """A running moth server."""

    def __init__(self, base, proc, log_path):
        self.base = base
        self.proc = proc
        self.log_path = log_path

    def url(self, path):
        return self.base + path

    def log(self):
        try:
            return Path(self.log_path).read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def create_user(self, username, password=PASSWORD):
        r = request("PUT", self.url("/new"),
                    json_body={"username": username, "password": password, "permissions": ""})
        assert r.status in (200, 201), (r.status, r.body)
        return r.json()

    def register_client(self, **metadata):
        r = request("POST", self.url("/oauth2/register"), json_body=metadata)
        assert r.status == 201, (r.status, r.body)
        return r.json()


def _wait_listening(proc, base, log_path, deadline):
    last = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moth exited with {proc.returncode}:\n"
                               + Path(log_path).read_text(errors="replace"))
        try:
            r = request("GET", base + "/.well-known/oauth-authorization-server", timeout=2)
            if r.status == 200:
                return
            last = r.status
        except OSError as e:
            last = e
        time.sleep(0.05)
    raise RuntimeError(f"moth did not answer at {base} in time (last: {last}):\n"
                       + Path(log_path).read_text(errors="replace"))


def start_moth(tmp):
    """Create a store under `tmp` and serve it; a running Moth."""
    binary = moth_bin()
    if not binary.is_file():
        raise FileNotFoundError(f"moth binary not found at {binary} (build it, or set MOTH_BIN)")
    store = os.path.join(tmp, "store")
    log_path = os.path.join(tmp, "moth.log")
    subprocess.run([str(binary), "--store", store, "create"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    # A port can be taken between choosing and binding it: try a few.
    for _ in range(5):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with open(log_path, "ab") as log:
            proc = subprocess.Popen([str(binary), "--store", store, "run", "--port", str(port)],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_listening(proc, base, log_path, time.monotonic() + 20)
            return Moth(base, proc, log_path)
        except RuntimeError:
            stop(proc)
            if "in use" not in Path(log_path).read_text(errors="replace"):
                raise
    raise RuntimeError("moth could not bind a free port")


def stop(proc):
    """End the server: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
