import dataclasses
import time

import pytest

from moth import (ApiKey, ComponentTrapError, EmailToken, EmailTokenInfo, EmailTokenOptions, InvalidInputError,
                  InvalidPasswordError, InvalidTokenError, IpMismatchError, KeyOwner, LimitReachedError, ManualClock,
                  MemoryStore, Moth, MothError, NameTakenError, NewApiKey, NoUserError, OneTimeToken, Settings,
                  SqliteStore, StorageError, StoreTrap, SweepOutcome, TokenExpiredError, User, UserExistsError)

CHEAP = Settings(8, 1, 1, 3600, True, 1000, 1, False)


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
    assert defaults == Settings(19456, 2, 1, 259200, False, 1000, 8, True)
    moth.set_settings(dataclasses.replace(defaults, default_token_lifetime=60))
    assert moth.get_settings() == Settings(19456, 2, 1, 60, False, 1000, 8, True)
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


def test_new_error_classes_carry_their_wit_codes():
    assert (IpMismatchError.code, NameTakenError.code, LimitReachedError.code) == (
        "ip-mismatch", "name-taken", "limit-reached")
    assert all(issubclass(c, MothError) for c in (IpMismatchError, NameTakenError, LimitReachedError))


def test_email_tokens_create_authenticate_list_and_revoke():
    clock = ManualClock(1_000_000)
    moth = Moth.open(clock=clock, settings=CHEAP)
    a = moth.create_email_token("ann@example.com", EmailTokenOptions(ip="192.0.2.1", retval="oauth-a"))
    assert isinstance(a, EmailToken) and a.token.startswith("mothe_") and len(a.id) == 16
    assert a.expires == 1_000_900
    assert a.token not in repr(a)  # the secret stays out of logs
    b = moth.create_email_token("ann@example.com", EmailTokenOptions(uses=2, lifetime=60))
    assert sorted(moth.list_email_tokens("ann@example.com"), key=lambda t: t.id) == sorted([
        EmailTokenInfo(a.id, "192.0.2.1", 1_000_000, 1_000_900, 1),
        EmailTokenInfo(b.id, None, 1_000_000, 1_000_060, 2),
    ], key=lambda t: t.id)
    # Per-token retval; none is None.
    assert moth.auth_email_token("ann@example.com", b.token) is None
    moth.set_email_token_retval("ann@example.com", b.token, "set later")
    assert moth.auth_email_token("ann@example.com", b.token, "198.51.100.7") == "set later"
    with pytest.raises(InvalidTokenError):
        moth.auth_email_token("ann@example.com", b.token)
    # IP binding: a mismatch deletes the token.
    with pytest.raises(IpMismatchError) as mismatch:
        moth.auth_email_token("ann@example.com", a.token, "192.0.2.2")
    assert mismatch.value.code == "ip-mismatch"
    with pytest.raises(InvalidTokenError):
        moth.auth_email_token("ann@example.com", a.token, "192.0.2.1")
    c = moth.create_email_token("ann@example.com", EmailTokenOptions(ip="192.0.2.1", retval="c"))
    with pytest.raises(InvalidInputError):
        moth.auth_email_token("ann@example.com", c.token, "not an ip")
    with pytest.raises(InvalidTokenError):
        moth.auth_email_token("bob@example.com", c.token, "192.0.2.1")
    assert moth.auth_email_token("ann@example.com", c.token, "::ffff:192.0.2.1") == "c"
    # Expiry.
    d = moth.create_email_token("ann@example.com", EmailTokenOptions(lifetime=10))
    clock.advance(10)
    with pytest.raises(TokenExpiredError):
        moth.auth_email_token("ann@example.com", d.token)
    with pytest.raises(InvalidTokenError):
        moth.auth_email_token("ann@example.com", d.token)
    # Revocation by id, removal by secret, removal of the address.
    e1, e2, e3 = (moth.create_email_token("ann@example.com") for _ in range(3))
    moth.revoke_email_token("ann@example.com", e1.id)
    with pytest.raises(InvalidTokenError):
        moth.revoke_email_token("ann@example.com", e1.id)
    moth.remove_email_token("ann@example.com", e2.token)
    with pytest.raises(InvalidTokenError):
        moth.remove_email_token("ann@example.com", e2.token)
    assert [t.id for t in moth.list_email_tokens("ann@example.com")] == [e3.id]
    assert moth.remove_email_address("ann@example.com") == 1
    assert moth.list_email_tokens("ann@example.com") == []
    assert moth.remove_email_address("ann@example.com") == 0


