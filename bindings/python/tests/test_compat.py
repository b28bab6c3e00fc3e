"""The seed facades in moth.compat: moth 2.1.1's Moth/AsyncMoth and fixie_creds' Cache."""

import asyncio
import threading

import pytest

import moth
from moth import (IpMismatchError, InvalidInputError, InvalidTokenError, KeyOwner, ManualClock, MemoryStore,
                  Settings, StorageError, TokenExpiredError, compat)

# The cheapest hashing, with the component's lockout and log defaults.
CHEAP = Settings(8, 1, 1, 3600, True, 1000, 1, False, 5, 900, 900, 86400, 50, 900, 900, 2592000)
DAY = 24 * 60 * 60


def test_the_package_exports_compat_and_the_names_do_not_clash():
    assert moth.compat is compat
    assert compat.Moth is not moth.Moth
    from moth.compat import AsyncMoth, Cache, Moth  # noqa: F401


def test_a_facade_wraps_a_binding_handle_or_opens_one():
    handle = moth.Moth.open(settings=CHEAP)
    assert compat.Moth(handle).moth is handle
    clock = ManualClock(1_000_000)
    store = MemoryStore()
    opened = compat.Moth(store=store, clock=clock, settings=CHEAP)
    assert isinstance(opened.moth, moth.Moth) and opened.moth.kv is store and opened.moth.clock is clock
    assert isinstance(compat.Cache().moth, moth.Moth)
    with pytest.raises(TypeError):
        compat.Moth("moth")  # the seed's database name: its MongoDB arguments are gone
    with pytest.raises(TypeError):
        compat.Moth(handle, store=store)


def test_create_and_auth_token_return_the_seed_shapes():
    clock = ManualClock(1_000_000)
    m = compat.Moth(clock=clock, settings=CHEAP)
    token = m.create_token("Ann@Example.com")
    assert isinstance(token, str) and token.startswith("mothe_")
    # Lower-cased, as the seed did: the binding sees the lower-cased address.
    [info] = m.moth.list_email_tokens("ann@example.com")
    assert info.expires == 1_000_000 + 15 * 60  # expire=None: moth's default, not "never"
    assert m.auth_token("ANN@example.com", token) is True  # no retval: True
    assert m.last_error is None
    assert m.auth_token("ann@example.com", token) is False  # single-use
    assert isinstance(m.last_error, InvalidTokenError)
    with_retval = m.create_token("ann@example.com", retval="oauth")
    assert m.auth_token("ann@example.com", with_retval) == "oauth"
    assert m.auth_token("ann@example.com", "garbage") is False
    assert m.auth_token("", "garbage") is False  # a refused address fails, it does not raise


