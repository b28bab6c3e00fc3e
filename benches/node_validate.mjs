#!/usr/bin/env node
// Per-call cost of the Node binding's hot paths (bindings/js).
//
//   node benches/node_validate.mjs            # a few seconds
//   N=20000 node benches/node_validate.mjs    # more calls per round
//
// Opens a Moth over the in-memory store (cheapest hashing: login is set
// up, not measured), creates a user, logs in, then times N calls of:
//
//   validate          a live session token (the hot path)
//   validate-invalid  a malformed token, refused with MothError
//                     'invalid-token' (the error path: a WIT error variant
//                     thrown as a MothError)
//   hasAny            a cheap check with a list argument and a bool result,
//                     through jco's generated export (the path of every
//                     export but validate; see bindings/js/src/abi.js)
//
// and prints microseconds per call (the best of ROUNDS rounds of N calls,
// so a GC or another process taking the CPU for a moment does not count).
// It prints figures and asserts nothing about them; it does check that the
// calls answer correctly.
//
// Uses the binding in bindings/js (not an installed one), so it measures
// the working tree; MOTH_BINDING=<dir holding src/index.js> measures another
// copy (e.g. an older build, for a before/after on the same machine).

import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const N = Number(process.env.N ?? 5000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

const binding = process.env.MOTH_BINDING ?? new URL('../bindings/js/', import.meta.url).pathname;
const { Moth, MemoryStore, MothError } = await import(pathToFileURL(resolve(binding, 'src/index.js')).href);

// Best of ROUNDS rounds of n calls, in µs per call.
function perCallUs(f, n = N) {
  for (let i = 0; i < Math.min(n, 2000); i++) f(); // warm up (JIT)
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f();
    const ns = Number(process.hrtime.bigint() - t0);
    best = Math.min(best, ns);
  }
  return best / n / 1000;
}

const moth = await Moth.open({ store: new MemoryStore() });
moth.setSettings({ ...moth.getSettings(), allowWeakHashing: true, argon2MemoryKib: 8, argon2Iterations: 1, argon2Parallelism: 1 });
const ann = moth.createUser('ann', 'correct horse battery', 'admin');
const { token } = moth.login('ann', 'correct horse battery');
moth.createPermission('posts.read');
moth.grantRole({ user: ann.id }, { permission: 'posts.read' });

// The answers, checked once before timing.
assert.deepEqual(moth.validate(token).user, ann);
const invalid = 'mothv_not-a-token';
const refused = (() => {
  try {
    moth.validate(invalid);
  } catch (e) {
    return e;
  }
})();
assert.ok(refused instanceof MothError && refused.code === 'invalid-token', String(refused));
assert.equal(moth.hasAny(ann.id, ['posts.write', 'posts.read']), true);

const rows = [
  ['validate', () => moth.validate(token)],
  [
    'validate-invalid',
    () => {
      try {
        moth.validate(invalid);
      } catch (e) {
        if (e.code !== 'invalid-token') throw e;
      }
    },
  ],
  ['hasAny', () => moth.hasAny(ann.id, ['posts.write', 'posts.read'])],
];

console.log(`node ${process.version}, ${N} calls per round, best of ${ROUNDS} rounds, memory store (${binding})`);
for (const [label, f] of rows) {
  console.log(`${label.padEnd(18)} ${perCallUs(f).toFixed(2).padStart(7)} µs/call`);
}
