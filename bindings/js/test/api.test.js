import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, appendFileSync, closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Moth, MothError, FileStore, ManualClock, MemoryStore } from '../src/index.js';

// The component's lockout and log defaults, with the cheapest hashing.
const cheap = {
  argon2MemoryKib: 8,
  argon2Iterations: 1,
  argon2Parallelism: 1,
  defaultTokenLifetime: 3600,
  allowWeakHashing: true,
  maxTokensPerUser: 1000,
  minPasswordLength: 1,
  refuseCommonPasswords: false,
  lockoutThreshold: 5,
  lockoutWindow: 900,
  lockoutDuration: 900,
  lockoutMaxDuration: 86400,
  sourceLockoutThreshold: 50,
  sourceLockoutWindow: 900,
  sourceLockoutDuration: 900,
  logRetention: 2592000,
};

test('a file store keeps everything across reopening and ignores a torn last line', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'moth-')), 'moth.log');
  const first = await Moth.open({ store: new FileStore(path), settings: cheap });
  const ann = first.createUser('ann', 'pw', 'admin');
  const { token } = first.login('ann', 'pw');
  appendFileSync(path, '[["75","'); // a crash in the middle of a commit
  const again = await Moth.open({ store: new FileStore(path) });
  assert.deepEqual(again.validate(token).user, ann);
  assert.equal(again.createUser('bob', 'pw').id, 2);
});

test('commits after a crash survive the next reopening (the torn tail is cut off at open)', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'moth-')), 'moth.log');
  const log = new FileStore(path);
  const first = await Moth.open({ store: log, settings: cheap });
  const ann = first.createUser('ann', 'pw', 'admin');
  log.close();
  appendFileSync(path, '[["75","'); // a crash in the middle of a commit
  const reopened = new FileStore(path);
  assert.ok(readFileSync(path, 'utf8').endsWith(']\n'), 'the torn tail is cut off at open');
  const second = await Moth.open({ store: reopened });
  const bob = second.createUser('bob', 'pw'); // acknowledged after the crash
  const { token } = second.login('bob', 'pw');
  reopened.close();
  const third = await Moth.open({ store: new FileStore(path) });
  assert.deepEqual(third.listUsers().users, [ann, bob]);
  assert.deepEqual(third.validate(token).user, bob);
  assert.equal(third.createUser('cat', 'pw').id, 3);
});

test('a log damaged before this fix (a torn line with the next commit glued to it) loses no acknowledged commit', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'moth-')), 'moth.log');
  const log = new FileStore(path);
  const first = await Moth.open({ store: log, settings: cheap });
  first.createUser('ann', 'pw');
  log.close();
  const acknowledged = readFileSync(path, 'utf8').split('\n');
  const [settings, ...rest] = acknowledged; // what this store did: a crash mid-line, then an append
  writeFileSync(path, `${settings}\n[["75","${rest.join('\n')}`);
  const again = await Moth.open({ store: new FileStore(path) });
  assert.deepEqual(again.listUsers().users.map((u) => u.username), ['ann']);
  assert.equal(again.createUser('bob', 'pw').id, 2);
});

test('a damaged line followed by records is refused at open, not skipped; a log that cannot be repaired after a failed commit refuses commits', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'moth-')), 'moth.log');
  const log = new FileStore(path);
  const moth = await Moth.open({ store: log, settings: cheap });
  moth.createUser('ann', 'pw');
  const fd = log.fd;
  log.fd = openSync(path, 'r'); // every write now fails, and so does cutting it back
  assert.throws(() => moth.createUser('bob', 'pw'), (e) => e instanceof MothError && e.code === 'storage');
  closeSync(log.fd);
  log.fd = fd;
  assert.throws(() => moth.createUser('bob', 'pw'), (e) => e.code === 'storage', 'refused until reopened');
  log.close();
  const reopened = new FileStore(path);
  const again = await Moth.open({ store: reopened });
  assert.equal(again.createUser('bob', 'pw').id, 2);
  reopened.close();
  const [first, ...rest] = readFileSync(path, 'utf8').split('\n');
  writeFileSync(path, [first, 'garbage', ...rest].join('\n'));
  assert.throws(() => new FileStore(path), /not a record, and more follow/);
});

test('a record written whole but without its newline was never acknowledged: dropped at open, not glued', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'moth-')), 'moth.log');
  const log = new FileStore(path);
  const first = await Moth.open({ store: log, settings: cheap });
  first.createUser('ann', 'pw');
  log.close();
  writeFileSync(path, readFileSync(path, 'utf8').slice(0, -1)); // the last newline never reached the disk
  const reopened = new FileStore(path);
  const second = await Moth.open({ store: reopened });
  assert.deepEqual(second.listUsers().users, []);
  second.createUser('bob', 'pw');
  reopened.close();
  const third = await Moth.open({ store: new FileStore(path) });
  assert.deepEqual(third.listUsers().users.map((u) => u.username), ['bob']);
});

// A store whose method `name` misbehaves once, by `misbehave` (which
// throws or returns what the real method should not).
function misbehaveOnce(store, name, misbehave) {
  const real = store[name];
  store[name] = (...args) => {
    store[name] = real;
    return misbehave(...args);
  };
}

const isTrap = (e) => e instanceof MothError && e.code === 'component-trap';

test('a trap fails only its own call: the instance is replaced and the next call works', async () => {
  const store = new MemoryStore();
  const moth = await Moth.open({ store, settings: cheap });
  const ann = moth.createUser('ann', 'pw');
  const { token } = moth.login('ann', 'pw');
  const boom = new Error('the disk caught fire');
  misbehaveOnce(store, 'get', () => {
    throw boom; // not a store-error ({ tag: 'failure' }): the call traps
  });
  assert.throws(() => moth.getUser(ann.id), (e) => isTrap(e) && e.cause === boom);
  assert.deepEqual(moth.getUser(ann.id), ann);
  assert.deepEqual(moth.validate(token).user, ann);
  assert.equal(moth.createUser('bob', 'pw').id, 2);
});

test('a wasm-level trap, which jco marks as poisoning the instance, is recovered from too', async () => {
  const clock = new ManualClock(1_000_000);
  const moth = await Moth.open({ clock, settings: cheap });
  moth.createUser('ann', 'pw');
  misbehaveOnce(clock, 'now', () => {
    throw new WebAssembly.RuntimeError('unreachable');
  });
  assert.throws(() => moth.login('ann', 'pw'), isTrap);
  assert.equal(moth.login('ann', 'pw').expires, 1_000_000 + 3600);
  assert.equal(moth.countTokens(1), 1);
});

test('a store that returns a malformed value traps the call; the next call works', async () => {
  const store = new MemoryStore();
  const moth = await Moth.open({ store, settings: cheap });
  const ann = moth.createUser('ann', 'pw');
  misbehaveOnce(store, 'get', () => 42);
  assert.throws(() => moth.getUser(ann.id), isTrap);
  assert.deepEqual(moth.getUser(ann.id), ann);
});

test('a trap in a write commits nothing', async () => {
  const store = new MemoryStore();
  const moth = await Moth.open({ store, settings: cheap });
  moth.createUser('ann', 'pw');
  misbehaveOnce(store, 'commit', () => {
    throw new Error('lost the connection');
  });
  assert.throws(() => moth.createUser('bob', 'pw'), isTrap);
  assert.deepEqual(moth.listUsers().users.map((u) => u.username), ['ann']);
  assert.equal(moth.createUser('bob', 'pw').id, 2);
});