@pytest.mark.parametrize("options", [
    EmailTokenOptions(lifetime=0), EmailTokenOptions(lifetime=2_592_001), EmailTokenOptions(uses=0),
    EmailTokenOptions(uses=1001), EmailTokenOptions(ip="nope"), EmailTokenOptions(retval="x" * 4097),
])
def test_email_token_options_out_of_range_are_invalid_input(options):
    moth = Moth.open(settings=CHEAP)
    with pytest.raises(InvalidInputError):
        moth.create_email_token("ann@example.com", options)
    assert moth.list_email_tokens("ann@example.com") == []
    assert "x" * 10 not in repr(options)  # nor the retval


def test_api_keys_for_users_and_services():
    clock = ManualClock(1_000_000)
    moth = Moth.open(clock=clock, settings=CHEAP)
    ann = moth.create_user("ann", "pw")
    ci = moth.create_api_key(KeyOwner.user(ann.id), "ci", "read")
    assert isinstance(ci, NewApiKey) and ci.key.startswith("mothk_") and ci.key not in repr(ci)
    assert ci.info == ApiKey(ci.info.id, KeyOwner.user(ann.id), "ci", "read", 1_000_000, None, None)
    with pytest.raises(NameTakenError):
        moth.create_api_key(KeyOwner.user(ann.id), "ci")
    with pytest.raises(NoUserError):
        moth.create_api_key(KeyOwner.user(99), "ci")
    with pytest.raises(InvalidInputError):
        moth.create_api_key(KeyOwner.service(""), "ci")
    with pytest.raises(InvalidInputError):
        moth.create_api_key(KeyOwner.user(ann.id), "x", "", 0)
    with pytest.raises(TypeError):
        moth.create_api_key(ann.id, "x")  # an owner is a KeyOwner
    with pytest.raises(TypeError):
        KeyOwner.user("1")
    with pytest.raises(TypeError):
        KeyOwner.service(1)
    svc = moth.create_api_key(KeyOwner.service("billing"), "ci", "charge", 3600)
    assert svc.info.owner == KeyOwner("service", "billing") and svc.info.expires == 1_003_600

    clock.advance(5)
    used = dataclasses.replace(ci.info, last_used=1_000_005)
    assert moth.verify_api_key(ci.key) == used
    with pytest.raises(InvalidTokenError):
        moth.verify_api_key("mothk_nope")
    assert moth.list_api_keys(KeyOwner.user(ann.id)) == [used]
    assert moth.list_api_keys(KeyOwner.service("billing")) == [svc.info]
    assert moth.list_api_keys(KeyOwner.service("nobody")) == []
    # By id, without using it: no last use is written.
    assert moth.get_api_key(ci.info.id) == used
    assert moth.get_api_key(svc.info.id) == svc.info
    assert moth.get_api_key(svc.info.id) == svc.info
    with pytest.raises(InvalidTokenError):
        moth.get_api_key("0000000000000000")

    ci2 = moth.rotate_api_key(ci.info.id)
    assert ci2.key != ci.key and ci2.info.id != ci.info.id
    assert dataclasses.replace(ci2.info, id=ci.info.id) == dataclasses.replace(ci.info, created=1_000_005)
    with pytest.raises(InvalidTokenError):
        moth.verify_api_key(ci.key)
    with pytest.raises(InvalidTokenError):
        moth.rotate_api_key(ci.info.id, 0)
    with pytest.raises(InvalidInputError):
        moth.rotate_api_key(ci2.info.id, 604_801)
    svc2 = moth.rotate_api_key(svc.info.id, 60)
    assert moth.verify_api_key(svc.key).expires == 1_000_065
    clock.advance(60)
    with pytest.raises(TokenExpiredError):
        moth.verify_api_key(svc.key)
    assert moth.verify_api_key(svc2.key).id == svc2.info.id

    moth.revoke_api_key(svc2.info.id)
    with pytest.raises(InvalidTokenError):
        moth.revoke_api_key(svc2.info.id)
    moth.create_api_key(KeyOwner.service("billing"), "a")
    moth.create_api_key(KeyOwner.service("billing"), "b")
    assert moth.revoke_api_keys(KeyOwner.service("billing")) == 2
    assert moth.revoke_api_keys(KeyOwner.service("billing")) == 0

    moth.delete_user(ann.id)
    with pytest.raises(InvalidTokenError):
        moth.get_api_key(ci2.info.id)
    with pytest.raises(InvalidTokenError):
        moth.verify_api_key(ci2.key)
    with pytest.raises(NoUserError):
        moth.list_api_keys(KeyOwner.user(ann.id))


