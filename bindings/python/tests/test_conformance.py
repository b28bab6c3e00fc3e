"""The shared scenario (tests/conformance/scenario.json) through Python."""

import asyncio
import dataclasses
import enum
import inspect
import json
from pathlib import Path

from moth import (AccountState, AuthorizationRequest, AuthorizeError, BearerError, ClientSpec, ComponentTrapError,
                  EmailTokenOptions, GrantType, KeyOwner, LockSubject, LogFilter, LoginContext, ManualClock, MemoryStore,
                  Moth, MothError, OAuthLifetimes, RoleHolder, RoleItem, Settings, StoreTrap)

SCENARIO = json.loads((Path(__file__).parents[3] / "tests" / "conformance" / "scenario.json").read_text())


def settings_in(s):
    """Scenario settings (WIT kebab-case names) as the binding's Settings."""
    return Settings(**{k.replace("-", "_"): v for k, v in s.items()})


def owner_in(o):
    """A scenario key-owner, {"user": id} or {"service": name}, as a KeyOwner."""
    ((kind, value),) = o.items()
    return KeyOwner(kind, value)


def subject_in(s):
    """A scenario lock-subject, e.g. {"account": id} or {"source": address}, as a LockSubject."""
    ((kind, value),) = s.items()
    return LockSubject(kind, value)


def case_in(cls, v):
    """A scenario variant of one case, e.g. a role-holder {"user": id} or a
    role-item {"permission": name}, as ``cls`` (its kind and value)."""
    ((kind, value),) = v.items()
    return cls(kind, value)


def record_in(cls, r):
    """A scenario record (WIT kebab-case names) as the dataclass ``cls``."""
    return cls(**{k.replace("-", "_"): v for k, v in r.items()})


def spec_in(s):
    """A scenario client-spec as a ClientSpec (grant types by their WIT names)."""
    spec = record_in(ClientSpec, s)
    return dataclasses.replace(spec, grant_types=[GrantType(g) for g in spec.grant_types])


