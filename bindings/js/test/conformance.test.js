// The shared scenario (tests/conformance/scenario.json) through Node's
// synchronous Moth (test/async.test.js runs it through AsyncMoth).
import { test } from 'node:test';
import { Moth, ManualClock, MemoryStore } from '../src/index.js';
import { FaultyStore } from '../src/stores.js';
import { scenario, fromScenario, runScenario } from '../test-support/scenario.js';

test('the shared scenario passes through the Node host', async () => {
  const clock = new ManualClock(scenario.clock);
  const store = new FaultyStore(new MemoryStore());
  const moth = await Moth.open({ store, clock, settings: fromScenario(scenario.settings) });
  await runScenario(moth, {
    advanceClock: (seconds) => clock.advance(seconds),
    trapStore: () => void (store.fault = 'trap-next'),
    failStore: () => void (store.fault = 'fail'),
  });
});
