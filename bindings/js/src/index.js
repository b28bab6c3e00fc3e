// moth for Node: the moth:auth component, transpiled by jco, behind a small
// idiomatic API. Ids, counts and times are Numbers (Unix seconds); the
// component's u64s are BigInts underneath.

import { readFile } from 'node:fs/promises';
import { webcrypto } from 'node:crypto';
import { instantiate } from '../generated/moth.js';
import { MemoryStore, FileStore } from './stores.js';

export { MemoryStore, FileStore };

/** An error from moth; `code` is the WIT error case, e.g. 'no-user'. */
export class MothError extends Error {
  constructor(code, detail) {
    super(detail ? `${code}: ${detail}` : code);
    this.name = 'MothError';
    this.code = code;
    this.detail = detail;
  }
}

/** The system clock. */
export const systemClock = {
  now() {
    const ms = Date.now();
    return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
  },
  resolution() {
    return { seconds: 0n, nanoseconds: 1_000_000 };
  },
};

/** A clock that moves only when told to (for tests). */
export class ManualClock {
  constructor(seconds) {
    this.seconds = BigInt(seconds);
  }
  advance(seconds) {
    this.seconds += BigInt(seconds);
  }
  now() {
    return { seconds: this.seconds, nanoseconds: 0 };
  }
  resolution() {
    return { seconds: 1n, nanoseconds: 0 };
  }
}

const secureRandom = {
  getRandomBytes(len) {
    const out = new Uint8Array(Number(len));
    for (let i = 0; i < out.length; i += 65536) webcrypto.getRandomValues(out.subarray(i, i + 65536));
    return out;
  },
  getRandomU64() {
    return new BigUint64Array(webcrypto.getRandomValues(new BigUint64Array(1)).buffer)[0];
  },
};

const generated = new URL('../generated/', import.meta.url);

function big(n, what) {
  if (typeof n === 'bigint') return n;
  if (!Number.isSafeInteger(n) || n < 0) throw new MothError('invalid-input', `${what} must be a non-negative integer`);
  return BigInt(n);
}

const user = (u) => ({ id: Number(u.id), username: u.username, permissions: u.permissions });

export class Moth {
  #users;

  constructor(users) {
    this.#users = users;
  }

  /**
   * Load the component over `store` (a MemoryStore, a FileStore, or any
   * object with get/scan/commit). `clock` is for tests.
   */
  static async open({ store = new MemoryStore(), clock = systemClock, settings } = {}) {
    // jco destructures the import objects, so methods are bound here (and
    // looked up per call, so a store may swap its methods later).
    const imports = {
      'moth:auth/store': {
        get: (key) => store.get(key),
        scan: (start, end, limit) => store.scan(start, end, limit),
        commit: (guards, writes) => store.commit(guards, writes),
      },
      'wasi:clocks/wall-clock': { now: () => clock.now(), resolution: () => clock.resolution() },
      'wasi:random/random': secureRandom,
    };
    const root = await instantiate(
      async (path) => WebAssembly.compile(await readFile(new URL(path, generated))),
      imports,
    );
    const moth = new Moth(root.users);
    if (settings) moth.setSettings(settings);
    return moth;
  }

  #call(f) {
    try {
      return f(this.#users);
    } catch (e) {
      if (e && e.payload && typeof e.payload.tag === 'string') throw new MothError(e.payload.tag, e.payload.val);
      throw e;
    }
  }

  createUser(username, password, permissions = '') {
    return user(this.#call((u) => u.createUser(username, password, permissions)));
  }
  deleteUser(id) {
    this.#call((u) => u.deleteUser(big(id, 'id')));
  }
  getUser(id) {
    return user(this.#call((u) => u.getUser(big(id, 'id'))));
  }
  listUsers({ after, limit = 100 } = {}) {
    const page = this.#call((u) => u.listUsers(after === undefined || after === null ? undefined : big(after, 'after'), limit));
    return { users: page.users.map(user), next: page.next === undefined ? null : Number(page.next) };
  }
  setPassword(id, password) {
    this.#call((u) => u.setPassword(big(id, 'id'), password));
  }
  setPermissions(id, permissions) {
    this.#call((u) => u.setPermissions(big(id, 'id'), permissions));
  }
  checkPassword(username, password) {
    return this.#call((u) => u.checkPassword(username, password));
  }
  login(username, password, lifetime) {
    const lt = lifetime === undefined || lifetime === null ? undefined : big(lifetime, 'lifetime');
    const s = this.#call((u) => u.login(username, password, lt));
    return { token: s.token, user: user(s.user), expires: Number(s.expires) };
  }
  validate(token) {
    const v = this.#call((u) => u.validate(token));
    return { user: user(v.user), expires: Number(v.expires) };
  }
  logout(token) {
    this.#call((u) => u.logout(token));
  }
  countTokens(id) {
    return Number(this.#call((u) => u.countTokens(big(id, 'id'))));
  }
  deleteTokens(id) {
    return Number(this.#call((u) => u.deleteTokens(big(id, 'id'))));
  }
  sweep(limit = 1000) {
    return Number(this.#call((u) => u.sweep(limit)));
  }
  getSettings() {
    const s = this.#call((u) => u.getSettings());
    return { ...s, defaultTokenLifetime: Number(s.defaultTokenLifetime) };
  }
  setSettings(s) {
    this.#call((u) => u.setSettings({ ...s, defaultTokenLifetime: big(s.defaultTokenLifetime, 'defaultTokenLifetime') }));
  }
}
