import dataclasses
import time

import pytest

from moth import (AccountDisabledError, AccountState, ApiKey, Bundle, ComponentTrapError, EmailToken, EmailTokenInfo,
                  EmailTokenOptions, EventKind, Group, InvalidInputError, InvalidPasswordError, InvalidTokenError,
                  IpMismatchError, KeyOwner, LimitReachedError, Lock, LockedOutError, LockPage, LockSubject, LogEntry,
                  LogFilter, LoginContext, LoginGrant, ManualClock, MemoryStore, Moth, MothError, NameTakenError,
                  NewApiKey, NoUserError, OneTimeToken, Permission, PurgeOutcome, RoleHolder, RoleItem, Settings,
                  SqliteStore, StorageError, StoreTrap, SweepOutcome, TokenExpiredError, User, UserExistsError,
                  UserRoles, Validation, ValidationWithPermissions)

# The cheapest hashing, with the component's lockout and log defaults.
CHEAP = Settings(8, 1, 1, 3600, True, 1000, 1, False, 5, 900, 900, 86400, 50, 900, 900, 2592000)


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
    assert defaults == Settings(19456, 2, 1, 259200, False, 1000, 8, True, 5, 900, 900, 86400, 50, 900, 900, 2592000)
    moth.set_settings(dataclasses.replace(defaults, default_token_lifetime=60))
    assert moth.get_settings() == Settings(19456, 2, 1, 60, False, 1000, 8, True, 5, 900, 900, 86400, 50, 900, 900,
                                           2592000)
    moth.set_settings(dataclasses.replace(defaults, lockout_threshold=0, log_retention=0))
    assert moth.get_settings() == dataclasses.replace(defaults, lockout_threshold=0, log_retention=0)
    with pytest.raises(InvalidInputError, match="lockout-window"):
        moth.set_settings(dataclasses.replace(defaults, lockout_window=0))
    with pytest.raises(TypeError):
        Settings()  # no invented defaults
    with pytest.raises(TypeError):
        Settings(19456, 2, 1, 259200, False, 1000, 8, True)  # nor for the lockout and log fields


def test_sweep_reports_what_it_deleted_and_the_next_expiry():
    clock = ManualClock(1_000_000)
    # No log: while one is kept, a sweep is due within the hour whatever the tokens.
    moth = Moth.open(clock=clock, settings=dataclasses.replace(CHEAP, log_retention=0))
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
    assert (IpMismatchError.code, NameTakenError.code, LimitReachedError.code, LockedOutError.code,
            AccountDisabledError.code) == ("ip-mismatch", "name-taken", "limit-reached", "locked-out",
                                           "account-disabled")
    assert all(issubclass(c, MothError) for c in (IpMismatchError, NameTakenError, LimitReachedError, LockedOutError,
                                                  AccountDisabledError))


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


def guarded():
    """A moth whose accounts lock after 3 failures for 600 s and whose
    sources are blocked after 5 for 300 s, under a manual clock; and ann."""
    clock = ManualClock(1_000_000)
    moth = Moth.open(clock=clock, settings=dataclasses.replace(
        CHEAP, lockout_threshold=3, lockout_duration=600, source_lockout_threshold=5, source_lockout_duration=300))
    return clock, moth, moth.create_user("ann", "right")


def locked_for(seconds, call):
    with pytest.raises(LockedOutError) as locked:
        call()
    assert locked.value.code == "locked-out" and locked.value.retry_after == seconds
    assert str(locked.value) == f"locked-out: retry in {seconds} seconds"


ATTACKER = LoginContext(source="203.0.113.9")
HOME = LoginContext(source="198.51.100.7")


