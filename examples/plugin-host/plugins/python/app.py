"""An example plugin in Python, built with componentize-py: it knows moth
only through the WIT it imports (../../wit/plugin.wit), exactly like the
Rust one, and returns the same answers."""

from componentize_py_types import Err
from wit_world import WitWorld as Plugin
from wit_world.imports import roles, sessions, types, users


def describe(error: types.Error) -> str:
    """The error as the WIT names it, with its text where it has one."""
    if isinstance(error, types.Error_InvalidInput):
        return f"invalid-input: {error.value}"
    if isinstance(error, types.Error_InvalidToken):
        return "invalid-token"
    if isinstance(error, types.Error_TokenExpired):
        return "token-expired"
    return type(error).__name__


class WitWorld(Plugin):
    def handle(self, token: str) -> str:
        try:
            who = sessions.validate(token).user.username
        except Err as e:
            return f"denied: {describe(e.value)}"
        try:
            allowed = roles.token_has_all(token, ["reports:read"])
        except Err as e:
            return f"hello {who}: {describe(e.value)}"
        if allowed:
            return f"hello {who}: you may read reports"
        return f"hello {who}: you may not read reports"

    def escalate(self) -> str:
        try:
            user = users.create_user("mallory", "correct horse battery staple", "admin")
        except Err as e:
            return f"refused: {describe(e.value)}"
        return f"created user {user.id}"