test('store-errors and WIT errors are not traps: the instance is kept', async () => {
  const store = new MemoryStore();
  const moth = await Moth.open({ store, settings: cheap });
  moth.createUser('ann', 'pw');
  misbehaveOnce(store, 'get', () => {
    throw { tag: 'failure', val: 'busy' };
  });
  assert.throws(() => moth.getUser(1), (e) => e instanceof MothError && e.code === 'storage');
  assert.throws(() => moth.getUser(2), (e) => e instanceof MothError && e.code === 'no-user');
  assert.throws(() => moth.createUser(7, 'pw'), TypeError); // a bad argument is the caller's error, as it was
  assert.equal(moth.getUser(1).username, 'ann');
});

test('errors are MothErrors with the WIT code; the real default clock and randomness work', async () => {
  const moth = await Moth.open({ settings: cheap });
  moth.createUser('ann', 'pw');
  assert.throws(() => moth.createUser('ann', 'pw'), (e) => e instanceof MothError && e.code === 'user-exists');
  assert.throws(() => moth.getUser(-1), (e) => e.code === 'invalid-input');
  const a = moth.login('ann', 'pw');
  const b = moth.login('ann', 'pw');
  assert.notEqual(a.token, b.token);
  assert.match(a.token, /^moth_[A-Za-z0-9_-]{49}$/);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(Math.abs(a.expires - (now + 3600)) <= 2);
});

test('settings come from the component: a fresh store reports its defaults, and one field changes alone', async () => {
  const moth = await Moth.open();
  const defaults = moth.getSettings();
  // The defaults documented in wit/settings.wit, as the component reports them.
  assert.deepEqual(defaults, {
    argon2MemoryKib: 19456,
    argon2Iterations: 2,
    argon2Parallelism: 1,
    defaultTokenLifetime: 259200,
    allowWeakHashing: false,
    maxTokensPerUser: 1000,
    minPasswordLength: 8,
    refuseCommonPasswords: true,
    lockoutThreshold: 5,
    lockoutWindow: 900,
    lockoutDuration: 900,
    lockoutMaxDuration: 86400,
    sourceLockoutThreshold: 50,
    sourceLockoutWindow: 900,
    sourceLockoutDuration: 900,
    logRetention: 2592000,
  });
  moth.setSettings({ ...defaults, defaultTokenLifetime: 60 });
  assert.deepEqual(moth.getSettings(), { ...defaults, defaultTokenLifetime: 60 });
  moth.setSettings({ ...defaults, lockoutThreshold: 0, logRetention: 0 });
  assert.deepEqual(moth.getSettings(), { ...defaults, lockoutThreshold: 0, logRetention: 0 });
});

test('settings are whole: a missing or misspelt field is invalid-input (jco would make a missing u32 a silent 0)', async () => {
  const moth = await Moth.open({ settings: cheap });
  const { lockoutThreshold, ...withoutThreshold } = cheap;
  assert.equal(lockoutThreshold, 5);
  assert.throws(() => moth.setSettings(withoutThreshold), (e) => e instanceof MothError && e.code === 'invalid-input' && /lockoutThreshold/.test(e.message));
  assert.throws(() => moth.setSettings({ ...cheap, lockoutTreshold: 3 }), (e) => e.code === 'invalid-input' && /lockoutTreshold/.test(e.message));
  assert.throws(() => moth.setSettings({ ...cheap, sourceLockoutThreshold: -1 }), (e) => e.code === 'invalid-input');
  // A flag left out is refused, not read as false (which would turn the
  // common-password check off).
  const { refuseCommonPasswords: _flag, ...withoutFlag } = moth.getSettings();
  assert.throws(() => moth.setSettings(withoutFlag), (e) => e.code === 'invalid-input' && /refuseCommonPasswords/.test(e.message));
  assert.throws(() => moth.setSettings({ ...withoutFlag, refuseCommonPasswords: 'yes' }), (e) => e.code === 'invalid-input');
  // The component checks the ranges.
  assert.throws(() => moth.setSettings({ ...cheap, lockoutWindow: 0 }), (e) => e.code === 'invalid-input' && /lockout-window/.test(e.detail));
  assert.deepEqual(moth.getSettings(), cheap);
});

test('sweep reports what it deleted and when the next token expires', async () => {
  const clock = new ManualClock(1_000_000);
  // No log: while one is kept, a sweep is due within the hour whatever the tokens.
  const moth = await Moth.open({ clock, settings: { ...cheap, logRetention: 0 } });
  assert.deepEqual(moth.sweep(), { deleted: 0, nextExpiry: null });
  moth.createUser('ann', 'pw');
  moth.login('ann', 'pw', 10);
  moth.login('ann', 'pw', 20);
  clock.advance(10);
  assert.deepEqual(moth.sweep(), { deleted: 1, nextExpiry: 1_000_020 });
  clock.advance(10);
  assert.deepEqual(moth.sweep(), { deleted: 1, nextExpiry: null });
});

test('email tokens: create, authenticate once, per-token retval, IP binding, expiry, listing and revocation', async () => {
  const clock = new ManualClock(1_000_000);
  const moth = await Moth.open({ clock, settings: cheap });
  const a = moth.createEmailToken('ann@example.com', { retval: 'oauth-a', ip: '192.0.2.1' });
  assert.match(a.token, /^mothe_/);
  assert.match(a.id, /^[0-9a-f]{16}$/);
  assert.equal(a.expires, 1_000_000 + 900);
  const b = moth.createEmailToken('ann@example.com', { uses: 2, lifetime: 60 });
  assert.equal(b.expires, 1_000_060);
  const listed = moth.listEmailTokens('ann@example.com');
  assert.deepEqual(
    listed.sort((x, y) => (x.id < y.id ? -1 : 1)),
    [
      { id: a.id, ip: '192.0.2.1', created: 1_000_000, expires: 1_000_900, usesLeft: 1 },
      { id: b.id, ip: null, created: 1_000_000, expires: 1_000_060, usesLeft: 2 },
    ].sort((x, y) => (x.id < y.id ? -1 : 1)),
  );
  // Per-token retval; none is null.
  assert.equal(moth.authEmailToken('ann@example.com', b.token), null);
  moth.setEmailTokenRetval('ann@example.com', b.token, 'set later');
  assert.equal(moth.authEmailToken('ann@example.com', b.token, '198.51.100.7'), 'set later');
  assert.throws(() => moth.authEmailToken('ann@example.com', b.token), (e) => e instanceof MothError && e.code === 'invalid-token');
  // IP binding: a mismatch deletes the token.
  assert.throws(() => moth.authEmailToken('ann@example.com', a.token, '192.0.2.2'), (e) => e.code === 'ip-mismatch');
  assert.throws(() => moth.authEmailToken('ann@example.com', a.token, '192.0.2.1'), (e) => e.code === 'invalid-token');
  const c = moth.createEmailToken('ann@example.com', { ip: '192.0.2.1', retval: 'c' });
  assert.throws(() => moth.authEmailToken('ann@example.com', c.token, 'not an ip'), (e) => e.code === 'invalid-input');
  assert.throws(() => moth.authEmailToken('bob@example.com', c.token, '192.0.2.1'), (e) => e.code === 'invalid-token');
  assert.equal(moth.authEmailToken('ann@example.com', c.token, '::ffff:192.0.2.1'), 'c');
  // Expiry.
  const d = moth.createEmailToken('ann@example.com', { lifetime: 10 });
  clock.advance(10);
  assert.throws(() => moth.authEmailToken('ann@example.com', d.token), (e) => e.code === 'token-expired');
  assert.throws(() => moth.authEmailToken('ann@example.com', d.token), (e) => e.code === 'invalid-token');
  // Revocation by id, removal by secret, removal of the address.
  const e1 = moth.createEmailToken('ann@example.com');
  const e2 = moth.createEmailToken('ann@example.com', null);
  const e3 = moth.createEmailToken('ann@example.com', { ip: null, lifetime: null, retval: null, uses: null });
  moth.revokeEmailToken('ann@example.com', e1.id);
  assert.throws(() => moth.revokeEmailToken('ann@example.com', e1.id), (e) => e.code === 'invalid-token');
  moth.removeEmailToken('ann@example.com', e2.token);
  assert.throws(() => moth.removeEmailToken('ann@example.com', e2.token), (e) => e.code === 'invalid-token');
  assert.deepEqual(moth.listEmailTokens('ann@example.com').map((t) => t.id), [e3.id]);
  assert.equal(moth.removeEmailAddress('ann@example.com'), 1);
  assert.deepEqual(moth.listEmailTokens('ann@example.com'), []);
  assert.equal(moth.removeEmailAddress('ann@example.com'), 0);
});