def test_the_third_failure_locks_the_account_even_against_the_right_password_until_it_runs_out():
    clock, moth, ann = guarded()
    with pytest.raises(InvalidPasswordError):
        moth.login_from("ann", "guess", context=ATTACKER)
    assert moth.check_password_from("ann", "guess", ATTACKER) is False
    with pytest.raises(InvalidPasswordError):
        moth.login_from("ann", "guess", context=ATTACKER)
    locked_for(600, lambda: moth.login_from("ann", "right", context=ATTACKER))
    locked_for(600, lambda: moth.login_from("ann", "right", None, LoginContext(source="192.0.2.1")))
    locked_for(600, lambda: moth.check_password_from("ann", "right"))
    locked_for(600, lambda: moth.login("ann", "right"))
    locked_for(600, lambda: moth.check_password("ann", "right"))
    assert moth.list_locks() == LockPage([Lock(LockSubject.account(ann.id), 1_000_600, 1)], None)
    clock.advance(599)
    locked_for(1, lambda: moth.login_from("ann", "right"))
    clock.advance(1)
    grant = moth.login_from("ann", "right", 60, LoginContext(source="192.0.2.1"))
    assert isinstance(grant, LoginGrant) and grant.session.user == ann and grant.session.expires == 1_000_660
    assert grant.device.startswith("mothd_") and grant.device not in repr(grant)
    assert moth.validate(grant.session.token).user == ann
    assert moth.list_locks() == LockPage([], None)


def test_an_unknown_username_is_locked_the_same_way():
    _, moth, _ = guarded()
    for _ in range(3):
        with pytest.raises(NoUserError):
            moth.login_from("nobody", "right")
    locked_for(600, lambda: moth.login_from("nobody", "right"))
    assert [lock.subject for lock in moth.list_locks().locks] == [LockSubject.username("nobody")]


def test_a_device_credential_lets_its_owner_in_while_the_account_is_locked_and_locks_alone():
    clock, moth, ann = guarded()
    device = moth.login_from("ann", "right", context=HOME).device
    for _ in range(3):
        with pytest.raises(InvalidPasswordError):
            moth.login_from("ann", "guess", context=ATTACKER)
    locked_for(600, lambda: moth.login_from("ann", "right", context=HOME))
    trusted = moth.login_from("ann", "right", context=dataclasses.replace(HOME, device=device))
    assert trusted.device == device and moth.validate(trusted.session.token).user == ann
    assert device not in repr(LoginContext(device=device))
    # A forged one, or another account's, counts for nothing.
    bob = moth.create_user("bob", "hunter2")
    bobs = moth.login_from("bob", "hunter2").device
    for other in (device + "x", "mothd_nope", bobs):
        locked_for(600, lambda: moth.login_from("ann", "right", context=LoginContext(device=other)))
    # The device's own failures lock the device alone.
    clock.advance(600)
    for _ in range(3):
        with pytest.raises(InvalidPasswordError):
            moth.login_from("ann", "guess", context=LoginContext(device=device))
    locked_for(600, lambda: moth.login_from("ann", "right", context=LoginContext(device=device)))
    assert moth.login_from("ann", "right", context=HOME).session.user == ann
    (lock,) = moth.list_locks().locks
    assert lock.subject.kind == "device" and len(lock.subject.value) == 32
    assert moth.unlock(lock.subject) is True
    assert moth.login_from("ann", "right", context=LoginContext(device=device)).device == device
    assert moth.login_from("bob", "hunter2", context=LoginContext(device=bobs)).session.user == bob


