"""The metadata is in pyproject.toml; this only refuses to build a package
without its component, which ``moth`` could not import."""

from pathlib import Path

from setuptools import setup

WASM = Path(__file__).resolve().parent / "moth" / "moth.wasm"
if not WASM.is_file():
    raise SystemExit(f"moth-auth: {WASM} is missing; build the component first (from the repository root):\n"
                     "  cargo build --release -p moth-host\n"
                     "  ./target/release/moth component -o bindings/python/moth/moth.wasm")

setup()