test('email token options are checked: out of range is invalid-input, an unknown option is refused', async () => {
  const moth = await Moth.open({ settings: cheap });
  for (const options of [{ lifetime: 0 }, { lifetime: 2_592_001 }, { uses: 0 }, { uses: 1001 }, { ip: 'nope' }, { retval: 'x'.repeat(4097) }]) {
    assert.throws(() => moth.createEmailToken('ann@example.com', options), (e) => e.code === 'invalid-input', JSON.stringify(options).slice(0, 40));
  }
  assert.throws(() => moth.createEmailToken('', {}), (e) => e.code === 'invalid-input');
  assert.throws(() => moth.createEmailToken('ann@example.com', { expire: 60 }), (e) => e instanceof MothError && e.code === 'invalid-input' && /expire/.test(e.message));
  assert.throws(() => moth.createEmailToken('ann@example.com', { lifetime: -1 }), (e) => e.code === 'invalid-input');
  assert.deepEqual(moth.listEmailTokens('ann@example.com'), []);
});

test('API keys: create for a user and a service, name-taken, verify, list, rotate, revoke, delete-user', async () => {
  const clock = new ManualClock(1_000_000);
  const moth = await Moth.open({ clock, settings: cheap });
  const ann = moth.createUser('ann', 'pw');
  const ci = moth.createApiKey({ user: ann.id }, 'ci', 'read');
  assert.match(ci.key, /^mothk_/);
  assert.deepEqual(ci.info, { id: ci.info.id, owner: { user: ann.id }, name: 'ci', scopes: 'read', created: 1_000_000, expires: null, lastUsed: null });
  assert.throws(() => moth.createApiKey({ user: ann.id }, 'ci'), (e) => e instanceof MothError && e.code === 'name-taken');
  assert.throws(() => moth.createApiKey({ user: 99 }, 'ci'), (e) => e.code === 'no-user');
  assert.throws(() => moth.createApiKey({ user: ann.id }, 'x', '', 0), (e) => e.code === 'invalid-input');
  for (const owner of [{ tag: 'user', val: 1 }, { user: 1, service: 'x' }, null, 'ann', { service: '' }]) {
    assert.throws(() => moth.createApiKey(owner, 'y'), (e) => e.code === 'invalid-input', JSON.stringify(owner));
  }
  const svc = moth.createApiKey({ service: 'billing' }, 'ci', 'charge', 3600);
  assert.deepEqual(svc.info.owner, { service: 'billing' });
  assert.equal(svc.info.expires, 1_003_600);

  clock.advance(5);
  assert.deepEqual(moth.verifyApiKey(ci.key), { ...ci.info, lastUsed: 1_000_005 });
  assert.throws(() => moth.verifyApiKey('mothk_nope'), (e) => e.code === 'invalid-token');
  assert.deepEqual(moth.listApiKeys({ user: ann.id }), [{ ...ci.info, lastUsed: 1_000_005 }]);
  assert.deepEqual(moth.listApiKeys({ service: 'billing' }), [svc.info]);
  assert.deepEqual(moth.listApiKeys({ service: 'nobody' }), []);
  // By id, without using it: no lastUsed is written.
  assert.deepEqual(moth.getApiKey(ci.info.id), { ...ci.info, lastUsed: 1_000_005 });
  assert.deepEqual(moth.getApiKey(svc.info.id), svc.info);
  assert.deepEqual(moth.getApiKey(svc.info.id), svc.info);
  assert.throws(() => moth.getApiKey('0000000000000000'), (e) => e.code === 'invalid-token');

  // Rotation: with no overlap the old key dies at once.
  const ci2 = moth.rotateApiKey(ci.info.id);
  assert.notEqual(ci2.key, ci.key);
  assert.deepEqual({ ...ci2.info, id: undefined }, { ...ci.info, id: undefined, created: 1_000_005 });
  assert.throws(() => moth.verifyApiKey(ci.key), (e) => e.code === 'invalid-token');
  assert.equal(moth.verifyApiKey(ci2.key).name, 'ci');
  assert.throws(() => moth.rotateApiKey(ci.info.id, 0), (e) => e.code === 'invalid-token');
  assert.throws(() => moth.rotateApiKey(ci2.info.id, 604_801), (e) => e.code === 'invalid-input');
  // With an overlap, the old key verifies until it ends.
  const svc2 = moth.rotateApiKey(svc.info.id, 60);
  assert.equal(moth.verifyApiKey(svc.key).expires, 1_000_065);
  clock.advance(60);
  assert.throws(() => moth.verifyApiKey(svc.key), (e) => e.code === 'token-expired');
  assert.equal(moth.verifyApiKey(svc2.key).id, svc2.info.id);

  moth.revokeApiKey(svc2.info.id);
  assert.throws(() => moth.revokeApiKey(svc2.info.id), (e) => e.code === 'invalid-token');
  assert.throws(() => moth.verifyApiKey(svc2.key), (e) => e.code === 'invalid-token');
  moth.createApiKey({ service: 'billing' }, 'a');
  moth.createApiKey({ service: 'billing' }, 'b');
  assert.equal(moth.revokeApiKeys({ service: 'billing' }), 2);
  assert.equal(moth.revokeApiKeys({ service: 'billing' }), 0);

  moth.deleteUser(ann.id);
  assert.throws(() => moth.getApiKey(ci2.info.id), (e) => e.code === 'invalid-token');
  assert.throws(() => moth.verifyApiKey(ci2.key), (e) => e.code === 'invalid-token');
  assert.throws(() => moth.listApiKeys({ user: ann.id }), (e) => e.code === 'no-user');
});

