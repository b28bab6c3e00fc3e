// AsyncMoth: Moth's API as Promises, the component and its store in a
// worker thread.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncMoth, Moth, MothError, ManualClock } from '../src/index.js';
import { scenario, fromScenario, runScenario } from '../test-support/scenario.js';

const PASSWORD = 'correct horse battery staple';
const FAST = { allowWeakHashing: true, argon2MemoryKib: 8, argon2Iterations: 1 };
const NOW = 1_700_000_000;

// An AsyncMoth with cheap hashing (and a manual clock unless told otherwise).
async function openFast(options = {}) {
  const moth = await AsyncMoth.open({ clock: { kind: 'manual', at: NOW }, ...options });
  await moth.setSettings({ ...(await moth.getSettings()), ...FAST });
  return moth;
}

// What a MothError carries across, for comparing.
const fields = (e) => ({ name: e.name, code: e.code, detail: e.detail, retryAfter: e.retryAfter, message: e.message });

test('the shared scenario passes through AsyncMoth', async () => {
  const moth = await AsyncMoth.open({
    store: { kind: 'memory', faults: true },
    clock: { kind: 'manual', at: scenario.clock },
    settings: fromScenario(scenario.settings),
  });
  try {
    await runScenario(moth, {
      advanceClock: (seconds) => moth.advanceClock(seconds),
      trapStore: () => moth.injectStoreFault('trap-next'),
      failStore: () => moth.injectStoreFault('fail'),
    });
  } finally {
    await moth.close();
  }
});

test('timers keep firing on the main thread during a burst of logins', async (t) => {
  const burst = 8;
  // The default settings: Argon2id at 19 MiB, 2 passes (a login takes
  // about 150 ms of CPU).
  const moth = await AsyncMoth.open();
  let asyncTicks;
  try {
    await moth.createUser('ann', PASSWORD);
    let ticks = 0;
    const interval = setInterval(() => ticks++, 5);
    try {
      const logins = Array.from({ length: burst }, () => moth.login('ann', PASSWORD));
      const before = ticks;
      const sessions = await Promise.all(logins);
      asyncTicks = ticks - before;
      assert.equal(new Set(sessions.map((s) => s.token)).size, burst);
    } finally {
      clearInterval(interval);
    }
    assert.ok(asyncTicks > 0, `no interval tick while ${burst} logins were pending`);
  } finally {
    await moth.close();
  }

  // The contrast, reported but not asserted: the same burst through the
  // synchronous Moth holds the event loop from the first login to the
  // last, so no tick can fire in between (0 every time).
  const sync = await Moth.open();
  sync.createUser('ann', PASSWORD);
  let ticks = 0;
  const interval = setInterval(() => ticks++, 5);
  const before = ticks;
  for (let i = 0; i < burst; i++) sync.login('ann', PASSWORD);
  const syncTicks = ticks - before;
  clearInterval(interval);
  t.diagnostic(`interval ticks (every 5 ms) during ${burst} default-cost logins: AsyncMoth ${asyncTicks}, Moth ${syncTicks}`);
});

test('AsyncMoth has every method of Moth, each returning a Promise', async () => {
  const names = Object.getOwnPropertyNames(Moth.prototype).filter((n) => n !== 'constructor');
  assert.ok(names.length > 50, names.join());
  const moth = await openFast();
  try {
    for (const name of names) assert.equal(typeof moth[name], 'function', name);
    const pending = moth.countTokens(1);
    assert.ok(pending instanceof Promise);
    await assert.rejects(pending, { code: 'no-user' });
  } finally {
    await moth.close();
  }
});

test('errors come back as MothErrors like the sync ones, and later calls work', async () => {
  const settings = { lockoutThreshold: 2, lockoutDuration: 60 };
  const moth = await openFast();
  const sync = await Moth.open({ clock: new ManualClock(NOW) });
  sync.setSettings({ ...sync.getSettings(), ...FAST, ...settings });
  try {
    await moth.setSettings({ ...(await moth.getSettings()), ...settings });
    // Each failure through both, compared field by field.
    const failures = [
      ['login', ['nobody', PASSWORD]],
      ['createUser', ['ann', PASSWORD]], // user-exists: the first createUser is below
      ['login', ['ann', 'wrong']],
      ['loginFrom', ['ann', 'wrong', null, { source: '203.0.113.9' }]],
      ['loginFrom', ['ann', PASSWORD, null, { source: '203.0.113.9' }]], // locked-out, with retryAfter
      ['getUser', [-1]], // invalid-input, with a detail
      ['setSettings', [{ minPasswordLength: 1 }]], // invalid-input, from the JS side of Moth
    ];
    assert.deepEqual(await moth.createUser('ann', PASSWORD), sync.createUser('ann', PASSWORD));
    for (const [name, args] of failures) {
      let expected;
      try {
        sync[name](...args);
      } catch (e) {
        expected = e;
      }
      assert.ok(expected instanceof MothError, `${name}: the sync call did not fail`);
      const error = await moth[name](...args).then(
        (v) => assert.fail(`${name} resolved ${JSON.stringify(v)}`),
        (e) => e,
      );
      assert.ok(error instanceof MothError, `${name}: ${error}`);
      assert.deepEqual(fields(error), fields(expected), name);
    }
    const locked = await moth.login('ann', PASSWORD).catch((e) => e);
    assert.equal(locked.code, 'locked-out');
    assert.equal(locked.retryAfter, 60);
    assert.equal(locked.message, 'locked-out: retry in 60 seconds');

    // After the failures, calls work (and the clock moves in order with them).
    await moth.advanceClock(61);
    const session = await moth.login('ann', PASSWORD);
    assert.deepEqual((await moth.validate(session.token)).user, { id: 1, username: 'ann', permissions: '' });

    // An argument that cannot cross to the worker rejects (no throw); the next call works.
    const uncloneable = moth.getUser(() => 1);
    assert.ok(uncloneable instanceof Promise);
    await assert.rejects(uncloneable, { name: 'DataCloneError' });
    assert.equal((await moth.getUser(1)).username, 'ann');
  } finally {
    await moth.close();
  }
});

