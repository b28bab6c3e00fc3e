// AsyncMoth: the same API as Moth, every method returning a Promise, with
// the component and its store owned by a worker thread (src/worker.js), so
// no call blocks the event loop (Argon2 hashing takes tens to hundreds of
// milliseconds a login).
//
// One worker owns the store and runs the calls one at a time, in the
// order they were made; arguments and results cross by structured clone.
// A store object or a clock function cannot cross threads, so AsyncMoth
// takes descriptions of them ({ kind: 'memory' }, { kind: 'file', path },
// { kind: 'manual', at }) and the worker makes them.

import { Worker } from 'node:worker_threads';
import { Moth, MothError } from './index.js';

// Moth's methods, from its prototype: AsyncMoth forwards each by name, so
// a method added to Moth is on AsyncMoth too, without a second copy here.
//
// Read lazily: index.js re-exports this module, so when index.js is
// imported first this module is evaluated before Moth is defined (and a
// read at the top level would throw).
let methodNames;
export function mothMethodNames() {
  methodNames ??= Object.getOwnPropertyNames(Moth.prototype).filter(
    (name) => name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(Moth.prototype, name).value === 'function',
  );
  return methodNames;
}

// A MothError or other error thrown in the worker, as it crosses: a
// MothError's fields, or the error itself (Node clones Error objects).
export function serializeError(e) {
  if (e instanceof MothError) {
    return {
      moth: true,
      code: e.code,
      detail: e.detail,
      retryAfter: e.retryAfter,
      redirectUri: e.redirectUri,
      message: e.message,
      stack: e.stack,
      cause: cloneable(e.cause),
    };
  }
  return { moth: false, error: cloneable(e) };
}

// `v` when it can be structured-cloned, else its text.
function cloneable(v) {
  if (v === undefined) return undefined;
  try {
    structuredClone(v);
    return v;
  } catch {
    return String(v);
  }
}

// The error a serialized one stands for, made on this thread: a MothError
// with the same code, detail, retryAfter, redirectUri and message (its
// stack is this thread's, with the worker's appended).
function reviveError(data) {
  if (!data.moth) return data.error;
  const e = new MothError(data.code, data.detail, data.cause === undefined ? undefined : { cause: data.cause });
  if (data.retryAfter !== undefined) e.retryAfter = data.retryAfter;
  if (data.redirectUri !== undefined) e.redirectUri = data.redirectUri;
  e.message = data.message;
  if (typeof data.stack === 'string' && typeof e.stack === 'string') {
    e.stack += `\n    in the moth worker:\n${data.stack.split('\n').slice(1).join('\n')}`;
  }
  return e;
}

const invalid = (text) => new MothError('invalid-input', text);

// The store and clock descriptions, checked here so a mistake is reported
// before a worker starts.
function storeDescription(store) {
  const hint = 'AsyncMoth takes a store description, { kind: \'memory\' } or { kind: \'file\', path } (a store object cannot cross to the worker thread)';
  if (store === null || typeof store !== 'object' || Array.isArray(store)) throw invalid(hint);
  const { kind, path, faults = false, ...extra } = store;
  if (Object.keys(extra).length) throw invalid(`unknown store description field ${Object.keys(extra)[0]} (kind, path, faults)`);
  if (typeof faults !== 'boolean') throw invalid('store.faults must be a boolean');
  if (kind === 'memory') {
    if (path !== undefined) throw invalid('a memory store takes no path');
    return { kind, faults };
  }
  if (kind === 'file') {
    if (typeof path !== 'string' || path === '') throw invalid('a file store needs a path (a string)');
    return { kind, path, faults };
  }
  throw invalid(hint);
}

function clockDescription(clock) {
  const hint = 'AsyncMoth takes a clock description, { kind: \'system\' } or { kind: \'manual\', at: seconds } (a clock object cannot cross to the worker thread)';
  if (clock === null || typeof clock !== 'object' || Array.isArray(clock)) throw invalid(hint);
  const { kind, at, ...extra } = clock;
  if (Object.keys(extra).length) throw invalid(`unknown clock description field ${Object.keys(extra)[0]} (kind, at)`);
  if (kind === 'system') {
    if (at !== undefined) throw invalid('the system clock takes no at');
    return { kind };
  }
  if (kind === 'manual') {
    if (!Number.isSafeInteger(at) || at < 0) throw invalid('a manual clock needs at: a non-negative integer (Unix seconds)');
    return { kind, at };
  }
  throw invalid(hint);
}

const STORE_FAULTS = ['trap-next', 'fail', null];

const CONSTRUCTING = Symbol('AsyncMoth.open');

let methodsInstalled = false;
let installMethods; // set by AsyncMoth's static block

/**
 * Moth's API with every method returning a Promise, the component and its
 * store owned by a worker thread: no call blocks the event loop. Calls run
 * one at a time in the worker, in the order they were made (so a call made
 * after another sees its effect without awaiting it). Errors are MothErrors
 * as Moth's are (the same code, detail, retryAfter, redirectUri and
 * message); an argument that cannot be structured-cloned (a function)
 * rejects with the DataCloneError.
 *
 * The worker does not keep the process alive while no call is pending;
 * `close()` ends it (and closes a file store).
 */