test('API keys: an owner holds at most 100 (limit-reached, with its text)', async () => {
  const moth = await Moth.open({ settings: cheap });
  for (let i = 0; i < 100; i++) moth.createApiKey({ service: 'svc' }, `k${i}`);
  assert.throws(
    () => moth.createApiKey({ service: 'svc' }, 'one too many'),
    (e) => e instanceof MothError && e.code === 'limit-reached' && typeof e.detail === 'string' && e.detail.length > 0,
  );
  assert.equal(moth.listApiKeys({ service: 'svc' }).length, 100);
});

test('one-time tokens: purpose-bound, single-use, killed by login; reset-password replaces the password', async () => {
  const clock = new ManualClock(1_000_000);
  const moth = await Moth.open({ clock, settings: cheap });
  const ann = moth.createUser('ann', 'old', 'admin');
  const verify = moth.issueOneTimeToken(ann.id, 'verify-email');
  assert.match(verify.token, /^motho_/);
  assert.equal(verify.expires, 1_000_000 + 4 * 3600);
  assert.throws(() => moth.issueOneTimeToken(99, 'verify-email'), (e) => e.code === 'no-user');
  assert.throws(() => moth.issueOneTimeToken(ann.id, 'Bad Purpose'), (e) => e.code === 'invalid-input');
  assert.throws(() => moth.issueOneTimeToken(ann.id, 'verify-email', 604_801), (e) => e.code === 'invalid-input');
  assert.throws(() => moth.redeemOneTimeToken(verify.token, 'reset-password'), (e) => e.code === 'invalid-token');
  assert.deepEqual(moth.redeemOneTimeToken(verify.token, 'verify-email'), ann);
  assert.throws(() => moth.redeemOneTimeToken(verify.token, 'verify-email'), (e) => e.code === 'invalid-token');

  const stale = moth.issueOneTimeToken(ann.id, 'reset-password');
  moth.login('ann', 'old');
  assert.throws(() => moth.resetPassword(stale.token, 'new'), (e) => e.code === 'invalid-token');

  const short = moth.issueOneTimeToken(ann.id, 'invite', 10);
  clock.advance(10);
  assert.throws(() => moth.redeemOneTimeToken(short.token, 'invite'), (e) => e.code === 'token-expired');

  const session = moth.login('ann', 'old');
  const reset = moth.issueOneTimeToken(ann.id, 'reset-password', 600);
  assert.throws(() => moth.resetPassword(reset.token, ''), (e) => e.code === 'invalid-input');
  assert.deepEqual(moth.resetPassword(reset.token, 'new'), ann);
  assert.throws(() => moth.resetPassword(reset.token, 'newer'), (e) => e.code === 'invalid-token');
  assert.throws(() => moth.validate(session.token), (e) => e.code === 'invalid-token');
  assert.throws(() => moth.login('ann', 'old'), (e) => e.code === 'invalid-password');
  assert.equal(moth.login('ann', 'new').user.id, ann.id);
});

test('a trap in a new interface is recovered from like any other', async () => {
  const store = new MemoryStore();
  const moth = await Moth.open({ store, settings: cheap });
  const { token } = moth.createEmailToken('ann@example.com', { uses: 2 });
  misbehaveOnce(store, 'get', () => {
    throw new Error('the disk caught fire');
  });
  assert.throws(() => moth.authEmailToken('ann@example.com', token), isTrap);
  assert.equal(moth.authEmailToken('ann@example.com', token), null);
  assert.equal(moth.listEmailTokens('ann@example.com')[0].usesLeft, 1);
});

// A moth whose accounts lock after 3 failures for 600 s, and whose
// sources are blocked after 5 for 300 s, under a manual clock.
async function guarded() {
  const clock = new ManualClock(1_000_000);
  const moth = await Moth.open({
    clock,
    settings: { ...cheap, lockoutThreshold: 3, lockoutDuration: 600, sourceLockoutThreshold: 5, sourceLockoutDuration: 300 },
  });
  return { clock, moth, ann: moth.createUser('ann', 'right') };
}

const lockedFor = (seconds) => (e) => e instanceof MothError && e.code === 'locked-out' && e.retryAfter === seconds && e.message === `locked-out: retry in ${seconds} seconds`;

test('lockout: the third failure locks the account; then even the right password is locked-out, by every check, until it runs out', async () => {
  const { clock, moth, ann } = await guarded();
  const attacker = { source: '203.0.113.9' };
  assert.throws(() => moth.loginFrom('ann', 'guess', null, attacker), (e) => e.code === 'invalid-password');
  assert.equal(moth.checkPasswordFrom('ann', 'guess', attacker), false);
  assert.throws(() => moth.loginFrom('ann', 'guess', null, attacker), (e) => e.code === 'invalid-password');
  assert.throws(() => moth.loginFrom('ann', 'right', null, attacker), lockedFor(600));
  assert.throws(() => moth.loginFrom('ann', 'right', null, { source: '192.0.2.1' }), lockedFor(600));
  assert.throws(() => moth.checkPasswordFrom('ann', 'right'), lockedFor(600));
  assert.throws(() => moth.login('ann', 'right'), lockedFor(600));
  assert.throws(() => moth.checkPassword('ann', 'right'), lockedFor(600));
  assert.deepEqual(moth.listLocks(), { locks: [{ subject: { account: ann.id }, until: 1_000_600, lockouts: 1 }], next: null });
  clock.advance(599);
  assert.throws(() => moth.loginFrom('ann', 'right'), lockedFor(1));
  clock.advance(1);
  const grant = moth.loginFrom('ann', 'right', 60, { source: '192.0.2.1' });
  assert.deepEqual(grant.session.user, ann);
  assert.equal(grant.session.expires, 1_000_660);
  assert.match(grant.device, /^mothd_/);
  assert.deepEqual(moth.validate(grant.session.token).user, ann);
  assert.deepEqual(moth.listLocks(), { locks: [], next: null });
});

test('lockout: an unknown username is locked the same way, so lockout tells no names', async () => {
  const { moth } = await guarded();
  for (let i = 0; i < 3; i++) assert.throws(() => moth.loginFrom('nobody', 'right'), (e) => e.code === 'no-user');
  assert.throws(() => moth.loginFrom('nobody', 'right'), lockedFor(600));
  assert.deepEqual(moth.listLocks().locks.map((l) => l.subject), [{ username: 'nobody' }]);
});

test('a device credential lets its owner in while the account is locked, and is judged by its own counter', async () => {
  const { clock, moth, ann } = await guarded();
  const home = { source: '198.51.100.7' };
  const { device } = moth.loginFrom('ann', 'right', null, home);
  for (let i = 0; i < 3; i++) assert.throws(() => moth.loginFrom('ann', 'guess', null, { source: '203.0.113.9' }), (e) => e.code === 'invalid-password');
  assert.throws(() => moth.loginFrom('ann', 'right', null, home), lockedFor(600));
  const trusted = moth.loginFrom('ann', 'right', null, { ...home, device });
  assert.equal(trusted.device, device, 'the same credential back');
  assert.deepEqual(moth.validate(trusted.session.token).user, ann);
  // A forged one, or another account's, counts for nothing.
  const bob = moth.createUser('bob', 'hunter2');
  const bobs = moth.loginFrom('bob', 'hunter2').device;
  for (const other of [`${device}x`, 'mothd_nope', bobs]) {
    assert.throws(() => moth.loginFrom('ann', 'right', null, { device: other }), lockedFor(600), other);
  }
  // The device's own failures lock the device alone.
  clock.advance(600);
  for (let i = 0; i < 3; i++) assert.throws(() => moth.loginFrom('ann', 'guess', null, { device }), (e) => e.code === 'invalid-password');
  assert.throws(() => moth.loginFrom('ann', 'right', null, { device }), lockedFor(600));
  assert.equal(moth.loginFrom('ann', 'right', null, home).session.user.id, ann.id);
  const [lock] = moth.listLocks().locks;
  assert.match(lock.subject.device, /^[0-9a-f]{32}$/);
  assert.equal(moth.unlock(lock.subject), true);
  assert.equal(moth.loginFrom('ann', 'right', null, { device }).device, device);
  assert.equal(moth.loginFrom('bob', 'hunter2', null, { device: bobs }).session.user.id, bob.id);
});