def test_a_source_is_blocked_across_accounts_and_unlock_lifts_each_kind_of_lock_once():
    clock, moth, ann = guarded()
    for name in ("x1", "x2", "x3", "x4"):
        with pytest.raises(NoUserError):
            moth.login_from(name, "guess", context=ATTACKER)
    clock.advance(10)
    with pytest.raises(InvalidPasswordError):
        moth.login_from("ann", "guess", context=ATTACKER)
    locked_for(300, lambda: moth.login_from("ann", "right", context=ATTACKER))
    assert moth.login_from("ann", "right", context=LoginContext(source="203.0.113.10")).session.user == ann
    assert moth.list_locks() == LockPage([Lock(LockSubject.source("203.0.113.9"), 1_000_310, 1)], None)
    assert moth.unlock(LockSubject.source("203.0.113.9")) is True
    assert moth.unlock(LockSubject.source("203.0.113.9")) is False
    assert moth.login_from("ann", "right", context=ATTACKER).session.user == ann
    for _ in range(3):
        with pytest.raises(InvalidPasswordError):
            moth.login("ann", "guess")
    assert moth.unlock(LockSubject.account(ann.id)) is True
    assert moth.unlock(LockSubject.account(ann.id)) is False
    assert moth.unlock(LockSubject.username("nobody")) is False
    assert moth.unlock(LockSubject.device("0" * 32)) is False
    assert moth.login("ann", "right").user == ann
    for subject in (LockSubject.device("zz"), LockSubject.source("not an ip")):
        with pytest.raises(InvalidInputError):
            moth.unlock(subject)
    with pytest.raises(InvalidInputError):
        moth.login_from("ann", "right", context=LoginContext(source="not an ip"))
    # Refused by the binding before the component runs.
    with pytest.raises(ValueError):
        LockSubject("user", 1)
    with pytest.raises(TypeError):
        LockSubject.account("1")
    with pytest.raises(TypeError):
        LockSubject.source(1)
    with pytest.raises(TypeError):
        moth.unlock(ann.id)
    with pytest.raises(TypeError):
        moth.login_from("ann", "right", context={"source": "203.0.113.9"})


def test_the_log_is_listed_newest_first_by_name_source_and_kind_paged_and_purged():
    clock, moth, ann = guarded()
    moth.login_from("ann", "right", context=HOME)
    clock.advance(1)
    moth.check_password_from("ann", "guess", ATTACKER)
    clock.advance(1)
    with pytest.raises(NoUserError):
        moth.login_from("nobody", "guess", context=ATTACKER)
    clock.advance(1)
    for _ in range(2):  # the second is the third failure of ann's: it locks
        with pytest.raises(InvalidPasswordError):
            moth.login("ann", "guess")
        clock.advance(1)
    locked_for(599, lambda: moth.login("ann", "right"))  # refused: not logged
    everything = moth.list_attempts()
    assert everything.next is None
    entries = everything.entries
    assert all(len(e.id) == 32 for e in entries)
    assert [dataclasses.replace(e, id="") for e in entries] == [
        LogEntry("", 1_000_004, EventKind.LOGIN, ann.id, "ann", None, False, "wrong password"),
        LogEntry("", 1_000_003, EventKind.LOGIN, ann.id, "ann", None, False, "wrong password"),
        LogEntry("", 1_000_002, EventKind.LOGIN, None, "nobody", "203.0.113.9", False, "no such user"),
        LogEntry("", 1_000_001, EventKind.CHECK_PASSWORD, ann.id, "ann", "203.0.113.9", False, "wrong password"),
        LogEntry("", 1_000_000, EventKind.LOGIN, ann.id, "ann", "198.51.100.7", True, ""),
    ]
    assert entries[3].kind == "check-password"  # an EventKind is its WIT name

    def ids(filter=None, **paging):
        return [e.id for e in moth.list_attempts(filter, **paging).entries]

    every = [e.id for e in entries]
    assert ids(LogFilter(username="ann")) == every[:2] + every[3:]
    assert ids(LogFilter(user=ann.id, source="203.0.113.9")) == [every[3]]
    assert ids(LogFilter(source="203.0.113.9")) == every[2:4]
    assert ids(LogFilter(kind=EventKind.CHECK_PASSWORD)) == ids(LogFilter(kind="check-password")) == [every[3]]
    assert ids(LogFilter(since=1_000_001, until=1_000_002)) == every[2:4]
    # Pages of 2, following `next`, are the whole log once.
    paged, after = [], None
    while True:
        page = moth.list_attempts(after=after, limit=2)
        assert len(page.entries) <= 2
        paged += [e.id for e in page.entries]
        if page.next is None:
            break
        after = page.next
    assert paged == every
    events = moth.list_events(LogFilter(user=ann.id)).entries
    assert [dataclasses.replace(e, id="") for e in events] == [
        LogEntry("", 1_000_004, EventKind.ACCOUNT_LOCKED, ann.id, "ann", None, True, "account locked until 1000604")]
    assert moth.list_events(LogFilter(kind="unlocked")).entries == []
    for filter, paging in ((LogFilter(kind="account-locked"), {}), (LogFilter(user=ann.id, username="ann"), {}),
                           (LogFilter(), {"limit": 0}), (LogFilter(), {"after": "nope"})):
        with pytest.raises(InvalidInputError):
            moth.list_attempts(filter, **paging)
    with pytest.raises(InvalidInputError):
        moth.list_events(LogFilter(kind=EventKind.LOGIN))
    with pytest.raises(ValueError):
        moth.list_attempts(LogFilter(kind="no-such-kind"))

    assert moth.purge_attempts(username="nobody") == PurgeOutcome(1, None)
    assert moth.purge_attempts(kind=EventKind.CHECK_PASSWORD) == PurgeOutcome(1, None)
    assert moth.purge_attempts(older_than=1_000_001) == PurgeOutcome(1, None)
    assert ids() == every[:2]
    with pytest.raises(InvalidInputError):
        moth.purge_attempts(after="zz")
    assert moth.purge_attempts_all() == 2
    assert moth.list_attempts().entries == []
    # Events go only when asked for by kind.
    assert moth.purge_attempts_all(kind="account-locked") == 1
    assert moth.list_events().entries == []