test('a trap in the worker is MothError component-trap, and the next call works', async () => {
  const moth = await openFast({ store: { kind: 'memory', faults: true } });
  try {
    await moth.createUser('ann', PASSWORD);
    await moth.injectStoreFault('trap-next');
    const trapped = await moth.getUser(1).catch((e) => e);
    assert.ok(trapped instanceof MothError);
    assert.equal(trapped.code, 'component-trap');
    assert.match(trapped.message, /^component-trap: getUser: the store was told to trap this call/);
    assert.equal(trapped.cause.message, 'the store was told to trap this call');
    assert.equal((await moth.getUser(1)).username, 'ann');

    await moth.injectStoreFault('fail');
    await assert.rejects(moth.getUser(1), { code: 'storage' });
    await moth.injectStoreFault(null);
    assert.equal((await moth.getUser(1)).username, 'ann');
  } finally {
    await moth.close();
  }
  // Without faults: true, no fault can be injected.
  const plain = await openFast();
  try {
    await assert.rejects(plain.injectStoreFault('fail'), { code: 'invalid-input' });
  } finally {
    await plain.close();
  }
});

test('calls run in the order they were made, without awaiting each', async () => {
  const moth = await openFast();
  try {
    const created = moth.createUser('ann', PASSWORD);
    const session = moth.login('ann', PASSWORD, 10); // needs the user
    const advanced = moth.advanceClock(11);
    const swept = moth.sweep(); // sees the clock moved past the session's expiry
    const deleted = moth.deleteUser(1);
    const gone = moth.getUser(1);
    assert.equal((await created).id, 1);
    assert.equal((await session).expires, NOW + 10);
    await advanced;
    assert.equal((await swept).deleted, 1);
    await deleted;
    await assert.rejects(gone, { code: 'no-user' });
  } finally {
    await moth.close();
  }
});

test('open refuses a store or clock object, and reports a failed open', async () => {
  const { MemoryStore } = await import('../src/index.js');
  await assert.rejects(AsyncMoth.open({ store: new MemoryStore() }), { code: 'invalid-input', message: /store description/ });
  await assert.rejects(AsyncMoth.open({ clock: new ManualClock(NOW) }), { code: 'invalid-input', message: /clock description/ });
  await assert.rejects(AsyncMoth.open({ store: { kind: 'file' } }), { code: 'invalid-input' });
  await assert.rejects(AsyncMoth.open({ stores: { kind: 'memory' } }), { code: 'invalid-input' });
  // Settings missing a field fail in the worker, as Moth.open's do.
  await assert.rejects(AsyncMoth.open({ settings: { minPasswordLength: 1 } }), (e) => e instanceof MothError && e.code === 'invalid-input');
  await assert.rejects(openFast({ clock: { kind: 'system' } }).then((m) => m.advanceClock(1).finally(() => m.close())), {
    code: 'invalid-input',
  });
});

test('close() flushes and closes a file store; later calls reject', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'moth-async-'));
  const path = join(dir, 'moth.log');
  try {
    const moth = await openFast({ store: { kind: 'file', path } });
    const ann = await moth.createUser('ann', PASSWORD, 'admin');
    const pending = moth.getUser(ann.id); // made before close: answered
    const closing = moth.close();
    assert.equal(moth.close(), closing);
    await assert.rejects(moth.getUser(ann.id), /closed/);
    assert.deepEqual(await pending, ann);
    await closing;
    await assert.rejects(moth.getUser(ann.id), /closed/);

    // The log has the user: reopen it, through AsyncMoth and through Moth.
    const again = await AsyncMoth.open({ store: { kind: 'file', path } });
    try {
      assert.deepEqual(await again.getUser(ann.id), ann);
    } finally {
      await again.close();
    }
    const { FileStore } = await import('../src/index.js');
    const store = new FileStore(path);
    try {
      assert.deepEqual((await Moth.open({ store })).getUser(ann.id), ann);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
