// The shared scenario (tests/conformance/scenario.json) through Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Moth, MothError, ManualClock, MemoryStore } from '../src/index.js';

const scenario = JSON.parse(readFileSync(new URL('../../../tests/conformance/scenario.json', import.meta.url), 'utf8'));

// Scenario values use WIT's kebab-case field names; Node values camelCase.
const camel = (k) => k.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());
const kebab = (k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
function renameKeys(v, rename) {
  if (Array.isArray(v)) return v.map((x) => renameKeys(x, rename));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [rename(k), renameKeys(x, rename)]));
  return v;
}
const fromScenario = (v) => renameKeys(v, camel);
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
    case 'sweep': return moth.sweep(a.limit);
    case 'get-settings': return moth.getSettings();
    case 'set-settings': return moth.setSettings(fromScenario(a.settings));
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
  if (typeof v === 'string' && v.startsWith('$')) return saved[v.slice(1)];
  if (Array.isArray(v)) return v.map((x) => substitute(x, saved));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, saved)]));
  return v;
}

// The scenario's store: a MemoryStore that the harness steps break.
class HarnessStore {
  constructor() {
    this.inner = new MemoryStore();
    this.trapNext = false; // trap-store: the next call throws (not a store-error), trapping the component
    this.failing = false; // fail-store: every call fails with a store-error `failure`
  }
  #enter() {
    if (this.trapNext) {
      this.trapNext = false;
      throw new Error('the store was asked to trap this call');
    }
    if (this.failing) throw { tag: 'failure', val: 'store taken away' };
  }
  get(key) {
    this.#enter();
    return this.inner.get(key);
  }
  scan(start, end, limit) {
    this.#enter();
    return this.inner.scan(start, end, limit);
  }
  commit(guards, writes) {
    this.#enter();
    return this.inner.commit(guards, writes);
  }
}

// The scenario's error name for a MothError: 'trap' when the component trapped.
const errorName = (e) => (e.code === 'component-trap' ? 'trap' : e.code);

test('the shared scenario passes through the Node host', async () => {
  const clock = new ManualClock(scenario.clock);
  const store = new HarnessStore();
  const moth = await Moth.open({ store, clock, settings: fromScenario(scenario.settings) });
  const saved = {};
  scenario.steps.forEach((step, i) => {
    const args = substitute(step.args, saved);
    if (step.op === 'advance-clock') return clock.advance(args.seconds);
    if (step.op === 'trap-store') return void (store.trapNext = true);
    if (step.op === 'fail-store') return void (store.failing = true);
    let got;
    let err;
    try {
      got = toScenario(call(moth, step.op, args));
    } catch (e) {
      if (!(e instanceof MothError)) throw e;
      err = e;
    }
    if ('error' in step.expect) {
      assert.equal(err && errorName(err), step.expect.error, `step ${i} ${step.op}: got ${JSON.stringify(got)} ${err}`);
    } else {
      assert.equal(err, undefined, `step ${i} ${step.op}: ${err}`);
      assert.ok(matches(step.expect.ok, got), `step ${i} ${step.op}: ${JSON.stringify(got)} vs ${JSON.stringify(step.expect.ok)}`);
      if (step.save) saved[step.save] = got.token;
    }
  });
});
