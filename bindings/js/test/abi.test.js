// src/abi.js: the binding's own canonical-ABI glue for the component's
// imports (every call's store, clock and random) and for `validate`. These
// pin what it must keep from jco's glue: the values a store may hand back
// and throw, how validate's results, errors and traps come out, and that
// the memory views follow the guest's memory when it grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Moth, MothError, ManualClock, MemoryStore } from '../src/index.js';

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

const isTrap = (e) => e instanceof MothError && e.code === 'component-trap';

function misbehaveOnce(object, name, misbehave) {
  const real = object[name];
  object[name] = (...args) => {
    object[name] = real;
    return misbehave(real.bind(object), ...args);
  };
}

test('validate: the validation, each error as its MothError, a non-string as a TypeError before the guest runs', async () => {
  const clock = new ManualClock(1_000_000);
  const moth = await Moth.open({ clock, settings: cheap });
  const ann = moth.createUser('ann', 'pw', 'admin read:é✓'); // non-ASCII through TextDecoder
  const session = moth.login('ann', 'pw', 60);
  assert.deepEqual(moth.validate(session.token), { user: ann, expires: 1_000_060 });
  assert.throws(() => moth.validate('moth_not-a-token'), (e) => e instanceof MothError && e.code === 'invalid-token' && e.detail === undefined);
  assert.throws(() => moth.validate(''), (e) => e instanceof MothError && e.code === 'invalid-token');
  assert.throws(() => moth.validate(`${session.token}é`), (e) => e instanceof MothError && e.code === 'invalid-token');
  for (const wrong of [undefined, null, 7, {}, Buffer.from(session.token)]) {
    assert.throws(() => moth.validate(wrong), (e) => e instanceof TypeError && /expected a string/.test(e.message));
  }
  clock.advance(60);
  assert.throws(() => moth.validate(session.token), (e) => e instanceof MothError && e.code === 'token-expired');
  assert.throws(() => moth.validate(session.token), (e) => e instanceof MothError && e.code === 'invalid-token');
});

test('validate: a store-error is the storage MothError (thrown, as a payload, or returned as a result); the instance is kept', async () => {
  const store = new MemoryStore();
  const moth = await Moth.open({ store, settings: cheap });
  const ann = moth.createUser('ann', 'pw');
  const { token } = moth.login('ann', 'pw');
  const forms = [
    () => {
      throw { tag: 'failure', val: 'busy' };
    },
    () => {
      throw Object.assign(new Error('wrapped'), { payload: { tag: 'failure', val: 'busy' } });
    },
    () => ({ tag: 'err', val: { tag: 'failure', val: 'busy' } }),
  ];
  for (const form of forms) {
    misbehaveOnce(store, 'get', form);
    assert.throws(() => moth.validate(token), (e) => e instanceof MothError && e.code === 'storage' && /busy/.test(e.detail));
    assert.deepEqual(moth.validate(token).user, ann);
  }
});

test('validate: a trap (a store throwing an Error, a core trap, a malformed value) is component-trap, and the next call works', async () => {
  const store = new MemoryStore();
  const clock = new ManualClock(1_000_000);
  const moth = await Moth.open({ store, clock, settings: cheap });
  const ann = moth.createUser('ann', 'pw');
  const { token } = moth.login('ann', 'pw');
  const boom = new Error('the disk caught fire');
  misbehaveOnce(store, 'get', () => {
    throw boom;
  });
  assert.throws(() => moth.validate(token), (e) => isTrap(e) && e.cause === boom && e.message === 'component-trap: validate: the disk caught fire');
  assert.deepEqual(moth.validate(token).user, ann);
  misbehaveOnce(clock, 'now', () => {
    throw new WebAssembly.RuntimeError('unreachable');
  });
  // jco's wasmtime-style text for a core trap, as through its own glue.
  assert.throws(() => moth.validate(token), (e) => isTrap(e) && e.message === 'component-trap: validate: wasm trap: wasm `unreachable` instruction executed');
  assert.deepEqual(moth.validate(token).user, ann);
  // (jco's glue lowered a string as an empty list, garbage the guest then
  // refused as corrupt data; src/abi.js refuses it, trapping the call.)
  for (const malformed of [42, 'bytes', { tag: 'bogus' }, [1, 2, 256]]) {
    misbehaveOnce(store, 'get', () => malformed);
    assert.throws(() => moth.validate(token), isTrap, `get returning ${JSON.stringify(malformed)}`);
    assert.deepEqual(moth.validate(token).user, ann);
  }
});

