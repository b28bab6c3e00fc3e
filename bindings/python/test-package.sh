#!/usr/bin/env bash
# Installs the moth-auth package (this directory) into a clean temporary
# project, the way a user's project would get it, and uses it from there:
#
#   1. copies this directory (without caches or build artefacts) to a temp
#      dir, so the build leaves nothing behind in the repository;
#   2. makes a fresh virtual environment (python3 -m venv), or, where venv
#      or ensurepip is unavailable (Debian without python3-venv), installs
#      with `pip install --target` into a temp dir put on PYTHONPATH;
#   3. pip-installs the copy (a regular, non-editable setuptools build);
#   4. checks that the installed package holds moth.wasm (the same bytes as
#      moth/moth.wasm here) and py.typed;
#   5. from another directory, runs an example that opens Moth on a SQLite
#      store in the temp dir, creates a user, logs in, validates, and
#      checks InvalidPasswordError on a wrong password;
#   6. pip-installs mypy and runs `mypy --strict` on that example against the
#      installed package (and checks that a mistyped use is refused);
#      skipped with a message when mypy cannot be installed (no network),
#      unless MOTH_REQUIRE_MYPY=1.
#
# Needs moth/moth.wasm (CI copies the freshly built component there):
#   cargo build --release -p moth-host
#   ./target/release/moth component -o bindings/python/moth/moth.wasm
#
# Environment: PYTHON (default python3); MOTH_PACKAGE_ENV=venv|target to
# force one way of installing; MOTH_REQUIRE_MYPY=1 to fail instead of
# skipping the type check; MOTH_KEEP_TMP=1 to keep the temp dir.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"
say() { printf 'test-package: %s\n' "$*"; }
fail() { printf 'test-package: FAIL: %s\n' "$*" >&2; exit 1; }

[[ -f "$here/moth/moth.wasm" ]] || fail "$here/moth/moth.wasm is missing; build it first (from the repository root):
  cargo build --release -p moth-host
  ./target/release/moth component -o bindings/python/moth/moth.wasm"
command -v "$python" >/dev/null || fail "no $python"

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
unset PIP_USER PIP_TARGET PIP_PREFIX PYTHONPATH VIRTUAL_ENV 2>/dev/null || true

# What git sees of this directory (ignored files included), to check that
# the run leaves nothing behind.
git_state() { git -C "$here" status --porcelain --ignored --untracked-files=all -- . 2>/dev/null || true; }
before="$(git_state)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/moth-python-package.XXXXXX")"
cleanup() {
    if [[ "${MOTH_KEEP_TMP:-}" == 1 ]]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. A copy of the package source.
mkdir -p "$tmp/src" "$tmp/project"
tar -C "$here" -cf - \
    --exclude=./build --exclude=./dist --exclude='*.egg-info' --exclude=__pycache__ --exclude=.pytest_cache \
    --exclude=.mypy_cache --exclude='*.sqlite*' --exclude=.venv --exclude=./tests . | tar -C "$tmp/src" -xf -
say "copied $here to $tmp/src"

# 2. A clean environment: a venv, else pip --target + PYTHONPATH.
mode="${MOTH_PACKAGE_ENV:-}"
if [[ -z "$mode" || "$mode" == venv ]]; then
    if "$python" -m venv "$tmp/venv" >"$tmp/venv.log" 2>&1 && [[ -x "$tmp/venv/bin/python" ]] \
        && "$tmp/venv/bin/python" -m pip --version >/dev/null 2>&1; then
        mode=venv
    elif [[ "$mode" == venv ]]; then
        cat "$tmp/venv.log" >&2
        fail "$python -m venv failed"
    else
        say "$python -m venv is unavailable here ($(tail -n 1 "$tmp/venv.log")); falling back to pip install --target"
        rm -rf "$tmp/venv"
        mode=target
    fi
fi
case "$mode" in
    venv)
        py="$tmp/venv/bin/python"
        site="$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
        pip_into=()
        say "environment: fresh venv ($("$py" --version), $("$py" -m pip --version | cut -d' ' -f1-2))"
        ;;
    target)
        "$python" -m pip --version >/dev/null 2>&1 || fail "neither venv nor pip is available for $python"
        py="$python"
        site="$tmp/site"
        mkdir -p "$site"
        pip_into=(--target "$site")
        export PYTHONPATH="$site" PYTHONNOUSERSITE=1
        say "environment: pip install --target $site with PYTHONPATH ($("$py" --version))"
        ;;
    *) fail "MOTH_PACKAGE_ENV is venv or target, not $mode" ;;
esac

# 3. Install the package from the copy (pip builds a wheel with setuptools).
say "pip install $tmp/src"
(cd "$tmp" && "$py" -m pip install -q ${pip_into[@]+"${pip_into[@]}"} "$tmp/src") || fail "pip install of the package failed"

# 4. What was installed. Run from the empty project dir, so only the
#    installed package can be imported.
wasm_sha="$("$py" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' \
    "$here/moth/moth.wasm")"
(cd "$tmp/project" && "$py" - "$site" "$wasm_sha" <<'EOF') || fail "the installed package is incomplete"
import hashlib
import sys
from importlib import metadata, resources
from pathlib import Path

