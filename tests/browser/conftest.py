"""The session's moth server: the release binary (MOTH_BIN, else
target/release/moth) on a free loopback port with a fresh store, no admin
key (so admin routes are open on loopback), always stopped at the end."""

import shutil
import tempfile

import pytest

from moth_helpers import start_moth, stop


@pytest.fixture(scope="session")
def moth():
    tmp = tempfile.mkdtemp(prefix="moth-browser-")
    try:
        try:
            server = start_moth(tmp)
        except FileNotFoundError as e:
            pytest.fail(str(e))
        try:
            yield server
        finally:
            stop(server.proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