def with_credentials():
    """A moth under a manual clock holding ann (password "right") with a
    session, an API key and a reset-password one-time token."""
    clock = ManualClock(1_000_000)
    moth = Moth.open(clock=clock, settings=CHEAP)
    ann = moth.create_user("ann", "right", "staff")
    session = moth.login("ann", "right")
    key = moth.create_api_key(KeyOwner.user(ann.id), "ci", "read")
    reset = moth.issue_one_time_token(ann.id, "reset-password")
    return clock, moth, ann, session, key, reset


def test_account_state_defaults_no_user_and_flags_stored_without_revoking_anything():
    _, moth, ann, session, key, _ = with_credentials()
    assert moth.get_account_state(ann.id) == AccountState() == AccountState(True, None, False, False)
    with pytest.raises(NoUserError):
        moth.get_account_state(99)
    with pytest.raises(NoUserError):
        moth.set_account_state(99, AccountState())
    flagged = AccountState(email_verified=True, superuser=True)
    assert moth.set_account_state(ann.id, flagged) is None
    assert moth.get_account_state(ann.id) == flagged
    assert moth.validate(session.token).user == ann
    assert moth.verify_api_key(key.key).id == key.info.id


def test_disabling_revokes_everything_only_the_right_password_learns_it_and_enabling_brings_nothing_back():
    _, moth, ann, session, key, reset = with_credentials()
    off = AccountState(enabled=False)
    moth.set_account_state(ann.id, off)
    assert moth.get_account_state(ann.id) == off
    with pytest.raises(InvalidTokenError):
        moth.validate(session.token)
    with pytest.raises(InvalidTokenError):
        moth.verify_api_key(key.key)
    assert moth.list_api_keys(KeyOwner.user(ann.id)) == []
    assert moth.count_tokens(ann.id) == 0
    with pytest.raises(InvalidTokenError):
        moth.reset_password(reset.token, "new")
    with pytest.raises(InvalidPasswordError):
        moth.login("ann", "wrong")
    assert moth.check_password("ann", "wrong") is False
    for call in (lambda: moth.login("ann", "right"), lambda: moth.check_password("ann", "right"),
                 lambda: moth.login_from("ann", "right", context=LoginContext(source="192.0.2.1")),
                 lambda: moth.create_api_key(KeyOwner.user(ann.id), "other"),
                 lambda: moth.issue_one_time_token(ann.id, "verify-email")):
        with pytest.raises(AccountDisabledError) as refused:
            call()
        assert refused.value.code == "account-disabled" and refused.value.detail is None
        assert str(refused.value) == "account-disabled"

    moth.set_account_state(ann.id, AccountState())
    with pytest.raises(InvalidTokenError):
        moth.validate(session.token)
    with pytest.raises(InvalidTokenError):
        moth.verify_api_key(key.key)
    assert moth.validate(moth.login("ann", "right").token).user == ann
    assert moth.create_api_key(KeyOwner.user(ann.id), "ci").info.name == "ci"