def to_scenario(v):
    """A binding value as the scenario writes it: dataclasses as objects with
    WIT kebab-case field names, a KeyOwner as {"user": id} or {"service": name},
    a LockSubject as {"account": id} (or username, source, device), an
    EventKind as its WIT name."""
    if isinstance(v, (KeyOwner, LockSubject)):
        return {v.kind: v.value}
    if isinstance(v, enum.Enum):
        return v.value
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
    if op == "list-sessions":
        return moth.list_sessions(a["id"])
    if op == "revoke-session":
        return moth.revoke_session(a["id"], a["session"])
    if op == "revoke-other-sessions":
        return moth.revoke_other_sessions(a["token"])
    if op == "sweep":
        return moth.sweep(a["limit"])
    if op == "get-settings":
        return moth.get_settings()
    if op == "set-settings":
        return moth.set_settings(settings_in(a["settings"]))
    if op == "create-email-token":
        return moth.create_email_token(a["address"], EmailTokenOptions(**a["options"]))
    if op == "auth-email-token":
        return moth.auth_email_token(a["address"], a["token"], a["ip"])
    if op == "set-email-token-retval":
        return moth.set_email_token_retval(a["address"], a["token"], a["retval"])
    if op == "remove-email-token":
        return moth.remove_email_token(a["address"], a["token"])
    if op == "list-email-tokens":
        return moth.list_email_tokens(a["address"])
    if op == "revoke-email-token":
        return moth.revoke_email_token(a["address"], a["id"])
    if op == "remove-email-address":
        return moth.remove_email_address(a["address"])
    if op == "create-api-key":
        return moth.create_api_key(owner_in(a["owner"]), a["name"], a["scopes"], a["lifetime"])
    if op == "verify-api-key":
        return moth.verify_api_key(a["key"])
    if op == "get-api-key":
        return moth.get_api_key(a["id"])
    if op == "list-api-keys":
        return moth.list_api_keys(owner_in(a["owner"]))
    if op == "revoke-api-key":
        return moth.revoke_api_key(a["id"])
    if op == "rotate-api-key":
        return moth.rotate_api_key(a["id"], a["overlap"])
    if op == "revoke-api-keys":
        return moth.revoke_api_keys(owner_in(a["owner"]))
    if op == "issue-one-time-token":
        return moth.issue_one_time_token(a["id"], a["purpose"], a["lifetime"])
    if op == "redeem-one-time-token":
        return moth.redeem_one_time_token(a["token"], a["purpose"])
    if op == "reset-password":
        return moth.reset_password(a["token"], a["new-password"])
    if op == "login-from":
        return moth.login_from(a["username"], a["password"], a["lifetime"], record_in(LoginContext, a["context"]))
    if op == "check-password-from":
        return moth.check_password_from(a["username"], a["password"], record_in(LoginContext, a["context"]))
    if op == "list-attempts":
        return moth.list_attempts(record_in(LogFilter, a["filter"]), a["after"], a["limit"])
    if op == "list-events":
        return moth.list_events(record_in(LogFilter, a["filter"]), a["after"], a["limit"])
    if op == "purge-attempts":
        return moth.purge_attempts(a["username"], a["older-than"], a["kind"], a["after"])
    if op == "list-locks":
        return moth.list_locks(a["after"], a["limit"])
    if op == "unlock":
        return moth.unlock(subject_in(a["subject"]))
    if op == "get-account-state":
        return moth.get_account_state(a["id"])
    if op == "set-account-state":
        return moth.set_account_state(a["id"], record_in(AccountState, a["state"]))
    if op == "create-permission":
        return moth.create_permission(a["name"], a["description"])
    if op == "list-permissions":
        return moth.list_permissions()
    if op == "delete-permission":
        return moth.delete_permission(a["name"])
    if op == "create-bundle":
        return moth.create_bundle(a["name"])
    if op == "list-bundles":
        return moth.list_bundles()
    if op == "delete-bundle":
        return moth.delete_bundle(a["name"])
    if op == "create-group":
        return moth.create_group(a["name"])
    if op == "list-groups":
        return moth.list_groups()
    if op == "delete-group":
        return moth.delete_group(a["name"])
    if op == "group-members":
        return moth.group_members(a["group"])
    if op == "grant-role":
        return moth.grant_role(case_in(RoleHolder, a["holder"]), case_in(RoleItem, a["item"]))
    if op == "revoke-role":
        return moth.revoke_role(case_in(RoleHolder, a["holder"]), case_in(RoleItem, a["item"]))
    if op == "get-user-roles":
        return moth.get_user_roles(a["id"])
    if op == "effective-permissions":
        return moth.effective_permissions(a["id"])
    if op == "has-all":
        return moth.has_all(a["id"], a["permissions"])
    if op == "has-any":
        return moth.has_any(a["id"], a["permissions"])
    if op == "token-has-all":
        return moth.token_has_all(a["token"], a["permissions"])
    if op == "token-has-any":
        return moth.token_has_any(a["token"], a["permissions"])
    if op == "validate-with-permissions":
        return moth.validate_with_permissions(a["token"])
    if op == "register-client":
        return moth.register_client(spec_in(a["spec"]))
    if op == "get-client":
        return moth.get_client(a["id"])
    if op == "list-clients":
        return moth.list_clients(a["after"], a["limit"])
    if op == "update-client":
        return moth.update_client(a["id"], spec_in(a["spec"]))
    if op == "rotate-client-secret":
        return moth.rotate_client_secret(a["id"])
    if op == "delete-client":
        return moth.delete_client(a["id"])
    if op == "get-oauth-lifetimes":
        return moth.get_oauth_lifetimes()
    if op == "set-oauth-lifetimes":
        return moth.set_oauth_lifetimes(record_in(OAuthLifetimes, a["lifetimes"]))
    if op == "check-authorization":
        return moth.check_authorization(record_in(AuthorizationRequest, a["request"]))
    if op == "issue-code":
        return moth.issue_code(record_in(AuthorizationRequest, a["request"]), a["user"])
    if op == "authenticate-token-client":
        return moth.authenticate_token_client(a["client-id"], a["client-secret"])
    if op == "exchange-code":
        return moth.exchange_code(a["client-id"], a["client-secret"], a["code"], a["redirect-uri"], a["code-verifier"])
    if op == "refresh-grant":
        return moth.refresh_grant(a["client-id"], a["client-secret"], a["refresh-token"], a["scope"])
    if op == "client-credentials-grant":
        return moth.client_credentials_grant(a["client-id"], a["client-secret"], a["scope"])
    if op == "revoke-oauth-token":
        return moth.revoke_oauth_token(a["client-id"], a["client-secret"], a["token"])
    if op == "introspect-token":
        return moth.introspect_token(a["token"])
    if op == "authorize-bearer":
        return moth.authorize_bearer(a["token"], a["required-scopes"])
    if op == "consent-covers":
        return moth.consent_covers(a["user"], a["client-id"], a["scopes"])
    if op == "list-consents":
        return moth.list_consents(a["user"])
    if op == "revoke-consent":
        return moth.revoke_consent(a["user"], a["client-id"])
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


