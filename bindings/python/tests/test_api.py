import dataclasses
import time

import pytest

from moth import (InvalidInputError, InvalidTokenError, ManualClock, Moth, NoUserError, Settings, SqliteStore,
                  SweepOutcome, TokenExpiredError, UserExistsError)

CHEAP = Settings(8, 1, 1, 3600)


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
    assert defaults == Settings(19456, 2, 1, 259200)
    moth.set_settings(dataclasses.replace(defaults, default_token_lifetime=60))
    assert moth.get_settings() == Settings(19456, 2, 1, 60)
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
