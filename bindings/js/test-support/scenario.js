// The shared conformance scenario (tests/conformance/scenario.json) as a
// function of the Moth to run it on: test/conformance.test.js runs it
// through Moth, test/async.test.js through AsyncMoth, with the same steps.
// (Kept out of test/: node --test runs every .js file there as a test file.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MothError } from '../src/index.js';

export const scenario = JSON.parse(readFileSync(new URL('../../../tests/conformance/scenario.json', import.meta.url), 'utf8'));

// Scenario values use WIT's kebab-case field names; Node values camelCase.
const camel = (k) => k.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const kebab = (k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
function renameKeys(v, rename) {
  if (Array.isArray(v)) return v.map((x) => renameKeys(x, rename));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [rename(k), renameKeys(x, rename)]));
  return v;
}
export const fromScenario = (v) => renameKeys(v, camel);
const toScenario = (v) => renameKeys(v ?? null, kebab);

function call(moth, op, a) {
  switch (op) {
    case 'create-user': return moth.createUser(a.username, a.password, a.permissions);
    case 'delete-user': return moth.deleteUser(a.id);
    case 'get-user': return moth.getUser(a.id);
    case 'list-users': return moth.listUsers({ after: a.after, limit: a.limit });
    case 'set-password': return moth.setPassword(a.id, a.password);
    case 'set-permissions': return moth.setPermissions(a.id, a.permissions);
    case 'check-password': return moth.checkPassword(a.username, a.password);
    case 'login': return moth.login(a.username, a.password, a.lifetime);
    case 'validate': return moth.validate(a.token);
    case 'logout': return moth.logout(a.token);
    case 'count-tokens': return moth.countTokens(a.id);
    case 'delete-tokens': return moth.deleteTokens(a.id);
    case 'list-sessions': return moth.listSessions(a.id);
    case 'revoke-session': return moth.revokeSession(a.id, a.session);
    case 'revoke-other-sessions': return moth.revokeOtherSessions(a.token);
    case 'sweep': return moth.sweep(a.limit);
    case 'get-settings': return moth.getSettings();
    case 'set-settings': return moth.setSettings(fromScenario(a.settings));
    case 'create-email-token': return moth.createEmailToken(a.address, fromScenario(a.options));
    case 'auth-email-token': return moth.authEmailToken(a.address, a.token, a.ip);
    case 'set-email-token-retval': return moth.setEmailTokenRetval(a.address, a.token, a.retval);
    case 'remove-email-token': return moth.removeEmailToken(a.address, a.token);
    case 'list-email-tokens': return moth.listEmailTokens(a.address);
    case 'revoke-email-token': return moth.revokeEmailToken(a.address, a.id);
    case 'remove-email-address': return moth.removeEmailAddress(a.address);
    // A key-owner is { user: id } or { service: name } in the scenario and in Node alike.
    case 'create-api-key': return moth.createApiKey(a.owner, a.name, a.scopes, a.lifetime);
    case 'verify-api-key': return moth.verifyApiKey(a.key);
    case 'get-api-key': return moth.getApiKey(a.id);
    case 'list-api-keys': return moth.listApiKeys(a.owner);
    case 'revoke-api-key': return moth.revokeApiKey(a.id);
    case 'rotate-api-key': return moth.rotateApiKey(a.id, a.overlap);
    case 'revoke-api-keys': return moth.revokeApiKeys(a.owner);
    case 'issue-one-time-token': return moth.issueOneTimeToken(a.id, a.purpose, a.lifetime);
    case 'redeem-one-time-token': return moth.redeemOneTimeToken(a.token, a.purpose);
    case 'reset-password': return moth.resetPassword(a.token, a['new-password']);
    // A lock-subject is { account: id }, { username }, { source } or { device } in the scenario and in Node alike.
    case 'login-from': return moth.loginFrom(a.username, a.password, a.lifetime, fromScenario(a.context));
    case 'check-password-from': return moth.checkPasswordFrom(a.username, a.password, fromScenario(a.context));
    case 'list-attempts': return moth.listAttempts(fromScenario(a.filter), { after: a.after, limit: a.limit });
    case 'list-events': return moth.listEvents(fromScenario(a.filter), { after: a.after, limit: a.limit });
    case 'purge-attempts': return moth.purgeAttempts({ username: a.username, olderThan: a['older-than'], kind: a.kind, after: a.after });
    case 'list-locks': return moth.listLocks({ after: a.after, limit: a.limit });
    case 'unlock': return moth.unlock(a.subject);
    case 'get-account-state': return moth.getAccountState(a.id);
    case 'set-account-state': return moth.setAccountState(a.id, fromScenario(a.state));
    case 'create-permission': return moth.createPermission(a.name, a.description);
    case 'list-permissions': return moth.listPermissions();
    case 'delete-permission': return moth.deletePermission(a.name);
    case 'create-bundle': return moth.createBundle(a.name);
    case 'list-bundles': return moth.listBundles();
    case 'delete-bundle': return moth.deleteBundle(a.name);
    case 'create-group': return moth.createGroup(a.name);
    case 'list-groups': return moth.listGroups();
    case 'delete-group': return moth.deleteGroup(a.name);
    case 'group-members': return moth.groupMembers(a.group);
    // A role-holder ({ user: id }, { group }, { bundle }) and a role-item ({ group }, { bundle }, { permission }) are the same in the scenario and in Node.
    case 'grant-role': return moth.grantRole(a.holder, a.item);
    case 'revoke-role': return moth.revokeRole(a.holder, a.item);
    case 'get-user-roles': return moth.getUserRoles(a.id);
    case 'effective-permissions': return moth.effectivePermissions(a.id);
    case 'has-all': return moth.hasAll(a.id, a.permissions);
    case 'has-any': return moth.hasAny(a.id, a.permissions);
    case 'token-has-all': return moth.tokenHasAll(a.token, a.permissions);
    case 'token-has-any': return moth.tokenHasAny(a.token, a.permissions);
    case 'validate-with-permissions': return moth.validateWithPermissions(a.token);
    // A grant-type is its WIT name in the scenario and in Node alike; records are renamed as everywhere.
    case 'register-client': return moth.registerClient(fromScenario(a.spec));
    case 'get-client': return moth.getClient(a.id);
    case 'list-clients': return moth.listClients({ after: a.after, limit: a.limit });
    case 'update-client': return moth.updateClient(a.id, fromScenario(a.spec));
    case 'rotate-client-secret': return moth.rotateClientSecret(a.id);
    case 'delete-client': return moth.deleteClient(a.id);
    case 'get-oauth-lifetimes': return moth.getOauthLifetimes();
    case 'set-oauth-lifetimes': return moth.setOauthLifetimes(fromScenario(a.lifetimes));
    case 'check-authorization': return moth.checkAuthorization(fromScenario(a.request));
    case 'issue-code': return moth.issueCode(fromScenario(a.request), a.user);
    case 'authenticate-token-client': return moth.authenticateTokenClient(a['client-id'], a['client-secret']);
    case 'exchange-code':
      return moth.exchangeCode(a['client-id'], a['client-secret'], a.code, a['redirect-uri'], a['code-verifier']);
    case 'refresh-grant': return moth.refreshGrant(a['client-id'], a['client-secret'], a['refresh-token'], a.scope);
    case 'client-credentials-grant': return moth.clientCredentialsGrant(a['client-id'], a['client-secret'], a.scope);
    case 'revoke-oauth-token': return moth.revokeOauthToken(a['client-id'], a['client-secret'], a.token);
    case 'introspect-token': return moth.introspectToken(a.token);
    // { ok: info } / { err: 'invalid-token' } in Node and (after renaming) in the scenario.
    case 'authorize-bearer': return moth.authorizeBearer(a.token, a['required-scopes']);
    case 'consent-covers': return moth.consentCovers(a.user, a['client-id'], a.scopes);
    case 'list-consents': return moth.listConsents(a.user);
    case 'revoke-consent': return moth.revokeConsent(a.user, a['client-id']);
    default: throw new Error(`unknown operation ${op}`);
  }
}