def test_a_later_disabled_from_takes_effect_at_its_second_and_verify_email_sets_email_verified():
    clock, moth, ann, session, key, _ = with_credentials()
    verify = moth.issue_one_time_token(ann.id, "verify-email")
    assert moth.redeem_one_time_token(verify.token, "verify-email") == ann
    assert moth.get_account_state(ann.id) == AccountState(email_verified=True)
    reset = moth.issue_one_time_token(ann.id, "reset-password")
    later = AccountState(disabled_from=1_000_010, email_verified=True)
    moth.set_account_state(ann.id, later)
    assert moth.get_account_state(ann.id) == later
    clock.advance(9)
    assert moth.validate(session.token).user == ann
    assert moth.verify_api_key(key.key).id == key.info.id
    clock.advance(1)
    with pytest.raises(InvalidTokenError):
        moth.validate(session.token)
    with pytest.raises(InvalidTokenError):
        moth.verify_api_key(key.key)
    with pytest.raises(AccountDisabledError):
        moth.redeem_one_time_token(reset.token, "reset-password")
    with pytest.raises(InvalidPasswordError):
        moth.login("ann", "wrong")
    with pytest.raises(AccountDisabledError):
        moth.login("ann", "right")
    # Clearing the passed time enables the account and revokes what outlived it.
    moth.set_account_state(ann.id, dataclasses.replace(later, disabled_from=None))
    with pytest.raises(InvalidTokenError):
        moth.validate(session.token)
    with pytest.raises(InvalidTokenError):
        moth.redeem_one_time_token(reset.token, "reset-password")
    assert moth.login("ann", "right").user == ann


def test_account_states_are_checked_by_the_binding_before_the_component_runs():
    _, moth, ann, session, _, _ = with_credentials()
    for bad in ({"enabled": 1}, {"enabled": None}, {"superuser": "yes"}, {"email_verified": 0},
                {"disabled_from": "1000"}, {"disabled_from": True}, {"disabled_from": 1.5}):
        with pytest.raises(TypeError):
            AccountState(**bad)
    with pytest.raises(TypeError):
        moth.set_account_state(ann.id, {"enabled": False})
    with pytest.raises(TypeError):
        moth.set_account_state(ann.id, None)
    assert moth.get_account_state(ann.id) == AccountState()
    assert moth.validate(session.token).user == ann


def test_disabling_and_enabling_are_logged_as_their_event_kinds():
    clock, moth, ann, _, _, _ = with_credentials()
    moth.set_account_state(ann.id, AccountState(enabled=False))
    clock.advance(1)
    moth.set_account_state(ann.id, AccountState())
    clock.advance(1)
    moth.set_account_state(ann.id, AccountState(disabled_from=1_000_100))
    strip = lambda es: [dataclasses.replace(e, id="") for e in es]  # noqa: E731
    assert strip(moth.list_events(LogFilter(kind=EventKind.ACCOUNT_DISABLED)).entries) == [
        LogEntry("", 1_000_002, EventKind.ACCOUNT_DISABLED, ann.id, "ann", None, True,
                 "account to be disabled from 1000100"),
        LogEntry("", 1_000_000, EventKind.ACCOUNT_DISABLED, ann.id, "ann", None, True,
                 "account disabled: sessions, API keys and one-time tokens revoked"),
    ]
    enabled = moth.list_events(LogFilter(kind="account-enabled")).entries
    assert strip(enabled) == [LogEntry("", 1_000_001, EventKind.ACCOUNT_ENABLED, ann.id, "ann", None, True,
                                       "account enabled: credentials from before revoked")]
    assert enabled[0].kind == "account-enabled"
    assert moth.purge_attempts_all(kind=EventKind.ACCOUNT_ENABLED) == 1
    assert moth.list_events(LogFilter(kind=EventKind.ACCOUNT_ENABLED)).entries == []