site, wasm_sha = Path(sys.argv[1]).resolve(), sys.argv[2]
import moth

pkg = Path(moth.__file__).resolve().parent
assert pkg == site / "moth", f"moth was imported from {pkg}, not from the installed {site / 'moth'}"
dist = metadata.distribution("moth-auth")
files = sorted(str(f) for f in dist.files or [])
ours = [f for f in files if f.startswith("moth/") and "__pycache__" not in f]
stray = [f for f in files if not f.startswith(("moth/", "moth_auth-"))]
assert not stray, f"installed outside the package: {stray}"
for need in ("moth/__init__.py", "moth/stores.py", "moth/compat.py", "moth/proauth2.py", "moth/moth.wasm", "moth/py.typed"):
    assert need in ours, f"{need} is not installed (RECORD has {ours})"
root = resources.files("moth")
wasm = root.joinpath("moth.wasm").read_bytes()
assert hashlib.sha256(wasm).hexdigest() == wasm_sha, "the installed moth.wasm differs from moth/moth.wasm"
assert root.joinpath("py.typed").is_file()
meta = dist.metadata
assert "Typing :: Typed" in (meta.get_all("Classifier") or [])
print(f"test-package: installed {meta['Name']} {meta['Version']} (Requires-Python {meta['Requires-Python']}; "
      f"requires {', '.join(dist.requires or [])}) in {site}")
for f in ours:
    size = (site / f).stat().st_size
    print(f"test-package:   {f} ({size} bytes)")
EOF

# 5. An example in the fresh project, typed so that mypy can check it too.
cat >"$tmp/project/example.py" <<'EOF'
"""A fresh project using the installed moth-auth package."""

from __future__ import annotations

import sys
from pathlib import Path

import moth
from moth import InvalidPasswordError, Moth, Session, SqliteStore, User, Validation


def main(db: Path) -> None:
    store = SqliteStore(str(db))
    auth: Moth = Moth.open(store)
    ann: User = auth.create_user("ann", "correct horse", "admin")
    assert (ann.username, ann.permissions) == ("ann", "admin"), ann
    session: Session = auth.login("ann", "correct horse")
    assert session.user == ann and session.token, session
    checked: Validation = auth.validate(session.token)
    assert checked.user == ann and checked.expires == session.expires, checked
    try:
        auth.login("ann", "wrong")
    except InvalidPasswordError as e:
        assert e.code == "invalid-password", e.code
    else:
        raise AssertionError("a wrong password logged in")
    store.close()

    # A second handle on the same file sees the same user and session.
    again = SqliteStore(str(db))
    assert Moth.open(again).validate(session.token).user == ann
    again.close()
    print(f"example: {ann} logged in and validated, a wrong password raised InvalidPasswordError "
          f"(moth from {Path(moth.__file__).parent}, store {db.name})")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
EOF
say "running the example from $tmp/project"
(cd "$tmp/project" && "$py" example.py "$tmp/project/moth.sqlite") || fail "the example failed"
[[ -s "$tmp/project/moth.sqlite" ]] || fail "the example wrote no SQLite store"

# 6. mypy --strict against the installed package.
if [[ "$mode" == venv ]]; then
    mypy_into=()
    run_mypy() { (cd "$tmp/project" && "$py" -m mypy --strict --no-error-summary --cache-dir "$tmp/mypy-cache" "$@"); }
else
    mypy_into=(--target "$tmp/tools")
    run_mypy() {
        (cd "$tmp/project" && PYTHONPATH="$site:$tmp/tools" \
            "$py" -m mypy --strict --no-error-summary --cache-dir "$tmp/mypy-cache" "$@")
    }
fi
if (cd "$tmp" && "$py" -m pip install -q --retries 1 --timeout 20 ${mypy_into[@]+"${mypy_into[@]}"} mypy) >"$tmp/mypy-install.log" 2>&1; then
    say "$(run_mypy --version) --strict example.py"
    run_mypy example.py || fail "mypy --strict refused the example"
    say "mypy --strict: no issues in example.py"
    # The hints are read, and precise: a token is no int.
    cat >"$tmp/project/mistyped.py" <<'EOF'
from moth import Moth

token: int = Moth.open().login("ann", "pw").token
EOF
    if out="$(run_mypy mistyped.py 2>&1)"; then
        fail "mypy --strict accepted a str token assigned to an int: the package's hints are not used"
    fi
    grep -q 'Incompatible types in assignment (expression has type "str", variable has type "int")' <<<"$out" \
        || { printf '%s\n' "$out" >&2; fail "mypy failed on mistyped.py for another reason"; }
    say "mypy --strict: refuses mistyped.py as it should ($(grep -o 'error: .*' <<<"$out" | head -n 1))"
else
    if [[ "${MOTH_REQUIRE_MYPY:-}" == 1 ]]; then
        cat "$tmp/mypy-install.log" >&2
        fail "could not pip install mypy"
    fi
    say "SKIP mypy: could not pip install mypy (no network?): $(grep -v '^\s*$' "$tmp/mypy-install.log" | tail -n 1)"
fi

# Nothing left behind in the repository.
after="$(git_state)"
if [[ "$before" != "$after" ]]; then
    diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") >&2 || true
    fail "the run changed $here (see git status above)"
fi
say "ok ($mode)"