function matches(expected, actual) {
  if (expected === '*') return true;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && expected.length === actual.length && expected.every((e, i) => matches(e, actual[i]));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return false;
    const keys = Object.keys(expected);
    return keys.length === Object.keys(actual).length && keys.every((k) => k in actual && matches(expected[k], actual[k]));
  }
  return expected === actual;
}

function substitute(v, saved) {
  if (typeof v === 'string' && v.startsWith('$')) {
    if (!(v.slice(1) in saved)) throw new Error(`${v} unset`);
    return saved[v.slice(1)];
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, saved));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, saved)]));
  return v;
}

// What a step's `save` keeps of its ok result `got` (in scenario form):
// "name" keeps its token; { name: "field.path" } keeps each field, and
// { name: "" } the whole result (issue-code's code, a bare string).
function save(spec, got, saved) {
  const specs = typeof spec === 'string' ? { [spec]: 'token' } : spec;
  for (const [name, path] of Object.entries(specs)) {
    const value = path === '' ? got : path.split('.').reduce((v, k) => (v === null || v === undefined ? undefined : v[k]), got);
    if (value === undefined) throw new Error(`save ${name}: no ${path} in ${JSON.stringify(got)}`);
    saved[name] = value;
  }
}

// The scenario form of a MothError: 'trap' when the component trapped; an
// authorize error sent to a redirect URI { redirect: { 'redirect-uri',
// error } }; else its code (a WIT error case, an oauth-error case, or
// 'no-redirect'). Compared with the expectation by `matches`.
function errorName(e) {
  if (e.code === 'component-trap') return 'trap';
  if (e.redirectUri !== undefined) return { redirect: { 'redirect-uri': e.redirectUri, error: e.code } };
  return e.code;
}

/**
 * Run every step of the scenario on `moth`: a Moth, or an AsyncMoth (each
 * call's result is awaited). `harness` does the steps that are not calls:
 * `advanceClock(seconds)`, `trapStore()` (the store's next call throws
 * something that is not a store-error, trapping that call) and
 * `failStore()` (every later store call fails with a store-error); each
 * may return a promise.
 */
export async function runScenario(moth, harness) {
  const saved = {};
  for (const [i, step] of scenario.steps.entries()) {
    const args = substitute(step.args, saved);
    const expect = substitute(step.expect, saved);
    if (step.op === 'advance-clock') {
      await harness.advanceClock(args.seconds);
      continue;
    }
    if (step.op === 'trap-store') {
      await harness.trapStore();
      continue;
    }
    if (step.op === 'fail-store') {
      await harness.failStore();
      continue;
    }
    let got;
    let err;
    try {
      got = toScenario(await call(moth, step.op, args));
    } catch (e) {
      if (!(e instanceof MothError)) throw e;
      err = e;
    }
    if ('error' in expect) {
      const form = err && errorName(err);
      assert.ok(
        err !== undefined && matches(expect.error, form),
        `step ${i} ${step.op}: got ${err ? JSON.stringify(form) : JSON.stringify(got)} (${err}) vs error ${JSON.stringify(expect.error)}`,
      );
    } else {
      assert.equal(err, undefined, `step ${i} ${step.op}: ${err}`);
      assert.ok(matches(expect.ok, got), `step ${i} ${step.op}: ${JSON.stringify(got)} vs ${JSON.stringify(expect.ok)}`);
      if (step.save) save(step.save, got, saved);
    }
  }
}
