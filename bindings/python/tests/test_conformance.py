"""The shared scenario (tests/conformance/scenario.json) through Python."""

import dataclasses
import json
from pathlib import Path

from moth import ComponentTrapError, ManualClock, MemoryStore, Moth, MothError, Settings, StoreTrap

SCENARIO = json.loads((Path(__file__).parents[3] / "tests" / "conformance" / "scenario.json").read_text())


def settings_in(s):
    """Scenario settings (WIT kebab-case names) as the binding's Settings."""
    return Settings(**{k.replace("-", "_"): v for k, v in s.items()})


def to_scenario(v):
    """A binding value as the scenario writes it: dataclasses as objects with
    WIT kebab-case field names."""
    if dataclasses.is_dataclass(v):
        return {f.name.replace("_", "-"): to_scenario(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, list):
        return [to_scenario(x) for x in v]
    return v


def call(moth, op, a):
    if op == "create-user":
        return moth.create_user(a["username"], a["password"], a["permissions"])
    if op == "delete-user":
        return moth.delete_user(a["id"])
    if op == "get-user":
        return moth.get_user(a["id"])
    if op == "list-users":
        return moth.list_users(a["after"], a["limit"])
    if op == "set-password":
        return moth.set_password(a["id"], a["password"])
    if op == "set-permissions":
        return moth.set_permissions(a["id"], a["permissions"])
    if op == "check-password":
        return moth.check_password(a["username"], a["password"])
    if op == "login":
        return moth.login(a["username"], a["password"], a["lifetime"])
    if op == "validate":
        return moth.validate(a["token"])
    if op == "logout":
        return moth.logout(a["token"])
    if op == "count-tokens":
        return moth.count_tokens(a["id"])
    if op == "delete-tokens":
        return moth.delete_tokens(a["id"])
    if op == "sweep":
        return moth.sweep(a["limit"])
    if op == "get-settings":
        return moth.get_settings()
    if op == "set-settings":
        return moth.set_settings(settings_in(a["settings"]))
    raise AssertionError(f"unknown operation {op}")


def matches(expected, actual):
    if expected == "*":
        return True
    if isinstance(expected, dict):
        return isinstance(actual, dict) and expected.keys() == actual.keys() and all(
            matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            matches(e, x) for e, x in zip(expected, actual))
    return type(expected) is type(actual) and expected == actual


def substitute(v, saved):
    if isinstance(v, str) and v.startswith("$"):
        return saved[v[1:]]
    if isinstance(v, dict):
        return {k: substitute(x, saved) for k, x in v.items()}
    if isinstance(v, list):
        return [substitute(x, saved) for x in v]
    return v


class HarnessStore:
    """The scenario's store: a MemoryStore that the harness steps break."""

    def __init__(self):
        self.inner = MemoryStore()
        self.trap_next = False  # trap-store: the next call raises StoreTrap, trapping the component
        self.failing = False  # fail-store: every call fails (reported as a store `failure`)

    def _enter(self):
        if self.trap_next:
            self.trap_next = False
            raise StoreTrap("the store was asked to trap this call")
        if self.failing:
            raise OSError("store taken away")

    def get(self, key):
        self._enter()
        return self.inner.get(key)

    def scan(self, start, end, limit):
        self._enter()
        return self.inner.scan(start, end, limit)

    def commit(self, guards, writes):
        self._enter()
        return self.inner.commit(guards, writes)


def error_name(e):
    """The scenario's name for a MothError: "trap" when the component trapped."""
    return "trap" if isinstance(e, ComponentTrapError) else e.code


def test_the_shared_scenario_passes_through_the_python_host():
    clock = ManualClock(SCENARIO["clock"])
    store = HarnessStore()
    moth = Moth.open(store, clock=clock, settings=settings_in(SCENARIO["settings"]))
    saved = {}
    for i, step in enumerate(SCENARIO["steps"]):
        op, args = step["op"], substitute(step["args"], saved)
        if op == "advance-clock":
            clock.advance(args["seconds"])
            continue
        if op == "trap-store":
            store.trap_next = True
            continue
        if op == "fail-store":
            store.failing = True
            continue
        try:
            got, err = to_scenario(call(moth, op, args)), None
        except MothError as e:
            got, err = None, e
        if "error" in step["expect"]:
            assert err is not None and error_name(err) == step["expect"]["error"], f"step {i} {op}: {got!r} {err!r}"
        else:
            assert err is None, f"step {i} {op}: {err!r}"
            assert matches(step["expect"]["ok"], got), f"step {i} {op}: {got!r} vs {step['expect']['ok']!r}"
            if "save" in step:
                saved[step["save"]] = got["token"]