def with_roles():
    """A moth under a manual clock holding ann (password "right") and the
    permissions posts.read, posts.write and audit:view, the bundle editor
    (posts.read, posts.write) and the group staff (carrying editor)."""
    moth = Moth.open(clock=ManualClock(1_000_000), settings=CHEAP)
    ann = moth.create_user("ann", "right", "free-form, not a role")
    moth.create_permission("posts.read", "Read posts")
    moth.create_permission("posts.write", "Write posts")
    moth.create_permission("audit:view")
    moth.create_bundle("editor")
    moth.grant_role(RoleHolder.bundle("editor"), RoleItem.permission("posts.read"))
    moth.grant_role(RoleHolder.bundle("editor"), RoleItem.permission("posts.write"))
    moth.create_group("staff")
    moth.grant_role(RoleHolder.group("staff"), RoleItem.bundle("editor"))
    return moth, ann


NO_ROLES = UserRoles([], [], [])


def test_roles_are_created_and_listed_in_name_order_and_names_are_checked():
    moth, _ = with_roles()
    assert moth.list_permissions() == [Permission("audit:view", ""), Permission("posts.read", "Read posts"),
                                       Permission("posts.write", "Write posts")]
    assert moth.create_permission("users.manage", "Manage users") == Permission("users.manage", "Manage users")
    assert moth.create_bundle("viewer") is None
    assert moth.create_group("auditors") is None
    assert moth.list_bundles() == [Bundle("editor", ["posts.read", "posts.write"]), Bundle("viewer", [])]
    assert moth.list_groups() == [Group("auditors", [], []), Group("staff", [], ["editor"])]
    assert moth.group_members("staff") == []
    with pytest.raises(NameTakenError):
        moth.create_permission("posts.read", "again")
    with pytest.raises(NameTakenError):
        moth.create_bundle("editor")
    with pytest.raises(NameTakenError):
        moth.create_group("staff")
    for bad in ("", "Posts", "a b", "x/y", "\u00e9", "p" * 129):
        for create in (lambda n: moth.create_permission(n, ""), moth.create_bundle, moth.create_group):
            with pytest.raises(InvalidInputError):
                create(bad)
    assert moth.create_permission("p" * 128).name == "p" * 128
    with pytest.raises(InvalidInputError):
        moth.create_permission("long", "d" * 1025)
    with pytest.raises(InvalidInputError):
        moth.group_members("ghosts")


