// moth:auth/oauth through Node: clients, the authorization code grant with
// PKCE, refresh rotation, client credentials, introspection, bearer
// checks, revocation and consents, end to end over a MemoryStore and a
// ManualClock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncMoth, Moth, MothError, ManualClock, MemoryStore } from '../src/index.js';

const NOW = 1_700_000_000;
const FAST = { allowWeakHashing: true, argon2MemoryKib: 8, argon2Iterations: 1, minPasswordLength: 1 };

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

const WEB = 'https://app.example/cb';
const APP = 'com.example.app:/cb';

async function open() {
  const clock = new ManualClock(NOW);
  const moth = await Moth.open({ store: new MemoryStore(), clock });
  moth.setSettings({ ...moth.getSettings(), ...FAST });
  const ann = moth.createUser('ann', 'pw');
  return { moth, clock, ann };
}

function registerBoth(moth) {
  const web = moth.registerClient({
    name: 'Web app',
    confidential: true,
    redirectUris: [WEB],
    grantTypes: ['authorization-code', 'refresh-token'],
    scopes: 'profile email read',
  });
  const mobile = moth.registerClient({
    name: 'Mobile app',
    confidential: false,
    redirectUris: [APP],
    grantTypes: ['authorization-code', 'refresh-token'],
    scopes: 'profile read',
  });
  return { web, mobile };
}

// The MothError `f` throws, checked to be one.
function refusal(f) {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof MothError, `not a MothError: ${e}`);
    return e;
  }
  assert.fail('no error');
}

// A public client's authorization request with RFC 7636's challenge.
const pkceRequest = (clientId, extra = {}) => ({
  responseType: 'code',
  clientId,
  redirectUri: APP,
  scope: 'read',
  codeChallenge: CHALLENGE,
  codeChallengeMethod: 'S256',
  ...extra,
});

test('clients: register, get, list, update, rotate the secret, delete', async () => {
  const { moth } = await open();
  const { web, mobile } = registerBoth(moth);
  assert.match(web.client.id, /^[0-9a-f]{32}$/);
  assert.match(web.secret, /^moths_/);
  assert.equal(mobile.secret, null);
  assert.deepEqual(web.client, {
    id: web.client.id,
    name: 'Web app',
    confidential: true,
    redirectUris: [WEB],
    grantTypes: ['authorization-code', 'refresh-token'],
    scopes: 'email profile read',
    created: NOW,
    updated: NOW,
  });
  assert.deepEqual(moth.getClient(web.client.id), web.client);
  assert.equal(moth.getClient('0'.repeat(32)), null);

  const ids = [web.client.id, mobile.client.id].sort();
  const first = moth.listClients({ limit: 1 });
  assert.deepEqual(first.clients.map((c) => c.id), [ids[0]]);
  assert.equal(first.next, ids[0]);
  const rest = moth.listClients({ after: first.next });
  assert.deepEqual(rest.clients.map((c) => c.id), [ids[1]]);
  assert.equal(rest.next, null);

  assert.deepEqual(moth.authenticateTokenClient(web.client.id, web.secret), web.client);
  assert.deepEqual(moth.authenticateTokenClient(mobile.client.id, null), mobile.client);
  assert.equal(refusal(() => moth.authenticateTokenClient(web.client.id, null)).code, 'invalid-client');
  assert.equal(refusal(() => moth.authenticateTokenClient(mobile.client.id, 'moths_x')).code, 'invalid-client');

  const updated = moth.updateClient(web.client.id, { name: 'Web', confidential: true, redirectUris: [WEB], grantTypes: ['authorization-code'], scopes: 'read' });
  assert.equal(updated.name, 'Web');
  assert.deepEqual(updated.grantTypes, ['authorization-code']);
  assert.equal(moth.updateClient('0'.repeat(32), { name: 'x', confidential: true, redirectUris: [], grantTypes: ['client-credentials'], scopes: '' }), null);

  const rotated = moth.rotateClientSecret(web.client.id);
  assert.notEqual(rotated.secret, web.secret);
  assert.equal(refusal(() => moth.authenticateTokenClient(web.client.id, web.secret)).code, 'invalid-client');
  assert.equal(moth.authenticateTokenClient(web.client.id, rotated.secret).id, web.client.id);
  assert.equal(refusal(() => moth.rotateClientSecret(mobile.client.id)).code, 'invalid-input');
  assert.equal(moth.rotateClientSecret('0'.repeat(32)), null);

  assert.equal(moth.deleteClient(web.client.id), true);
  assert.equal(moth.deleteClient(web.client.id), false);
  assert.equal(moth.getClient(web.client.id), null);
});

