// The shared scenario (tests/conformance/scenario.json) through Node's
// synchronous Moth (test/async.test.js runs it through AsyncMoth).
import { test } from 'node:test';
import { Moth, ManualClock, MemoryStore } from '../src/index.js';
import { scenario, fromScenario, runScenario } from '../test-support/scenario.js';

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

test('the shared scenario passes through the Node host', async () => {
  const clock = new ManualClock(scenario.clock);
  const store = new HarnessStore();
  const moth = await Moth.open({ store, clock, settings: fromScenario(scenario.settings) });
  await runScenario(moth, {
    advanceClock: (seconds) => clock.advance(seconds),
    trapStore: () => void (store.trapNext = true),
    failStore: () => void (store.failing = true),
  });
});