def test_each_pairing_is_granted_once_and_the_union_is_effective_at_the_very_next_check():
    moth, ann = with_roles()
    assert moth.get_user_roles(ann.id) == NO_ROLES
    assert moth.effective_permissions(ann.id) == []
    assert moth.has_any(ann.id, ["posts.read"]) is False
    # user -> group, seen by the very next check.
    assert moth.grant_role(RoleHolder.user(ann.id), RoleItem.group("staff")) is True
    assert moth.grant_role(RoleHolder.user(ann.id), RoleItem.group("staff")) is False
    assert moth.has_all(ann.id, ["posts.read", "posts.write"]) is True
    # The other five pairings.
    moth.create_bundle("auditing")
    moth.create_group("auditors")
    moth.create_permission("users.manage")
    assert moth.grant_role(RoleHolder.bundle("auditing"), RoleItem.permission("audit:view")) is True
    assert moth.grant_role(RoleHolder.group("auditors"), RoleItem.bundle("auditing")) is True
    assert moth.grant_role(RoleHolder.group("staff"), RoleItem.permission("users.manage")) is True
    assert moth.grant_role(RoleHolder.user(ann.id), RoleItem.bundle("editor")) is True
    assert moth.grant_role(RoleHolder.user(ann.id), RoleItem.permission("posts.read")) is True
    assert moth.has_any(ann.id, ["audit:view"]) is False
    assert moth.grant_role(RoleHolder.user(ann.id), RoleItem.group("auditors")) is True
    assert moth.has_any(ann.id, ["audit:view"]) is True
    assert moth.get_user_roles(ann.id) == UserRoles(["posts.read"], ["editor"], ["auditors", "staff"])
    assert moth.effective_permissions(ann.id) == ["audit:view", "posts.read", "posts.write", "users.manage"]
    assert moth.group_members("staff") == [ann.id]
    assert moth.list_groups() == [Group("auditors", [], ["auditing"]), Group("staff", ["users.manage"], ["editor"])]
    # Empty lists, a permission nobody defined, any iterable of names.
    assert moth.has_all(ann.id, []) is True
    assert moth.has_any(ann.id, ()) is False
    assert moth.has_all(ann.id, ["posts.read", "no.such"]) is False
    assert moth.has_any(ann.id, (n for n in ["no.such", "posts.read"])) is True
    # Refused pairings and unknown ends.
    for holder, item in ((RoleHolder.group("staff"), RoleItem.group("auditors")),
                         (RoleHolder.bundle("editor"), RoleItem.bundle("auditing")),
                         (RoleHolder.bundle("editor"), RoleItem.group("staff")),
                         (RoleHolder.user(ann.id), RoleItem.permission("no.such")),
                         (RoleHolder.group("ghosts"), RoleItem.permission("posts.read"))):
        with pytest.raises(InvalidInputError):
            moth.grant_role(holder, item)
    with pytest.raises(NoUserError):
        moth.grant_role(RoleHolder.user(99), RoleItem.group("staff"))
    for call in (lambda: moth.get_user_roles(99), lambda: moth.effective_permissions(99),
                 lambda: moth.has_all(99, []), lambda: moth.has_any(99, [])):
        with pytest.raises(NoUserError):
            call()
    # Revoking takes only the direct grant.
    assert moth.revoke_role(RoleHolder.user(ann.id), RoleItem.permission("posts.read")) is True
    assert moth.revoke_role(RoleHolder.user(ann.id), RoleItem.permission("posts.read")) is False
    assert moth.has_all(ann.id, ["posts.read"]) is True  # through editor, twice over
    assert moth.revoke_role(RoleHolder.group("staff"), RoleItem.permission("users.manage")) is True
    assert moth.has_any(ann.id, ["users.manage"]) is False
    with pytest.raises(InvalidInputError):
        moth.revoke_role(RoleHolder.group("staff"), RoleItem.group("auditors"))
    # The free-form permissions string is no role.
    assert moth.get_user(ann.id).permissions == "free-form, not a role"


def test_roles_are_checked_by_token_and_validate_with_permissions():
    moth, ann = with_roles()
    moth.grant_role(RoleHolder.user(ann.id), RoleItem.group("staff"))
    session = moth.login("ann", "right")
    assert moth.token_has_all(session.token, ["posts.read", "posts.write"]) is True
    assert moth.token_has_all(session.token, ["posts.read", "audit:view"]) is False
    assert moth.token_has_all(session.token, []) is True
    assert moth.token_has_any(session.token, ["audit:view", "posts.write"]) is True
    assert moth.token_has_any(session.token, []) is False
    assert moth.validate_with_permissions(session.token) == ValidationWithPermissions(
        Validation(ann, session.expires), ["posts.read", "posts.write"])
    moth.revoke_role(RoleHolder.user(ann.id), RoleItem.group("staff"))
    assert moth.token_has_any(session.token, ["posts.read"]) is False
    assert moth.validate_with_permissions(session.token).permissions == []
    for call in (lambda: moth.token_has_all("moth_nope", []), lambda: moth.token_has_any("moth_nope", ["posts.read"]),
                 lambda: moth.validate_with_permissions("moth_nope")):
        with pytest.raises(InvalidTokenError):
            call()
    moth.logout(session.token)
    with pytest.raises(InvalidTokenError):
        moth.token_has_all(session.token, [])


def test_a_superuser_holds_every_defined_permission_and_no_undefined_one():
    moth, ann = with_roles()
    moth.set_account_state(ann.id, AccountState(superuser=True))
    assert moth.get_user_roles(ann.id) == NO_ROLES
    assert moth.effective_permissions(ann.id) == ["audit:view", "posts.read", "posts.write"]
    assert moth.has_all(ann.id, ["audit:view", "posts.read", "posts.write"]) is True
    assert moth.has_all(ann.id, ["posts.read", "no.such"]) is False
    assert moth.has_any(ann.id, ["no.such"]) is False
    assert moth.has_any(ann.id, []) is False
    moth.create_permission("users.manage")
    assert moth.token_has_all(moth.login("ann", "right").token, ["users.manage"]) is True