test('a client spec is checked before the call: every field, known grant types', async () => {
  const { moth } = await open();
  const spec = { name: 'x', confidential: true, redirectUris: [], grantTypes: ['client-credentials'], scopes: 'a' };
  const missing = refusal(() => moth.registerClient({ ...spec, confidential: undefined }));
  assert.equal(missing.code, 'invalid-input');
  const { redirectUris, ...noUris } = spec;
  assert.match(refusal(() => moth.registerClient(noUris)).detail, /redirectUris missing/);
  assert.match(refusal(() => moth.registerClient({ ...spec, grantTypes: ['implicit'] })).detail, /unknown grant type implicit/);
  assert.match(refusal(() => moth.registerClient({ ...spec, scope: 'a' })).detail, /unknown client spec field scope/);
  // The component's own rules: client-credentials needs a confidential client.
  assert.equal(refusal(() => moth.registerClient({ ...spec, confidential: false })).code, 'invalid-input');
});

test('lifetimes: defaults, set, checked', async () => {
  const { moth } = await open();
  assert.deepEqual(moth.getOauthLifetimes(), { code: 60, access: 3600, refreshIdle: 14 * 86400, refresh: 30 * 86400, refreshGrace: 0 });
  moth.setOauthLifetimes({ code: 30, access: 600, refreshIdle: 3600, refresh: 7200, refreshGrace: 5 });
  assert.deepEqual(moth.getOauthLifetimes(), { code: 30, access: 600, refreshIdle: 3600, refresh: 7200, refreshGrace: 5 });
  assert.equal(refusal(() => moth.setOauthLifetimes({ code: 601, access: 600, refreshIdle: 3600, refresh: 7200, refreshGrace: 0 })).code, 'invalid-input');
  assert.equal(refusal(() => moth.setOauthLifetimes({ code: 30, access: 600, refreshIdle: 3600, refresh: 7200, refreshGrace: 301 })).code, 'invalid-input');
  assert.equal(refusal(() => moth.setOauthLifetimes({ code: 30, access: 600, refreshIdle: 3600, refresh: 7200 })).code, 'invalid-input');
});

test('authorization code with PKCE S256: check, issue, exchange; a replay revokes what it issued', async () => {
  const { moth, ann } = await open();
  const { mobile } = registerBoth(moth);
  const id = mobile.client.id;

  const authz = moth.checkAuthorization(pkceRequest(id));
  assert.deepEqual(authz, { client: mobile.client, redirectUri: APP, scopes: 'read' });
  const code = moth.issueCode(pkceRequest(id), ann.id);
  assert.match(code, /^mothc_/);

  const tokens = moth.exchangeCode(id, null, code, APP, VERIFIER);
  assert.match(tokens.accessToken, /^motha_/);
  assert.match(tokens.refreshToken, /^mothr_/);
  assert.equal(tokens.expiresIn, 3600);
  assert.equal(tokens.scopes, 'read');
  assert.deepEqual(moth.introspectToken(tokens.accessToken), {
    access: true,
    clientId: id,
    user: ann.id,
    username: 'ann',
    scopes: 'read',
    expires: NOW + 3600,
    issued: NOW,
  });
  assert.equal(moth.introspectToken(tokens.refreshToken).access, false);

  const replay = refusal(() => moth.exchangeCode(id, null, code, APP, VERIFIER));
  assert.equal(replay.code, 'invalid-grant');
  assert.equal(typeof replay.detail, 'string');
  assert.equal(replay.redirectUri, undefined);
  assert.equal(moth.introspectToken(tokens.accessToken), null, 'the replay revoked the first tokens');
  assert.equal(moth.introspectToken(tokens.refreshToken), null);
});

test('a wrong verifier spends the code; a code expires', async () => {
  const { moth, clock, ann } = await open();
  const { mobile } = registerBoth(moth);
  const id = mobile.client.id;
  const code = moth.issueCode(pkceRequest(id), ann.id);
  assert.equal(refusal(() => moth.exchangeCode(id, null, code, APP, 'x'.repeat(43))).code, 'invalid-grant');
  assert.equal(refusal(() => moth.exchangeCode(id, null, code, APP, VERIFIER)).code, 'invalid-grant', 'spent by the failed attempt');

  const late = moth.issueCode(pkceRequest(id), ann.id);
  clock.advance(60);
  assert.match(refusal(() => moth.exchangeCode(id, null, late, APP, VERIFIER)).detail, /expired/);
});