test('a source is blocked by its failures across accounts; unlock lifts each kind of lock once', async () => {
  const { clock, moth, ann } = await guarded();
  const from = { source: '203.0.113.9' };
  for (const name of ['x1', 'x2', 'x3', 'x4']) assert.throws(() => moth.loginFrom(name, 'guess', null, from), (e) => e.code === 'no-user');
  clock.advance(10);
  assert.throws(() => moth.loginFrom('ann', 'guess', null, from), (e) => e.code === 'invalid-password');
  assert.throws(() => moth.loginFrom('ann', 'right', null, from), lockedFor(300));
  assert.equal(moth.loginFrom('ann', 'right', null, { source: '203.0.113.10' }).session.user.id, ann.id);
  assert.deepEqual(moth.listLocks(), { locks: [{ subject: { source: '203.0.113.9' }, until: 1_000_310, lockouts: 1 }], next: null });
  assert.equal(moth.unlock({ source: '203.0.113.9' }), true);
  assert.equal(moth.unlock({ source: '203.0.113.9' }), false);
  assert.equal(moth.loginFrom('ann', 'right', null, from).session.user.id, ann.id);
  for (let i = 0; i < 3; i++) assert.throws(() => moth.loginFrom('ann', 'guess'), (e) => e.code === 'invalid-password');
  assert.equal(moth.unlock({ account: ann.id }), true);
  assert.equal(moth.unlock({ account: ann.id }), false);
  assert.equal(moth.unlock({ username: 'nobody' }), false);
  assert.equal(moth.unlock({ device: '00000000000000000000000000000000' }), false);
  assert.equal(moth.loginFrom('ann', 'right').session.user.id, ann.id);
  // Refused by the component, or by the binding before it.
  for (const subject of [{ device: 'zz' }, { source: 'not an ip' }, { user: 1 }, { account: 1, source: '203.0.113.9' }, null, { account: -1 }]) {
    assert.throws(() => moth.unlock(subject), (e) => e instanceof MothError && e.code === 'invalid-input', JSON.stringify(subject));
  }
  assert.throws(() => moth.loginFrom('ann', 'right', null, { ip: '203.0.113.9' }), (e) => e.code === 'invalid-input' && /ip/.test(e.message));
  assert.throws(() => moth.loginFrom('ann', 'right', null, { source: 'not an ip' }), (e) => e.code === 'invalid-input');
});

test('the attempt and event log: listed newest first by name, source and kind, paged, and purged', async () => {
  const { clock, moth, ann } = await guarded();
  const tick = () => clock.advance(1);
  moth.loginFrom('ann', 'right', null, { source: '198.51.100.7' });
  tick();
  moth.checkPasswordFrom('ann', 'guess', { source: '203.0.113.9' });
  tick();
  assert.throws(() => moth.loginFrom('nobody', 'guess', null, { source: '203.0.113.9' }), (e) => e.code === 'no-user');
  tick();
  assert.throws(() => moth.login('ann', 'guess'), (e) => e.code === 'invalid-password');
  tick();
  assert.throws(() => moth.login('ann', 'guess'), (e) => e.code === 'invalid-password'); // the third: locks
  assert.throws(() => moth.login('ann', 'right'), lockedFor(600)); // refused: not logged
  // An entry but its id, which is random.
  const withoutId = ({ id, ...rest }) => rest;
  const row = (time, kind, user, username, source, success, reason) => ({ time, kind, user, username, source, success, reason });
  const ids = (page) => page.entries.map((e) => e.id);
  const all = moth.listAttempts();
  assert.equal(all.next, null);
  for (const id of ids(all)) assert.match(id, /^[0-9a-f]{32}$/);
  assert.deepEqual(all.entries.map(withoutId), [
    row(1_000_004, 'login', ann.id, 'ann', null, false, 'wrong password'),
    row(1_000_003, 'login', ann.id, 'ann', null, false, 'wrong password'),
    row(1_000_002, 'login', null, 'nobody', '203.0.113.9', false, 'no such user'),
    row(1_000_001, 'check-password', ann.id, 'ann', '203.0.113.9', false, 'wrong password'),
    row(1_000_000, 'login', ann.id, 'ann', '198.51.100.7', true, ''),
  ]);
  assert.deepEqual(ids(moth.listAttempts({ username: 'ann' })), ids(all).filter((_, i) => i !== 2));
  assert.deepEqual(ids(moth.listAttempts({ user: ann.id, source: '203.0.113.9' })), [ids(all)[3]]);
  assert.deepEqual(ids(moth.listAttempts({ source: '203.0.113.9' })), [ids(all)[2], ids(all)[3]]);
  assert.deepEqual(ids(moth.listAttempts({ kind: 'check-password' })), [ids(all)[3]]);
  assert.deepEqual(ids(moth.listAttempts({ since: 1_000_001, until: 1_000_002 })), [ids(all)[2], ids(all)[3]]);
  // Pages of 2, following `next`, are the whole log once.
  const paged = [];
  let after = null;
  do {
    const page = moth.listAttempts({}, { after, limit: 2 });
    assert.ok(page.entries.length <= 2);
    paged.push(...ids(page));
    after = page.next;
  } while (after !== null);
  assert.deepEqual(paged, ids(all));
  const events = moth.listEvents({ user: ann.id });
  assert.deepEqual(events.entries.map(withoutId), [row(1_000_004, 'account-locked', ann.id, 'ann', null, true, 'account locked until 1000604')]);
  assert.deepEqual(moth.listEvents({ kind: 'unlocked' }), { entries: [], next: null });
  for (const [filter, options] of [[{ kind: 'account-locked' }], [{ kind: 'no-such-kind' }], [{ user: ann.id, username: 'ann' }], [{ who: 'ann' }], [{}, { limit: 0 }], [{}, { after: 'nope' }]]) {
    assert.throws(() => moth.listAttempts(filter, options), (e) => e instanceof MothError && e.code === 'invalid-input', JSON.stringify([filter, options]));
  }
  assert.throws(() => moth.listEvents({ kind: 'login' }), (e) => e.code === 'invalid-input');

  assert.deepEqual(moth.purgeAttempts({ username: 'nobody' }), { purged: 1, next: null });
  assert.deepEqual(moth.purgeAttempts({ kind: 'check-password' }), { purged: 1, next: null });
  assert.deepEqual(moth.purgeAttempts({ olderThan: 1_000_001 }), { purged: 1, next: null });
  assert.deepEqual(ids(moth.listAttempts()), ids(all).slice(0, 2));
  assert.throws(() => moth.purgeAttempts({ older: 5 }), (e) => e.code === 'invalid-input' && /older/.test(e.message));
  assert.throws(() => moth.purgeAttempts({ after: 'zz' }), (e) => e.code === 'invalid-input');
  assert.equal(moth.purgeAttemptsAll(), 2);
  assert.deepEqual(moth.listAttempts(), { entries: [], next: null });
  // Events go only when asked for by kind.
  assert.equal(moth.purgeAttemptsAll({ kind: 'account-locked' }), 1);
  assert.deepEqual(moth.listEvents(), { entries: [], next: null });
});