def test_an_owner_holds_at_most_100_api_keys():
    moth = Moth.open(settings=CHEAP)
    for i in range(100):
        moth.create_api_key(KeyOwner.service("svc"), f"k{i}")
    with pytest.raises(LimitReachedError) as limit:
        moth.create_api_key(KeyOwner.service("svc"), "one too many")
    assert limit.value.code == "limit-reached" and limit.value.detail
    assert len(moth.list_api_keys(KeyOwner.service("svc"))) == 100


def test_one_time_tokens_and_reset_password():
    clock = ManualClock(1_000_000)
    moth = Moth.open(clock=clock, settings=CHEAP)
    ann = moth.create_user("ann", "old", "admin")
    verify = moth.issue_one_time_token(ann.id, "verify-email")
    assert isinstance(verify, OneTimeToken) and verify.token.startswith("motho_") and verify.token not in repr(verify)
    assert verify.expires == 1_000_000 + 4 * 3600
    with pytest.raises(NoUserError):
        moth.issue_one_time_token(99, "verify-email")
    with pytest.raises(InvalidInputError):
        moth.issue_one_time_token(ann.id, "Bad Purpose")
    with pytest.raises(InvalidTokenError):
        moth.redeem_one_time_token(verify.token, "reset-password")
    assert moth.redeem_one_time_token(verify.token, "verify-email") == ann
    with pytest.raises(InvalidTokenError):
        moth.redeem_one_time_token(verify.token, "verify-email")

    stale = moth.issue_one_time_token(ann.id, "reset-password")
    moth.login("ann", "old")
    with pytest.raises(InvalidTokenError):
        moth.reset_password(stale.token, "new")

    short = moth.issue_one_time_token(ann.id, "invite", 10)
    clock.advance(10)
    with pytest.raises(TokenExpiredError):
        moth.redeem_one_time_token(short.token, "invite")

    session = moth.login("ann", "old")
    reset = moth.issue_one_time_token(ann.id, "reset-password", 600)
    with pytest.raises(InvalidInputError):
        moth.reset_password(reset.token, "")
    assert moth.reset_password(reset.token, "new") == ann
    with pytest.raises(InvalidTokenError):
        moth.reset_password(reset.token, "newer")
    with pytest.raises(InvalidTokenError):
        moth.validate(session.token)
    with pytest.raises(InvalidPasswordError):
        moth.login("ann", "old")
    assert moth.login("ann", "new").user == ann


def test_a_trap_in_a_new_interface_is_recovered_from():
    store = MemoryStore()
    moth = Moth.open(store, settings=CHEAP)
    token = moth.create_email_token("ann@example.com", EmailTokenOptions(uses=2)).token
    misbehave_once(store, "get", lambda key: raise_(StoreTrap("the disk caught fire")))
    with pytest.raises(ComponentTrapError):
        moth.auth_email_token("ann@example.com", token)
    assert moth.auth_email_token("ann@example.com", token) is None
    assert moth.list_email_tokens("ann@example.com")[0].uses_left == 1