test('a confidential client exchanges with its secret; refresh tokens rotate and a reused one revokes the grant', async () => {
  const { moth, clock, ann } = await open();
  const { web } = registerBoth(moth);
  const id = web.client.id;
  const request = { responseType: 'code', clientId: id, redirectUri: null, scope: 'profile read' };
  const code = moth.issueCode(request, ann.id);
  // The request left out the redirect URI (the client has one), so the exchange may too.
  assert.equal(refusal(() => moth.exchangeCode(id, 'moths_wrong', code)).code, 'invalid-client');
  const first = moth.exchangeCode(id, web.secret, code);
  assert.equal(first.scopes, 'profile read');

  clock.advance(10);
  const second = moth.refreshGrant(id, web.secret, first.refreshToken, 'read');
  assert.notEqual(second.refreshToken, first.refreshToken);
  assert.equal(second.scopes, 'read');
  assert.equal(moth.introspectToken(second.accessToken).issued, NOW + 10);
  assert.equal(refusal(() => moth.refreshGrant(id, web.secret, second.refreshToken, 'email')).code, 'invalid-scope');

  const reused = refusal(() => moth.refreshGrant(id, web.secret, first.refreshToken));
  assert.equal(reused.code, 'invalid-grant');
  assert.equal(moth.introspectToken(second.accessToken), null, 'the whole grant is revoked');
  assert.equal(refusal(() => moth.refreshGrant(id, web.secret, second.refreshToken)).code, 'invalid-grant');
});

test('client credentials, introspection and bearer checks; revocation', async () => {
  const { moth } = await open();
  const svc = moth.registerClient({
    name: 'Service',
    confidential: true,
    redirectUris: [],
    grantTypes: ['client-credentials'],
    scopes: 'read write',
  });
  const id = svc.client.id;
  const granted = moth.clientCredentialsGrant(id, svc.secret, 'read');
  assert.equal(granted.refreshToken, null);
  assert.equal(granted.scopes, 'read');
  const all = moth.clientCredentialsGrant(id, svc.secret);
  assert.equal(all.scopes, 'read write');
  assert.equal(refusal(() => moth.clientCredentialsGrant(id, svc.secret, 'admin')).code, 'invalid-scope');
  assert.equal(refusal(() => moth.clientCredentialsGrant(id, null)).code, 'invalid-client');

  const info = moth.introspectToken(granted.accessToken);
  assert.deepEqual(info, { access: true, clientId: id, user: null, username: null, scopes: 'read', expires: NOW + 3600, issued: NOW });
  assert.deepEqual(moth.authorizeBearer(granted.accessToken, 'read'), { ok: info });
  assert.deepEqual(moth.authorizeBearer(granted.accessToken, ''), { ok: info });
  assert.deepEqual(moth.authorizeBearer(granted.accessToken, 'read write'), { err: 'insufficient-scope' });
  assert.deepEqual(moth.authorizeBearer('motha_nope', 'read'), { err: 'invalid-token' });
  assert.equal(refusal(() => moth.authorizeBearer(granted.accessToken, 'bad"scope')).code, 'invalid-input');
  assert.equal(refusal(() => moth.authorizeBearer(granted.accessToken)).code, 'invalid-input', 'no default scopes');
  assert.equal(moth.introspectToken('motha_nope'), null);

  // Another client's token and an unknown one are left alone, silently.
  const other = moth.registerClient({ name: 'Other', confidential: true, redirectUris: [], grantTypes: ['client-credentials'], scopes: 'read' });
  assert.equal(moth.revokeOauthToken(other.client.id, other.secret, granted.accessToken), undefined);
  assert.notEqual(moth.introspectToken(granted.accessToken), null);
  moth.revokeOauthToken(id, svc.secret, 'motha_unknown');
  moth.revokeOauthToken(id, svc.secret, granted.accessToken);
  assert.equal(moth.introspectToken(granted.accessToken), null);
  assert.deepEqual(moth.authorizeBearer(granted.accessToken, 'read'), { err: 'invalid-token' });
  assert.notEqual(moth.introspectToken(all.accessToken), null);
  assert.equal(refusal(() => moth.revokeOauthToken(id, 'moths_wrong', all.accessToken)).code, 'invalid-client');
});

test('revoking a refresh token ends its grant', async () => {
  const { moth, ann } = await open();
  const { mobile } = registerBoth(moth);
  const id = mobile.client.id;
  const tokens = moth.exchangeCode(id, null, moth.issueCode(pkceRequest(id), ann.id), APP, VERIFIER);
  moth.revokeOauthToken(id, null, tokens.refreshToken);
  assert.equal(moth.introspectToken(tokens.accessToken), null);
  assert.equal(refusal(() => moth.refreshGrant(id, null, tokens.refreshToken)).code, 'invalid-grant');
});