def test_deleting_a_permission_bundle_group_or_user_takes_it_from_everywhere_at_once():
    moth, ann = with_roles()
    bob = moth.create_user("bob", "pw")
    moth.grant_role(RoleHolder.user(ann.id), RoleItem.group("staff"))
    moth.grant_role(RoleHolder.user(bob.id), RoleItem.group("staff"))
    moth.grant_role(RoleHolder.group("staff"), RoleItem.permission("posts.write"))
    moth.grant_role(RoleHolder.user(ann.id), RoleItem.permission("posts.write"))
    assert moth.group_members("staff") == [ann.id, bob.id]
    assert moth.delete_permission("posts.write") is True
    assert moth.delete_permission("posts.write") is False
    assert moth.list_bundles() == [Bundle("editor", ["posts.read"])]
    assert moth.list_groups() == [Group("staff", [], ["editor"])]
    assert moth.get_user_roles(ann.id) == UserRoles([], [], ["staff"])
    assert moth.has_any(ann.id, ["posts.write"]) is False
    with pytest.raises(InvalidInputError):
        moth.grant_role(RoleHolder.bundle("editor"), RoleItem.permission("posts.write"))
    moth.delete_user(bob.id)
    assert moth.group_members("staff") == [ann.id]
    assert moth.delete_bundle("editor") is True
    assert moth.delete_bundle("editor") is False
    assert moth.list_groups() == [Group("staff", [], [])]
    assert moth.effective_permissions(ann.id) == []
    assert moth.delete_group("staff") is True
    assert moth.delete_group("staff") is False
    assert moth.get_user_roles(ann.id) == NO_ROLES
    with pytest.raises(InvalidInputError):
        moth.group_members("staff")
    for call in (lambda: moth.delete_permission("Bad"), lambda: moth.delete_bundle(""),
                 lambda: moth.delete_group("a b")):
        with pytest.raises(InvalidInputError):
            call()


def test_holders_items_and_permission_lists_are_checked_by_the_binding_before_the_component_runs():
    moth, ann = with_roles()
    for kind, value, error in (("users", 1, ValueError), ("permission", "p", ValueError), ("user", "1", TypeError),
                               ("user", True, TypeError), ("group", 1, TypeError)):
        with pytest.raises(error):
            RoleHolder(kind, value)
    for kind, value, error in (("user", 1, ValueError), ("groups", "g", ValueError), ("bundle", None, TypeError)):
        with pytest.raises(error):
            RoleItem(kind, value)
    assert RoleHolder.group("staff") != RoleItem.group("staff")
    for holder, item in ((RoleItem.group("staff"), RoleItem.group("staff")),
                         (RoleHolder.user(ann.id), RoleHolder.group("staff")),
                         ({"user": ann.id}, RoleItem.group("staff")), (ann.id, RoleItem.group("staff"))):
        with pytest.raises(TypeError):
            moth.grant_role(holder, item)
        with pytest.raises(TypeError):
            moth.revoke_role(holder, item)
    # A lone str would be taken letter by letter.
    for permissions in ("posts.read", b"posts.read", None, [1], ["posts.read", None]):
        with pytest.raises(TypeError):
            moth.has_all(ann.id, permissions)
        with pytest.raises(TypeError):
            moth.token_has_any("moth_nope", permissions)
    assert moth.get_user_roles(ann.id) == NO_ROLES


def test_a_trap_in_a_roles_check_is_recovered_from():
    store = MemoryStore()
    moth = Moth.open(store, settings=CHEAP)
    ann = moth.create_user("ann", "pw")
    moth.create_permission("p")
    moth.grant_role(RoleHolder.user(ann.id), RoleItem.permission("p"))
    misbehave_once(store, "scan", lambda start, end, limit: raise_(StoreTrap("the disk caught fire")))
    with pytest.raises(ComponentTrapError):
        moth.effective_permissions(ann.id)
    assert moth.effective_permissions(ann.id) == ["p"]