export class AsyncMoth {
  #worker;
  #clock; // the clock description
  #faults; // whether injectStoreFault is allowed
  #pending = new Map(); // id -> { resolve, reject }
  #nextId = 1;
  #closed = null; // why calls are refused: an Error, once closed or the worker died
  #closing = null; // close()'s promise

  constructor(token, worker, description) {
    if (token !== CONSTRUCTING) throw new TypeError('use AsyncMoth.open');
    this.#worker = worker;
    this.#clock = description.clock;
    this.#faults = description.store.faults;
    worker.on('message', (message) => this.#settle(message));
    worker.on('error', (e) => this.#die(e));
    worker.on('messageerror', (e) => this.#die(e));
    worker.on('exit', (code) => this.#die(new Error(`the moth worker exited (code ${code})`)));
    worker.unref();
  }

  /**
   * Start a worker and open a Moth in it over `store` (default
   * `{ kind: 'memory' }`; `{ kind: 'file', path }` for a FileStore) with
   * `clock` (default `{ kind: 'system' }`; `{ kind: 'manual', at }` for
   * tests, moved by `advanceClock`). `settings`, when given, are stored
   * first, as Moth.open does. A store description with `faults: true`
   * allows `injectStoreFault` (for tests).
   */
  static async open({ store = { kind: 'memory' }, clock = { kind: 'system' }, settings, ...extra } = {}) {
    if (Object.keys(extra).length) throw invalid(`unknown AsyncMoth option ${Object.keys(extra)[0]} (store, clock, settings)`);
    installMethods();
    const description = { store: storeDescription(store), clock: clockDescription(clock), settings };
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: description });
    try {
      await new Promise((resolve, reject) => {
        const done = (f, v) => {
          worker.off('message', onMessage).off('error', onError).off('exit', onExit);
          f(v);
        };
        const onMessage = (m) => (m.ready ? done(resolve) : done(reject, reviveError(m.error)));
        const onError = (e) => done(reject, e);
        const onExit = (code) => done(reject, new Error(`the moth worker exited (code ${code}) while opening`));
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      });
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    return new AsyncMoth(CONSTRUCTING, worker, description);
  }

  // Send `message` to the worker; the promise of its answer.
  #request(message) {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#worker.postMessage({ id, ...message }); // a DataCloneError rejects
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) this.#worker.ref();
    });
  }

  #settle({ id, failed, value, error }) {
    const call = this.#pending.get(id);
    if (!call) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
    if (failed) call.reject(reviveError(error));
    else call.resolve(value);
  }

  // The worker is gone (or broke): refuse every pending and later call.
  #die(reason) {
    this.#closed ??= reason;
    for (const call of this.#pending.values()) call.reject(reason);
    this.#pending.clear();
  }

  // Moth's method `name`, forwarded (installed on the prototype by installMethods).
  static #forward(name) {
    return {
      [name](...args) {
        return this.#request({ op: 'call', name, args });
      },
    }[name];
  }

  static {
    // Called by open (see mothMethodNames for why not here).
    installMethods = () => {
      if (methodsInstalled) return;
      for (const name of mothMethodNames()) {
        if (Object.hasOwn(AsyncMoth.prototype, name)) throw new Error(`AsyncMoth: Moth's method ${name} clashes with AsyncMoth's own`);
        Object.defineProperty(AsyncMoth.prototype, name, { value: AsyncMoth.#forward(name), writable: true, configurable: true });
      }
      methodsInstalled = true;
    };
  }

  /** Move a `{ kind: 'manual' }` clock forward by `seconds` (in order with the calls). */
  advanceClock(seconds) {
    if (this.#clock.kind !== 'manual') return Promise.reject(invalid('advanceClock needs a clock { kind: \'manual\', at }'));
    return this.#request({ op: 'advance-clock', seconds });
  }

  /**
   * For tests, with a store opened with `faults: true`: 'trap-next' makes
   * the store's next call throw something that is not a store-error (so
   * that component call fails with MothError 'component-trap'); 'fail'
   * makes every store call fail with a store-error until `null` clears it.
   */
  injectStoreFault(fault) {
    if (!this.#faults) return Promise.reject(invalid('injectStoreFault needs a store opened with faults: true'));
    if (!STORE_FAULTS.includes(fault)) return Promise.reject(invalid('a store fault is \'trap-next\', \'fail\' or null'));
    return this.#request({ op: 'store-fault', fault });
  }

  /**
   * Finish the calls already made, close the store (a FileStore's log) and
   * end the worker. Later calls reject. Calling it again returns the same
   * promise; after the worker died it only makes sure the thread is gone.
   */
  close() {
    this.#closing ??= (async () => {
      const closed = this.#closed ? Promise.resolve() : this.#request({ op: 'close' });
      this.#closed ??= new Error('this AsyncMoth is closed');
      try {
        await closed;
      } finally {
        await this.#worker.terminate();
      }
    })();
    return this.#closing;
  }
}
