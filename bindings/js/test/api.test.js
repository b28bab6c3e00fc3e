import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, appendFileSync, closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Moth, MothError, FileStore, ManualClock, MemoryStore } from '../src/index.js';

const cheap = { argon2MemoryKib: 8, argon2Iterations: 1, argon2Parallelism: 1, defaultTokenLifetime: 3600, allowWeakHashing: true };

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
  assert.deepEqual(defaults, { argon2MemoryKib: 19456, argon2Iterations: 2, argon2Parallelism: 1, defaultTokenLifetime: 259200, allowWeakHashing: false });
  moth.setSettings({ ...defaults, defaultTokenLifetime: 60 });
  assert.deepEqual(moth.getSettings(), { ...defaults, defaultTokenLifetime: 60 });
});

test('sweep reports what it deleted and when the next token expires', async () => {
  const clock = new ManualClock(1_000_000);
  const moth = await Moth.open({ clock, settings: cheap });
  assert.deepEqual(moth.sweep(), { deleted: 0, nextExpiry: null });
  moth.createUser('ann', 'pw');
  moth.login('ann', 'pw', 10);
  moth.login('ann', 'pw', 20);
  clock.advance(10);
  assert.deepEqual(moth.sweep(), { deleted: 1, nextExpiry: 1_000_020 });
  clock.advance(10);
  assert.deepEqual(moth.sweep(), { deleted: 1, nextExpiry: null });
});