test('consents: remembered by issueCode, covered, listed, revoked with their grants', async () => {
  const { moth, clock, ann } = await open();
  const { mobile } = registerBoth(moth);
  const id = mobile.client.id;
  assert.equal(moth.consentCovers(ann.id, id, 'read'), false);
  assert.deepEqual(moth.listConsents(ann.id), []);
  const tokens = moth.exchangeCode(id, null, moth.issueCode(pkceRequest(id), ann.id), APP, VERIFIER);
  clock.advance(5);
  moth.issueCode(pkceRequest(id, { scope: 'profile' }), ann.id);
  assert.equal(moth.consentCovers(ann.id, id, 'read'), true);
  assert.equal(moth.consentCovers(ann.id, id, 'profile read'), true);
  assert.equal(moth.consentCovers(ann.id, id, 'email'), false);
  assert.deepEqual(moth.listConsents(ann.id), [{ clientId: id, clientName: 'Mobile app', scopes: 'profile read', since: NOW }]);

  assert.equal(moth.revokeConsent(ann.id, id), true);
  assert.equal(moth.revokeConsent(ann.id, id), false);
  assert.deepEqual(moth.listConsents(ann.id), []);
  assert.equal(moth.introspectToken(tokens.accessToken), null, 'the consent\'s grant ended');
});

test('authorize errors: no-redirect, or the oauth-error with where to send it', async () => {
  const { moth, ann } = await open();
  const { web, mobile } = registerBoth(moth);

  const unknown = refusal(() => moth.checkAuthorization(pkceRequest('0'.repeat(32))));
  assert.equal(unknown.code, 'no-redirect');
  assert.equal(typeof unknown.detail, 'string');
  assert.equal(unknown.redirectUri, undefined);
  const badUri = refusal(() => moth.checkAuthorization(pkceRequest(mobile.client.id, { redirectUri: 'https://evil.example/cb' })));
  assert.equal(badUri.code, 'no-redirect');

  const noPkce = refusal(() => moth.checkAuthorization(pkceRequest(mobile.client.id, { codeChallenge: null, codeChallengeMethod: null })));
  assert.equal(noPkce.code, 'invalid-request');
  assert.equal(noPkce.redirectUri, APP);
  assert.match(noPkce.detail, /code_challenge/);

  const plain = refusal(() => moth.checkAuthorization(pkceRequest(mobile.client.id, { codeChallengeMethod: 'plain' })));
  assert.equal(plain.code, 'invalid-request');
  assert.equal(plain.redirectUri, APP);

  const token = refusal(() => moth.checkAuthorization({ responseType: 'token', clientId: web.client.id }));
  assert.equal(token.code, 'unsupported-response-type');
  assert.equal(token.detail, undefined);
  assert.equal(token.redirectUri, WEB);
  assert.equal(token.message, 'unsupported-response-type');

  const scope = refusal(() => moth.issueCode(pkceRequest(mobile.client.id, { scope: 'email' }), ann.id));
  assert.equal(scope.code, 'invalid-scope');
  assert.equal(scope.redirectUri, APP);

  const nobody = refusal(() => moth.issueCode(pkceRequest(mobile.client.id), 999));
  assert.equal(nobody.code, 'access-denied');
  assert.equal(nobody.redirectUri, APP);

  assert.match(refusal(() => moth.checkAuthorization({ clientId: web.client.id })).detail, /responseType must be a string/);
  assert.match(refusal(() => moth.checkAuthorization({ responseType: 'code', clientId: 'x', state: 'y' })).detail, /unknown authorization request field state/);
});

test('AsyncMoth has the OAuth methods, and a redirected error keeps its redirectUri across the worker', async () => {
  const moth = await AsyncMoth.open({ clock: { kind: 'manual', at: NOW } });
  try {
    const mobile = await moth.registerClient({
      name: 'Mobile app',
      confidential: false,
      redirectUris: [APP],
      grantTypes: ['authorization-code'],
      scopes: 'read',
    });
    const e = await moth.checkAuthorization(pkceRequest(mobile.client.id, { codeChallenge: null, codeChallengeMethod: null })).then(
      () => assert.fail('no error'),
      (err) => err,
    );
    assert.ok(e instanceof MothError);
    assert.equal(e.code, 'invalid-request');
    assert.equal(e.redirectUri, APP);
    assert.deepEqual(await moth.authorizeBearer('motha_nope', ''), { err: 'invalid-token' });
    const grant = await moth.exchangeCode(mobile.client.id, null, 'mothc_nope', APP, VERIFIER).catch((err) => err);
    assert.equal(grant.code, 'invalid-grant');
    assert.equal(grant.redirectUri, undefined);
  } finally {
    await moth.close();
  }
});