// The default account state (a new account's).
const enabledState = { enabled: true, disabledFrom: null, emailVerified: false, superuser: false };

// A moth under a manual clock holding ann (password 'right') with a
// session, an API key and a reset-password one-time token.
async function withCredentials() {
  const clock = new ManualClock(1_000_000);
  const moth = await Moth.open({ clock, settings: cheap });
  const ann = moth.createUser('ann', 'right', 'staff');
  const session = moth.login('ann', 'right');
  const key = moth.createApiKey({ user: ann.id }, 'ci', 'read');
  const reset = moth.issueOneTimeToken(ann.id, 'reset-password');
  return { clock, moth, ann, session, key, reset };
}

const code = (c) => (e) => e instanceof MothError && e.code === c;

test('account state: the default, no-user for an unknown id, and flags stored without revoking anything', async () => {
  const { moth, ann, session, key } = await withCredentials();
  assert.deepEqual(moth.getAccountState(ann.id), enabledState);
  assert.throws(() => moth.getAccountState(99), code('no-user'));
  assert.throws(() => moth.setAccountState(99, enabledState), code('no-user'));
  const flagged = { ...enabledState, emailVerified: true, superuser: true };
  assert.equal(moth.setAccountState(ann.id, flagged), undefined);
  assert.deepEqual(moth.getAccountState(ann.id), flagged);
  assert.deepEqual(moth.validate(session.token).user, ann);
  assert.equal(moth.verifyApiKey(key.key).id, key.info.id);
});

test('disabling revokes every session, API key and one-time token; only the right password learns account-disabled; enabling brings nothing back', async () => {
  const { moth, ann, session, key, reset } = await withCredentials();
  moth.setAccountState(ann.id, { ...enabledState, enabled: false });
  assert.deepEqual(moth.getAccountState(ann.id), { ...enabledState, enabled: false });
  assert.throws(() => moth.validate(session.token), code('invalid-token'));
  assert.throws(() => moth.verifyApiKey(key.key), code('invalid-token'));
  assert.deepEqual(moth.listApiKeys({ user: ann.id }), []);
  assert.equal(moth.countTokens(ann.id), 0);
  assert.throws(() => moth.resetPassword(reset.token, 'new'), code('invalid-token'));
  assert.throws(() => moth.login('ann', 'wrong'), code('invalid-password'));
  assert.equal(moth.checkPassword('ann', 'wrong'), false);
  const disabled = (e) => code('account-disabled')(e) && e.message === 'account-disabled' && e.detail === undefined;
  assert.throws(() => moth.login('ann', 'right'), disabled);
  assert.throws(() => moth.checkPassword('ann', 'right'), disabled);
  assert.throws(() => moth.loginFrom('ann', 'right', null, { source: '192.0.2.1' }), disabled);
  assert.throws(() => moth.createApiKey({ user: ann.id }, 'other'), disabled);
  assert.throws(() => moth.issueOneTimeToken(ann.id, 'verify-email'), disabled);

  moth.setAccountState(ann.id, enabledState);
  assert.throws(() => moth.validate(session.token), code('invalid-token'));
  assert.throws(() => moth.verifyApiKey(key.key), code('invalid-token'));
  const again = moth.login('ann', 'right');
  assert.deepEqual(moth.validate(again.token).user, ann);
  assert.equal(moth.createApiKey({ user: ann.id }, 'ci').info.name, 'ci');
});

test('a later disabledFrom takes effect at its second; redeeming verify-email sets emailVerified', async () => {
  const { clock, moth, ann, session, key } = await withCredentials();
  const verify = moth.issueOneTimeToken(ann.id, 'verify-email');
  assert.deepEqual(moth.redeemOneTimeToken(verify.token, 'verify-email'), ann);
  assert.deepEqual(moth.getAccountState(ann.id), { ...enabledState, emailVerified: true });
  const reset = moth.issueOneTimeToken(ann.id, 'reset-password');
  const later = { ...enabledState, disabledFrom: 1_000_010, emailVerified: true };
  moth.setAccountState(ann.id, later);
  assert.deepEqual(moth.getAccountState(ann.id), later);
  clock.advance(9);
  assert.deepEqual(moth.validate(session.token).user, ann);
  assert.equal(moth.verifyApiKey(key.key).id, key.info.id);
  clock.advance(1);
  assert.throws(() => moth.validate(session.token), code('invalid-token'));
  assert.throws(() => moth.verifyApiKey(key.key), code('invalid-token'));
  assert.throws(() => moth.redeemOneTimeToken(reset.token, 'reset-password'), code('account-disabled'));
  assert.throws(() => moth.login('ann', 'wrong'), code('invalid-password'));
  assert.throws(() => moth.login('ann', 'right'), code('account-disabled'));
  // Clearing the passed time enables the account and revokes what outlived it.
  moth.setAccountState(ann.id, { ...later, disabledFrom: null });
  assert.throws(() => moth.validate(session.token), code('invalid-token'));
  assert.throws(() => moth.redeemOneTimeToken(reset.token, 'reset-password'), code('invalid-token'));
  assert.equal(moth.login('ann', 'right').user.id, ann.id);
  // A BigInt is taken as any u64 is.
  moth.setAccountState(ann.id, { ...later, disabledFrom: 2_000_000n });
  assert.equal(moth.getAccountState(ann.id).disabledFrom, 2_000_000);
});

test('account states are whole: a missing, misspelt or mistyped field is invalid-input, never a silent default', async () => {
  const { moth, ann, session } = await withCredentials();
  const { enabled, ...withoutEnabled } = enabledState;
  const { disabledFrom, ...withoutFrom } = enabledState;
  for (const state of [
    withoutEnabled, // jco would read a missing bool as false: disabling the account
    withoutFrom,
    { ...enabledState, superUser: true },
    { ...enabledState, enabled: 'yes' },
    { ...enabledState, enabled: 1 },
    { ...enabledState, disabledFrom: -1 },
    { ...enabledState, disabledFrom: '1000' },
    null,
    [],
  ]) {
    assert.throws(() => moth.setAccountState(ann.id, state), code('invalid-input'), JSON.stringify(state));
  }
  assert.throws(() => moth.getAccountState(-1), code('invalid-input'));
  assert.deepEqual(moth.getAccountState(ann.id), enabledState);
  assert.deepEqual(moth.validate(session.token).user, ann);
});

