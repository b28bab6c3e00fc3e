import dataclasses
import time

import pytest

from moth import (ComponentTrapError, InvalidInputError, InvalidTokenError, ManualClock, MemoryStore, Moth,
                  MothError, NoUserError, Settings, SqliteStore, StorageError, StoreTrap, SweepOutcome,
                  TokenExpiredError, User, UserExistsError)

CHEAP = Settings(8, 1, 1, 3600, True)


def test_sqlite_store_keeps_everything_across_reopening(tmp_path):
    path = str(tmp_path / "moth.sqlite")
    first = Moth.open(SqliteStore(path), settings=CHEAP)
    ann = first.create_user("ann", "pw", "admin")
    token = first.login("ann", "pw").token
    first.kv.close()
    again = Moth.open(SqliteStore(path))
    assert again.validate(token).user == ann
    assert again.create_user("bob", "pw").id == 2


def test_typed_errors_and_real_clock_and_randomness():
    moth = Moth.open(settings=CHEAP)
    moth.create_user("ann", "pw")
    with pytest.raises(UserExistsError):
        moth.create_user("ann", "pw")
    with pytest.raises(NoUserError):
        moth.login("zed", "pw")
    with pytest.raises(InvalidInputError):
        moth.create_user("", "pw")
    with pytest.raises(InvalidTokenError):
        moth.validate("moth_nope")
    a, b = moth.login("ann", "pw"), moth.login("ann", "pw")
    assert a.token != b.token and a.token.startswith("moth_") and len(a.token) == 54
    assert abs(a.expires - (int(time.time()) + 3600)) <= 2
    assert issubclass(TokenExpiredError, Exception)


def test_settings_come_from_the_component():
    moth = Moth.open()
    defaults = moth.get_settings()
    # The defaults documented in wit/settings.wit, as the component reports them.
    assert defaults == Settings(19456, 2, 1, 259200, False)
    moth.set_settings(dataclasses.replace(defaults, default_token_lifetime=60))
    assert moth.get_settings() == Settings(19456, 2, 1, 60, False)
    with pytest.raises(TypeError):
        Settings()  # no invented defaults


def test_sweep_reports_what_it_deleted_and_the_next_expiry():
    clock = ManualClock(1_000_000)
    moth = Moth.open(clock=clock, settings=CHEAP)
    assert moth.sweep() == SweepOutcome(deleted=0, next_expiry=None)
    moth.create_user("ann", "pw")
    moth.login("ann", "pw", 10)
    moth.login("ann", "pw", 20)
    clock.advance(10)
    assert moth.sweep() == SweepOutcome(1, 1_000_020)
    clock.advance(10)
    assert moth.sweep() == SweepOutcome(1, None)


def misbehave_once(obj, name, misbehave):
    """Make ``obj.name`` call ``misbehave`` (which raises, or returns what the
    real method should not) once, then be itself again."""
    def once(*args):
        del obj.__dict__[name]
        return misbehave(*args)
    obj.__dict__[name] = once


def raise_(e):
    raise e


def test_a_trap_fails_only_its_own_call_and_the_instance_is_replaced():
    store = MemoryStore()
    moth = Moth.open(store, settings=CHEAP)
    ann = moth.create_user("ann", "pw")
    token = moth.login("ann", "pw").token
    misbehave_once(store, "get", lambda key: raise_(StoreTrap("the disk caught fire")))
    with pytest.raises(ComponentTrapError) as trapped:
        moth.get_user(ann.id)
    assert isinstance(trapped.value, MothError) and trapped.value.code == "component-trap"
    assert isinstance(trapped.value.__cause__, StoreTrap)
    assert moth.get_user(ann.id) == ann
    assert moth.validate(token).user == ann
    assert moth.create_user("bob", "pw").id == 2
    assert moth.kv is store


def test_a_clock_that_raises_traps_the_call_and_the_next_call_works():
    clock = ManualClock(1_000_000)
    moth = Moth.open(clock=clock, settings=CHEAP)
    moth.create_user("ann", "pw")
    misbehave_once(clock, "now", lambda: raise_(RuntimeError("no time")))
    with pytest.raises(ComponentTrapError):
        moth.login("ann", "pw")
    assert moth.login("ann", "pw").expires == 1_000_000 + 3600
    assert moth.count_tokens(1) == 1


def test_a_store_that_returns_a_malformed_value_traps_the_call_and_the_next_call_works():
    store = MemoryStore()
    moth = Moth.open(store, settings=CHEAP)
    ann = moth.create_user("ann", "pw")
    misbehave_once(store, "get", lambda key: "not bytes")
    with pytest.raises(ComponentTrapError):
        moth.get_user(ann.id)
    assert moth.get_user(ann.id) == ann


def test_a_trap_in_a_write_commits_nothing():
    store = MemoryStore()
    moth = Moth.open(store, settings=CHEAP)
    moth.create_user("ann", "pw")
    misbehave_once(store, "commit", lambda guards, writes: raise_(StoreTrap("lost the connection")))
    with pytest.raises(ComponentTrapError):
        moth.create_user("bob", "pw")
    assert [u.username for u in moth.list_users().users] == ["ann"]
    assert moth.create_user("bob", "pw") == User(2, "bob", "")


def test_store_failures_and_wit_errors_are_not_traps():
    store = MemoryStore()
    moth = Moth.open(store, settings=CHEAP)
    moth.create_user("ann", "pw")
    misbehave_once(store, "get", lambda key: raise_(OSError("busy")))
    with pytest.raises(StorageError):
        moth.get_user(1)
    with pytest.raises(NoUserError):
        moth.get_user(2)
    with pytest.raises(TypeError):
        moth.get_user("1")  # a bad argument is the caller's error, as it was
    assert moth.get_user(1).username == "ann"
