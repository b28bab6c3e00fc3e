import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Moth, MothError, FileStore, ManualClock } from '../src/index.js';

const cheap = { argon2MemoryKib: 8, argon2Iterations: 1, argon2Parallelism: 1, defaultTokenLifetime: 3600 };

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
  assert.deepEqual(defaults, { argon2MemoryKib: 19456, argon2Iterations: 2, argon2Parallelism: 1, defaultTokenLifetime: 259200 });
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