test('disabling and enabling are logged as account-disabled and account-enabled events', async () => {
  const { clock, moth, ann } = await withCredentials();
  moth.setAccountState(ann.id, { ...enabledState, enabled: false });
  clock.advance(1);
  moth.setAccountState(ann.id, enabledState);
  clock.advance(1);
  moth.setAccountState(ann.id, { ...enabledState, disabledFrom: 1_000_100 });
  const row = ({ time, kind, user, username, reason }) => ({ time, kind, user, username, reason });
  assert.deepEqual(moth.listEvents({ kind: 'account-disabled' }).entries.map(row), [
    { time: 1_000_002, kind: 'account-disabled', user: ann.id, username: 'ann', reason: 'account to be disabled from 1000100' },
    { time: 1_000_000, kind: 'account-disabled', user: ann.id, username: 'ann', reason: 'account disabled: sessions, API keys and one-time tokens revoked' },
  ]);
  assert.deepEqual(moth.listEvents({ kind: 'account-enabled' }).entries.map(row), [
    { time: 1_000_001, kind: 'account-enabled', user: ann.id, username: 'ann', reason: 'account enabled: credentials from before revoked' },
  ]);
  assert.equal(moth.purgeAttemptsAll({ kind: 'account-enabled' }), 1);
  assert.deepEqual(moth.listEvents({ kind: 'account-enabled' }).entries, []);
});

// A moth under a manual clock holding ann (password 'right') and the
// permissions posts.read, posts.write and audit:view, the bundle editor
// (posts.read, posts.write) and the group staff (carrying editor).
async function withRoles() {
  const clock = new ManualClock(1_000_000);
  const moth = await Moth.open({ clock, settings: cheap });
  const ann = moth.createUser('ann', 'right', 'free-form, not a role');
  moth.createPermission('posts.read', 'Read posts');
  moth.createPermission('posts.write', 'Write posts');
  moth.createPermission('audit:view');
  moth.createBundle('editor');
  moth.grantRole({ bundle: 'editor' }, { permission: 'posts.read' });
  moth.grantRole({ bundle: 'editor' }, { permission: 'posts.write' });
  moth.createGroup('staff');
  moth.grantRole({ group: 'staff' }, { bundle: 'editor' });
  return { clock, moth, ann };
}

test('roles: permissions, bundles and groups are created and listed in name order; names are checked', async () => {
  const { moth } = await withRoles();
  assert.deepEqual(moth.listPermissions(), [
    { name: 'audit:view', description: '' },
    { name: 'posts.read', description: 'Read posts' },
    { name: 'posts.write', description: 'Write posts' },
  ]);
  assert.deepEqual(moth.createPermission('users.manage', 'Manage users'), { name: 'users.manage', description: 'Manage users' });
  assert.equal(moth.createBundle('viewer'), undefined);
  assert.equal(moth.createGroup('auditors'), undefined);
  assert.deepEqual(moth.listBundles(), [
    { name: 'editor', permissions: ['posts.read', 'posts.write'] },
    { name: 'viewer', permissions: [] },
  ]);
  assert.deepEqual(moth.listGroups(), [
    { name: 'auditors', permissions: [], bundles: [] },
    { name: 'staff', permissions: [], bundles: ['editor'] },
  ]);
  assert.deepEqual(moth.groupMembers('staff'), []);
  assert.throws(() => moth.createPermission('posts.read', 'again'), code('name-taken'));
  assert.throws(() => moth.createBundle('editor'), code('name-taken'));
  assert.throws(() => moth.createGroup('staff'), code('name-taken'));
  for (const bad of ['', 'Posts', 'a b', 'x/y', 'é', 'p'.repeat(129)]) {
    assert.throws(() => moth.createPermission(bad, ''), code('invalid-input'), bad);
    assert.throws(() => moth.createBundle(bad), code('invalid-input'), bad);
    assert.throws(() => moth.createGroup(bad), code('invalid-input'), bad);
  }
  assert.equal(moth.createPermission('p'.repeat(128), '').name.length, 128);
  assert.throws(() => moth.createPermission('long', 'd'.repeat(1025)), code('invalid-input'));
  assert.throws(() => moth.groupMembers('ghosts'), code('invalid-input'));
});

test('roles: each pairing is granted once, effective permissions are the union at the very next check, revoking keeps what is held through others', async () => {
  const { moth, ann } = await withRoles();
  assert.deepEqual(moth.getUserRoles(ann.id), { permissions: [], bundles: [], groups: [] });
  assert.deepEqual(moth.effectivePermissions(ann.id), []);
  assert.equal(moth.hasAny(ann.id, ['posts.read']), false);
  // user -> group, seen by the very next check.
  assert.equal(moth.grantRole({ user: ann.id }, { group: 'staff' }), true);
  assert.equal(moth.grantRole({ user: ann.id }, { group: 'staff' }), false);
  assert.equal(moth.hasAll(ann.id, ['posts.read', 'posts.write']), true);
  // The other five pairings.
  moth.createBundle('auditing');
  moth.createGroup('auditors');
  moth.createPermission('users.manage');
  assert.equal(moth.grantRole({ bundle: 'auditing' }, { permission: 'audit:view' }), true);
  assert.equal(moth.grantRole({ group: 'auditors' }, { bundle: 'auditing' }), true);
  assert.equal(moth.grantRole({ group: 'staff' }, { permission: 'users.manage' }), true);
  assert.equal(moth.grantRole({ user: ann.id }, { bundle: 'editor' }), true);
  assert.equal(moth.grantRole({ user: ann.id }, { permission: 'posts.read' }), true);
  assert.equal(moth.hasAny(ann.id, ['audit:view']), false);
  assert.equal(moth.grantRole({ user: ann.id }, { group: 'auditors' }), true);
  assert.equal(moth.hasAny(ann.id, ['audit:view']), true);
  assert.deepEqual(moth.getUserRoles(ann.id), { permissions: ['posts.read'], bundles: ['editor'], groups: ['auditors', 'staff'] });
  assert.deepEqual(moth.effectivePermissions(ann.id), ['audit:view', 'posts.read', 'posts.write', 'users.manage']);
  assert.deepEqual(moth.groupMembers('staff'), [ann.id]);
  assert.deepEqual(moth.listGroups(), [
    { name: 'auditors', permissions: [], bundles: ['auditing'] },
    { name: 'staff', permissions: ['users.manage'], bundles: ['editor'] },
  ]);
  // Empty lists, and a permission nobody defined.
  assert.equal(moth.hasAll(ann.id, []), true);
  assert.equal(moth.hasAny(ann.id, []), false);
  assert.equal(moth.hasAll(ann.id, ['posts.read', 'no.such']), false);
  assert.equal(moth.hasAny(ann.id, ['no.such', 'posts.read']), true);
  // Refused pairings and unknown ends.
  for (const [holder, item] of [
    [{ group: 'staff' }, { group: 'auditors' }],
    [{ bundle: 'editor' }, { bundle: 'auditing' }],
    [{ bundle: 'editor' }, { group: 'staff' }],
    [{ user: ann.id }, { permission: 'no.such' }],
    [{ group: 'ghosts' }, { permission: 'posts.read' }],
  ]) {
    assert.throws(() => moth.grantRole(holder, item), code('invalid-input'), JSON.stringify([holder, item]));
  }
  assert.throws(() => moth.grantRole({ user: 99 }, { group: 'staff' }), code('no-user'));
  for (const call of [() => moth.getUserRoles(99), () => moth.effectivePermissions(99), () => moth.hasAll(99, []), () => moth.hasAny(99, [])]) {
    assert.throws(call, code('no-user'));
  }
  // Revoking takes only the direct grant.
  assert.equal(moth.revokeRole({ user: ann.id }, { permission: 'posts.read' }), true);
  assert.equal(moth.revokeRole({ user: ann.id }, { permission: 'posts.read' }), false);
  assert.equal(moth.hasAll(ann.id, ['posts.read']), true); // through editor, twice over
  assert.equal(moth.revokeRole({ group: 'staff' }, { permission: 'users.manage' }), true);
  assert.equal(moth.hasAny(ann.id, ['users.manage']), false);
  assert.throws(() => moth.revokeRole({ group: 'staff' }, { group: 'auditors' }), code('invalid-input'));
  // The free-form permissions string is no role.
  assert.equal(moth.getUser(ann.id).permissions, 'free-form, not a role');
});

