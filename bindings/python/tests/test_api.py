import time

import pytest

from moth import (InvalidInputError, InvalidTokenError, Moth, NoUserError, Settings, SqliteStore,
                  TokenExpiredError, UserExistsError)

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
