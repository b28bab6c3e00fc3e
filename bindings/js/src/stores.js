// Stores for the component's `moth:auth/store` import. Both honour the
// contract: ordered keys (unsigned bytes), and a commit that applies every
// write iff every guard holds, atomically.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

function compare(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

function equalBytes(a, b) {
  if (a === undefined || b === undefined) return a === b;
  return compare(a, b) === 0;
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));

/** An in-memory store: a sorted array of keys and a map of values. */
export class MemoryStore {
  constructor() {
    this.keys = []; // sorted Uint8Array keys
    this.values = new Map(); // hex(key) -> Uint8Array
  }

  #position(key) {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.keys[mid], key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(key) {
    return this.values.get(hex(key));
  }

  scan(start, end, limit) {
    const out = [];
    for (let i = this.#position(start); i < this.keys.length && out.length < limit; i++) {
      const key = this.keys[i];
      if (compare(key, end) >= 0) break;
      out.push({ key, value: this.values.get(hex(key)) });
    }
    return out;
  }

  commit(guards, writes) {
    for (const g of guards) {
      if (!equalBytes(this.get(g.key), g.expect)) throw { tag: 'conflict' };
    }
    this.apply(writes);
  }

  /** Apply writes without guards (also used when replaying a log). */
  apply(writes) {
    for (const w of writes) {
      const k = hex(w.key);
      const present = this.values.has(k);
      if (w.value === undefined) {
        if (present) {
          this.values.delete(k);
          this.keys.splice(this.#position(w.key), 1);
        }
      } else {
        if (!present) this.keys.splice(this.#position(w.key), 0, new Uint8Array(w.key));
        this.values.set(k, new Uint8Array(w.value));
      }
    }
  }
}

/**
 * A durable store: the in-memory store plus an append-only log file. Each
 * commit is one line, written and fsynced before the commit returns; a line
 * cut short by a crash is ignored when the log is replayed at open.
 */
export class FileStore extends MemoryStore {
  constructor(path) {
    super();
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (!line) continue;
        let writes;
        try {
          writes = JSON.parse(line);
        } catch {
          break; // the torn tail of a crash: never acknowledged
        }
        this.apply(writes.map(([k, v]) => ({ key: unhex(k), value: v === null ? undefined : unhex(v) })));
      }
    }
    this.fd = openSync(path, 'a');
  }

  commit(guards, writes) {
    for (const g of guards) {
      if (!equalBytes(this.get(g.key), g.expect)) throw { tag: 'conflict' };
    }
    if (writes.length === 0) return;
    const line = JSON.stringify(writes.map((w) => [hex(w.key), w.value === undefined ? null : hex(w.value)]));
    try {
      writeSync(this.fd, line + '\n');
      fsyncSync(this.fd);
    } catch (e) {
      throw { tag: 'failure', val: String(e) };
    }
    this.apply(writes);
  }

  close() {
    closeSync(this.fd);
  }
}