test('roles: checks by token, and validateWithPermissions', async () => {
  const { moth, ann } = await withRoles();
  moth.grantRole({ user: ann.id }, { group: 'staff' });
  const { token, expires } = moth.login('ann', 'right');
  assert.equal(moth.tokenHasAll(token, ['posts.read', 'posts.write']), true);
  assert.equal(moth.tokenHasAll(token, ['posts.read', 'audit:view']), false);
  assert.equal(moth.tokenHasAll(token, []), true);
  assert.equal(moth.tokenHasAny(token, ['audit:view', 'posts.write']), true);
  assert.equal(moth.tokenHasAny(token, []), false);
  assert.deepEqual(moth.validateWithPermissions(token), {
    validation: { user: ann, expires },
    permissions: ['posts.read', 'posts.write'],
  });
  moth.revokeRole({ user: ann.id }, { group: 'staff' });
  assert.equal(moth.tokenHasAny(token, ['posts.read']), false);
  assert.deepEqual(moth.validateWithPermissions(token).permissions, []);
  for (const call of [
    () => moth.tokenHasAll('moth_nope', []),
    () => moth.tokenHasAny('moth_nope', ['posts.read']),
    () => moth.validateWithPermissions('moth_nope'),
  ]) {
    assert.throws(call, code('invalid-token'));
  }
  moth.logout(token);
  assert.throws(() => moth.tokenHasAll(token, []), code('invalid-token'));
});

test('roles: a superuser holds every defined permission and no undefined one', async () => {
  const { moth, ann } = await withRoles();
  moth.setAccountState(ann.id, { ...enabledState, superuser: true });
  assert.deepEqual(moth.getUserRoles(ann.id), { permissions: [], bundles: [], groups: [] });
  assert.deepEqual(moth.effectivePermissions(ann.id), ['audit:view', 'posts.read', 'posts.write']);
  assert.equal(moth.hasAll(ann.id, ['audit:view', 'posts.read', 'posts.write']), true);
  assert.equal(moth.hasAll(ann.id, ['posts.read', 'no.such']), false);
  assert.equal(moth.hasAny(ann.id, ['no.such']), false);
  assert.equal(moth.hasAny(ann.id, []), false);
  moth.createPermission('users.manage');
  assert.equal(moth.tokenHasAll(moth.login('ann', 'right').token, ['users.manage']), true);
});

test('roles: deleting a permission, bundle, group or user takes it from everywhere at once', async () => {
  const { moth, ann } = await withRoles();
  const bob = moth.createUser('bob', 'pw');
  moth.grantRole({ user: ann.id }, { group: 'staff' });
  moth.grantRole({ user: bob.id }, { group: 'staff' });
  moth.grantRole({ group: 'staff' }, { permission: 'posts.write' });
  moth.grantRole({ user: ann.id }, { permission: 'posts.write' });
  assert.deepEqual(moth.groupMembers('staff'), [ann.id, bob.id]);
  assert.equal(moth.deletePermission('posts.write'), true);
  assert.equal(moth.deletePermission('posts.write'), false);
  assert.deepEqual(moth.listBundles(), [{ name: 'editor', permissions: ['posts.read'] }]);
  assert.deepEqual(moth.listGroups(), [{ name: 'staff', permissions: [], bundles: ['editor'] }]);
  assert.deepEqual(moth.getUserRoles(ann.id), { permissions: [], bundles: [], groups: ['staff'] });
  assert.equal(moth.hasAny(ann.id, ['posts.write']), false);
  assert.throws(() => moth.grantRole({ bundle: 'editor' }, { permission: 'posts.write' }), code('invalid-input'));
  moth.deleteUser(bob.id);
  assert.deepEqual(moth.groupMembers('staff'), [ann.id]);
  assert.equal(moth.deleteBundle('editor'), true);
  assert.equal(moth.deleteBundle('editor'), false);
  assert.deepEqual(moth.listGroups(), [{ name: 'staff', permissions: [], bundles: [] }]);
  assert.deepEqual(moth.effectivePermissions(ann.id), []);
  assert.equal(moth.deleteGroup('staff'), true);
  assert.equal(moth.deleteGroup('staff'), false);
  assert.deepEqual(moth.getUserRoles(ann.id), { permissions: [], bundles: [], groups: [] });
  assert.throws(() => moth.groupMembers('staff'), code('invalid-input'));
  for (const call of [() => moth.deletePermission('Bad'), () => moth.deleteBundle(''), () => moth.deleteGroup('a b')]) {
    assert.throws(call, code('invalid-input'));
  }
});

test('roles: holders, items and permission lists are checked before the component runs', async () => {
  const { moth, ann } = await withRoles();
  for (const holder of [{ users: ann.id }, { user: ann.id, group: 'staff' }, { permission: 'posts.read' }, 'staff', null, {}, { user: -1 }, { user: 1.5 }]) {
    assert.throws(() => moth.grantRole(holder, { group: 'staff' }), code('invalid-input'), JSON.stringify(holder));
    assert.throws(() => moth.revokeRole(holder, { group: 'staff' }), code('invalid-input'), JSON.stringify(holder));
  }
  for (const item of [{ user: ann.id }, { groups: 'staff' }, { group: 'staff', bundle: 'editor' }, 'staff', null]) {
    assert.throws(() => moth.grantRole({ user: ann.id }, item), code('invalid-input'), JSON.stringify(item));
  }
  // A lone string would be taken letter by letter by jco.
  for (const permissions of ['posts.read', null, undefined, [1], new Set(['posts.read'])]) {
    assert.throws(() => moth.hasAll(ann.id, permissions), code('invalid-input'), String(permissions));
    assert.throws(() => moth.tokenHasAny('moth_nope', permissions), code('invalid-input'), String(permissions));
  }
  assert.deepEqual(moth.getUserRoles(ann.id), { permissions: [], bundles: [], groups: [] });
  // A BigInt id is taken as any u64 is.
  assert.equal(moth.grantRole({ user: BigInt(ann.id) }, { group: 'staff' }), true);
  assert.deepEqual(moth.groupMembers('staff'), [ann.id]);
});

test('roles: a trap in a check is recovered from like any other', async () => {
  const store = new MemoryStore();
  const moth = await Moth.open({ store, settings: cheap });
  const ann = moth.createUser('ann', 'pw');
  moth.createPermission('p');
  moth.grantRole({ user: ann.id }, { permission: 'p' });
  misbehaveOnce(store, 'scan', () => {
    throw new Error('the disk caught fire');
  });
  assert.throws(() => moth.effectivePermissions(ann.id), isTrap);
  assert.deepEqual(moth.effectivePermissions(ann.id), ['p']);
});