def test_expire_is_in_days_defaults_to_15_minutes_and_is_bounded_by_30_days():
    clock = ManualClock(1_000_000)
    m = compat.Moth(clock=clock, settings=CHEAP)
    lifetimes = []
    for expire in (None, 0, 1, 0.5, 30, 365, float("inf"), 1e-9):
        m.create_token("ann@example.com", expire=expire)
        lifetimes.append(m.moth.list_email_tokens("ann@example.com")[-1].expires - 1_000_000)
        m.remove_user("ann@example.com")
    assert lifetimes == [900, 900, DAY, DAY // 2, 30 * DAY, 30 * DAY, 30 * DAY, 1]
    for bad in (-1, float("nan")):
        with pytest.raises(InvalidInputError):
            m.create_token("ann@example.com", expire=bad)
    with pytest.raises(TypeError):
        m.create_token("ann@example.com", expire="7")
    token = m.create_token("ann@example.com", expire=1)
    clock.advance(DAY)
    assert m.auth_token("ann@example.com", token) is False
    assert isinstance(m.last_error, TokenExpiredError)


def test_ip_binding_and_mismatch_deletes_the_token():
    m = compat.Moth(settings=CHEAP)
    bound = m.create_token("ann@example.com", "192.0.2.1")
    assert m.auth_token("ann@example.com", bound, "192.0.2.2") is False
    assert isinstance(m.last_error, IpMismatchError)
    assert m.auth_token("ann@example.com", bound, "192.0.2.1") is False  # deleted
    bound = m.create_token("ann@example.com", "192.0.2.1")
    assert m.auth_token("ann@example.com", bound) is False  # bound, and no ip given
    bound = m.create_token("ann@example.com", "192.0.2.1")
    assert m.auth_token("ann@example.com", bound, "192.0.2.1") is True
    unbound = m.create_token("ann@example.com")
    assert m.auth_token("ann@example.com", unbound, "198.51.100.7") is True  # differs from the seed
    with pytest.raises(InvalidInputError):
        m.create_token("ann@example.com", "not an ip")


def test_retval_is_per_token_and_uses_is_an_extension():
    m = compat.Moth(settings=CHEAP)
    a = m.create_token("ann@example.com", retval="a", uses=2)
    b = m.create_token("ann@example.com", retval="b")
    assert m.set_retval("ann@example.com", a, "a2") is True
    assert m.set_retval("ann@example.com", "mothe_nope", "x") is False
    assert m.auth_token("ann@example.com", b) == "b"
    assert m.auth_token("ann@example.com", a) == "a2"
    assert m.set_retval("ann@example.com", a, None) is True
    assert m.auth_token("ann@example.com", a) is True
    assert m.auth_token("ann@example.com", a) is False
    c = m.create_token("ann@example.com", None, None, "positional")  # the seed's argument order
    assert m.auth_token("ann@example.com", c) == "positional"
    with pytest.raises(TypeError):
        m.create_token("ann@example.com", None, None, 64)  # a retval is a string


def test_remove_token_and_remove_user():
    m = compat.Moth(settings=CHEAP)
    a = m.create_token("ann@example.com")
    b = m.create_token("ann@example.com")
    other = m.create_token("bob@example.com")
    assert m.remove_token("ann@example.com", a) is True
    assert m.remove_token("ann@example.com", a) is False
    assert m.auth_token("ann@example.com", a) is False
    assert m.remove_user("Ann@example.com") is None
    assert m.auth_token("ann@example.com", b) is False
    assert m.auth_token("bob@example.com", other) is True


def test_storage_failures_raise():
    store = MemoryStore()
    m = compat.Moth(store=store, settings=CHEAP)
    token = m.create_token("ann@example.com")
    store.get = lambda key: (_ for _ in ()).throw(OSError("disk gone"))
    with pytest.raises(StorageError):
        m.auth_token("ann@example.com", token)
    del store.get
    assert m.auth_token("ann@example.com", token) is True


def test_async_moth_runs_the_same_methods_in_threads_one_at_a_time():
    am = compat.AsyncMoth(settings=CHEAP)
    inside = []
    overlap = []
    real = am.moth.auth_email_token

    def watched(*args):
        inside.append(threading.get_ident())
        if len(inside) > 1:
            overlap.append(True)
        try:
            return real(*args)
        finally:
            inside.pop()
    am.moth.auth_email_token = watched

    async def main():
        tokens = [await am.create_token("ann@example.com", retval=f"r{i}", expire=1) for i in range(8)]
        assert all(t.startswith("mothe_") for t in tokens)
        results = await asyncio.gather(*(am.auth_token("ann@example.com", t) for t in tokens))
        assert results == [f"r{i}" for i in range(8)]
        assert await am.auth_token("ann@example.com", tokens[0]) is False
        assert isinstance(am.last_error, InvalidTokenError)
        t = await am.create_token("ann@example.com")
        assert await am.set_retval("ann@example.com", t, "x") is True
        assert await am.remove_token("ann@example.com", t) is True
        assert await am.remove_user("ann@example.com") is None
        assert await am.run(am.moth.list_email_tokens, "ann@example.com") == []

    asyncio.run(main())
    assert not overlap, "calls into one moth instance overlapped"
    assert isinstance(compat.AsyncMoth(am.moth).moth, moth.Moth)


def test_cache_register_verify_and_the_seed_tuples():
    c = compat.Cache(settings=CHEAP)
    assert c.user_exists("ann") is False
    token, ok = c.register("ann", "ann@example.com")
    assert ok is True and token.startswith("mothk_")
    assert c.user_exists("ann") is True
    message, ok = c.register("ann", "ann@example.com")
    assert ok is False and "already registered" in message
    message, ok = c.register("ann", "other@example.com")  # one registration per user, whatever the email
    assert ok is False and "already registered" in message
    assert c.verify("ann", token) == (True, "User verified", True)
    verified, message, flag = c.verify("ann", "mothk_wrong")
    assert (verified, flag) == (False, True) and "Invalid token" in message
    verified, message, flag = c.verify("zed", token)  # not ann's token: zed is unknown
    assert (verified, flag) == (False, False) and "not registered" in message
    bob_token, _ = c.register("bob", "bob@example.com")
    assert c.verify("ann", bob_token)[0] is False  # another user's token
    assert c.verify("ann", None)[0] is False  # never raises for a bad token
    assert c.verify("ann", "not even close")[0] is False
    # Backed by API keys: a service principal per user, the email as the key's name.
    [key] = c.moth.list_api_keys(KeyOwner.service("ann"))
    assert key.scopes == "ann@example.com"
    message, ok = c.register("", "x@example.com")
    assert ok is False and isinstance(message, str)


def test_cache_reset_requires_the_current_token():
    c = compat.Cache(settings=CHEAP)
    token, _ = c.register("ann", "ann@example.com")
    assert c.reset("ann", "ann@example.com") == ("reset requires the current token", False)
    message, ok = c.reset("ann", "ann@example.com", "mothk_wrong")
    assert ok is False and "Invalid token" in message
    assert c.reset("ann", "wrong@example.com", token) == (
        "User email does not match registered email address", False)
    new, ok = c.reset("ann", "ann@example.com", token)
    assert ok is True and new != token and new.startswith("mothk_")
    assert c.verify("ann", token)[0] is False  # the old token died at once
    assert c.verify("ann", new) == (True, "User verified", True)
    message, ok = c.reset("zed", "zed@example.com", new)
    assert ok is False and "not registered" in message


def test_cache_deregister_and_remove_user():
    c = compat.Cache(settings=CHEAP)
    token, _ = c.register("ann", "ann@example.com")
    message, ok = c.deregister("ann", "mothk_wrong")
    assert ok is False and "Invalid token" in message
    assert c.deregister("ann", token) == ("ann deregistered", True)
    assert c.user_exists("ann") is False
    assert c.verify("ann", token)[0] is False
    message, ok = c.deregister("ann", token)
    assert ok is False and "not registered" in message
    token, ok = c.register("ann", "ann@example.com")  # free again
    assert ok is True
    assert c.remove_user("ann") is None
    assert c.user_exists("ann") is False
    assert c.remove_user("ann") is None  # unknown: nothing (the seed raised KeyError)


def test_cache_registrations_of_one_user_leave_one_key():
    # Two caches over one store, as two processes: the key name is unique
    # per user, so the second registration fails whatever its email, with
    # no check-then-write window between them.
    handle = moth.Moth.open(settings=CHEAP)
    first, second = compat.Cache(handle), compat.Cache(handle)
    assert first.register("ann", "a@example.com")[1] is True
    message, ok = second.register("ann", "b@example.com")
    assert ok is False and "already registered" in message
    [key] = handle.list_api_keys(KeyOwner.service("ann"))
    assert key.scopes == "a@example.com"
