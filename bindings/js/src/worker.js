// The worker thread behind AsyncMoth (src/async.js): it opens a Moth over
// the store and clock it is told about, then answers each message in the
// order they come, one at a time (every Moth method is synchronous, so a
// call runs whole before the next message is read).

import { parentPort, workerData } from 'node:worker_threads';
import { Moth, ManualClock, systemClock, MemoryStore, FileStore, MothError } from './index.js';
import { FaultyStore } from './stores.js';
import { mothMethodNames, serializeError } from './async.js';

const methods = new Set(mothMethodNames());

async function open({ store: storeSpec, clock: clockSpec, settings }) {
  const inner = storeSpec.kind === 'file' ? new FileStore(storeSpec.path) : new MemoryStore();
  const store = storeSpec.faults ? new FaultyStore(inner) : inner;
  const clock = clockSpec.kind === 'manual' ? new ManualClock(clockSpec.at) : systemClock;
  try {
    return { moth: await Moth.open({ store, clock, settings }), inner, store, clock };
  } catch (e) {
    if (inner instanceof FileStore) inner.close();
    throw e;
  }
}

// What the message asks of `state`, done.
function answer(state, message) {
  switch (message.op) {
    case 'call':
      if (!methods.has(message.name)) throw new MothError('invalid-input', `Moth has no method ${message.name}`);
      return state.moth[message.name](...message.args);
    case 'advance-clock':
      return void state.clock.advance(message.seconds);
    case 'store-fault':
      return void (state.store.fault = message.fault);
    case 'close':
      if (state.inner instanceof FileStore) state.inner.close();
      return undefined;
    default:
      throw new Error(`unknown AsyncMoth message ${message.op}`);
  }
}

let state;
try {
  state = await open(workerData);
} catch (e) {
  parentPort.postMessage({ ready: false, error: serializeError(e) });
}

if (state) {
  parentPort.on('message', (message) => {
    let reply;
    try {
      reply = { id: message.id, failed: false, value: answer(state, message) };
    } catch (e) {
      reply = { id: message.id, failed: true, error: serializeError(e) };
    }
    try {
      parentPort.postMessage(reply);
    } catch (e) {
      parentPort.postMessage({ id: message.id, failed: true, error: serializeError(e) });
    }
  });
  parentPort.postMessage({ ready: true });
}
