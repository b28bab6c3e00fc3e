# run from bindings/python
from moth import Moth, SqliteStore, InvalidPasswordError

moth = Moth.open(SqliteStore("moth.sqlite"))
ann = moth.create_user("ann", "correct horse", "admin")
session = moth.login("ann", "correct horse")
print(moth.validate(session.token).user)  # User(id=1, username='ann', permissions='admin')
try:
    moth.login("ann", "wrong")
except InvalidPasswordError as e:
    print(e.code)  # invalid-password