def save(spec, got, saved):
    """What a step's ``save`` keeps of its ok result ``got`` (in scenario
    form): "name" keeps its token; {name: "field.path"} keeps each field,
    {name: ""} the whole result (issue-code's bare code)."""
    for name, path in ({spec: "token"} if isinstance(spec, str) else spec).items():
        value = got
        for k in path.split(".") if path else ():
            value = value[int(k)] if isinstance(value, list) else value[k]
        saved[name] = value


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


def result_to_scenario(op, v):
    """An ok result as the scenario writes it: authorize-bearer's inner
    result as {"ok": <token-info>} or {"err": "<bearer-error>"}."""
    if op == "authorize-bearer":
        return {"err": v.value} if isinstance(v, BearerError) else {"ok": to_scenario(v)}
    return to_scenario(v)


def error_name(e):
    """The scenario's form of a MothError: "trap" when the component
    trapped; an authorize-error as "no-redirect" or {"redirect":
    {"redirect-uri": ..., "error": "<oauth-error case>"}}; otherwise its
    case, e.g. "invalid-grant" (the text is not compared)."""
    if isinstance(e, ComponentTrapError):
        return "trap"
    if isinstance(e, AuthorizeError) and e.redirect_uri is not None:
        return {"redirect": {"redirect-uri": e.redirect_uri, "error": e.code}}
    return e.code


async def run_scenario(open_moth):
    """Run the scenario against the handle ``open_moth(store, clock,
    settings)`` makes: a ``Moth`` (its methods return values) or an
    ``AsyncMoth`` (they return coroutines, awaited here)."""
    clock = ManualClock(SCENARIO["clock"])
    store = HarnessStore()
    moth = await maybe_await(open_moth(store, clock, settings_in(SCENARIO["settings"])))
    saved = {}
    for i, step in enumerate(SCENARIO["steps"]):
        op, args = step["op"], substitute(step["args"], saved)
        expect = substitute(step.get("expect"), saved)
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
            got, err = result_to_scenario(op, await maybe_await(call(moth, op, args))), None
        except MothError as e:
            got, err = None, e
        if "error" in expect:
            assert err is not None and matches(expect["error"], error_name(err)), f"step {i} {op}: {got!r} {err!r}"
        else:
            assert err is None, f"step {i} {op}: {err!r}"
            assert matches(expect["ok"], got), f"step {i} {op}: {got!r} vs {expect['ok']!r}"
            if "save" in step:
                save(step["save"], got, saved)
    return moth


async def maybe_await(v):
    return await v if inspect.isawaitable(v) else v


def test_the_shared_scenario_passes_through_the_python_host():
    moth = asyncio.run(run_scenario(lambda store, clock, settings: Moth.open(store, clock=clock, settings=settings)))
    assert isinstance(moth, Moth)