test('a store may hand back bytes as any typed array, ArrayBuffer or Array of numbers, and results as { tag, val }, as through jco', async () => {
  const inner = new MemoryStore();
  const forms = [
    (v) => v, // Uint8Array
    (v) => Buffer.from(v),
    (v) => v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength),
    (v) => new DataView(v.buffer, v.byteOffset, v.byteLength),
    (v) => Array.from(v),
  ];
  let round = 0;
  const form = (v) => (v === undefined ? v : forms[round++ % forms.length](v));
  const store = {
    get: (key) => (round % 2 ? { tag: 'ok', val: form(inner.get(key)) } : form(inner.get(key))),
    scan: (start, end, limit) => {
      const entries = inner.scan(start, end, limit).map(({ key, value }) => ({ key: form(key), value: form(value) }));
      return round++ % 2 ? { tag: 'ok', val: entries } : entries;
    },
    commit: (guards, writes) => {
      for (const g of [...guards, ...writes]) assert.ok(g.key instanceof Uint8Array);
      inner.commit(guards, writes);
      return round++ % 2 ? { tag: 'ok', val: undefined } : undefined;
    },
  };
  const moth = await Moth.open({ store, settings: cheap });
  const ann = moth.createUser('ann', 'pw', 'admin');
  const bob = moth.createUser('bob', 'pw');
  for (let i = 0; i < 6; i++) {
    const { token } = moth.login('ann', 'pw');
    assert.deepEqual(moth.validate(token).user, ann);
  }
  assert.deepEqual(moth.listUsers().users, [ann, bob]);
  assert.equal(moth.countTokens(ann.id), 6);
  assert.equal(moth.deleteTokens(ann.id), 6);
});

test('a commit conflict returned as a result is a conflict, as thrown', async () => {
  const store = new MemoryStore();
  const moth = await Moth.open({ store, settings: cheap });
  moth.createUser('ann', 'pw');
  const sawConflicts = [];
  for (const conflict of [
    () => {
      throw { tag: 'conflict' };
    },
    () => ({ tag: 'err', val: { tag: 'conflict' } }),
  ]) {
    // Every commit conflicts: the component retries, then gives up with an error (not a trap).
    const real = store.commit;
    store.commit = conflict;
    const e = (() => {
      try {
        moth.createUser('bob', 'pw');
      } catch (error) {
        return error;
      }
    })();
    store.commit = real;
    assert.ok(e instanceof MothError && !isTrap(e), String(e));
    sawConflicts.push(e.code);
  }
  assert.equal(sawConflicts[0], sawConflicts[1]);
  assert.equal(moth.createUser('bob', 'pw').id, 2);
});

test('validate keeps working when the guest memory grows between and during calls', async () => {
  const store = new MemoryStore();
  const moth = await Moth.open({ store, settings: cheap });
  const ann = moth.createUser('ann', 'pw');
  const before = moth.login('ann', 'pw');
  assert.deepEqual(moth.validate(before.token).user, ann);
  // Argon2 with 32 MiB grows the guest's memory (detaching every view of it).
  moth.setSettings({ ...cheap, argon2MemoryKib: 32768 });
  const after = moth.login('ann', 'pw');
  assert.deepEqual(moth.validate(before.token).user, ann);
  assert.deepEqual(moth.validate(after.token).user, ann);
  // A store handing back a large value makes the lowering itself allocate
  // (and maybe grow); the guest refuses the garbage, without a trap.
  const big = new Uint8Array(8 << 20).fill(7);
  misbehaveOnce(store, 'get', () => big);
  assert.throws(() => moth.validate(after.token), (e) => e instanceof MothError);
  assert.deepEqual(moth.validate(after.token).user, ann);
});
