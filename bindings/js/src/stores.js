// Stores for the component's `moth:auth/store` import. Both honour the
// contract: ordered keys (unsigned bytes), and a commit that applies every
// write iff every guard holds, atomically.

import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';

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

// One commit as a log line: JSON [[hex key, hex value or null], ...].
function encodeRecord(writes) {
  return JSON.stringify(writes.map((w) => [hex(w.key), w.value === undefined ? null : hex(w.value)]));
}

const HEX = /^(?:[0-9a-f]{2})*$/;

// The writes of one log line, or undefined when it is not a whole record.
function decodeRecord(line) {
  let pairs;
  try {
    pairs = JSON.parse(line);
  } catch {
    return undefined;
  }
  const valid =
    Array.isArray(pairs) &&
    pairs.every(
      (p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && HEX.test(p[0]) && (p[1] === null || (typeof p[1] === 'string' && HEX.test(p[1]))),
    );
  return valid ? pairs.map(([k, v]) => ({ key: unhex(k), value: v === null ? undefined : unhex(v) })) : undefined;
}

// A line that is not a record but ends in one: a torn line with the next
// commit appended to it, as this store wrote after a crash before it cut
// torn tails off at open. The record is the shortest suffix that parses
// (no suffix starting inside the fragment or the record does: its brackets
// would not balance).
function salvageRecord(line) {
  for (let i = line.indexOf('[', 1); i > 0; i = line.indexOf('[', i + 1)) {
    const writes = decodeRecord(line.slice(i));
    if (writes) return writes;
  }
  return undefined;
}

/**
 * A durable store: the in-memory store plus an append-only log file. Each
 * commit is one line, written and fsynced before the commit returns.
 *
 * At open the log is replayed, and whatever follows its last whole line
 * (a commit cut short by a crash, never acknowledged) is cut off and the
 * cut fsynced before anything is appended, so a new commit never lands on
 * a fragment. A commit whose write or fsync fails is cut off the same way;
 * if even that fails, the store refuses further commits until reopened.
 */
export class FileStore extends MemoryStore {
  #broken; // why commits are refused, once the log could not be repaired

  constructor(path) {
    super();
    const log = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    let end = 0; // the end of the last whole record replayed
    for (let start = 0, nl; (nl = log.indexOf(10, start)) >= 0; start = nl + 1) {
      const line = log.toString('utf8', start, nl);
      const writes = line ? (decodeRecord(line) ?? salvageRecord(line)) : [];
      if (!writes) {
        if (log.indexOf(10, nl + 1) >= 0) {
          throw new Error(`${path}: the line at byte ${start} is not a record, and more follow: refusing to guess; repair or move the log`);
        }
        break; // the last line, torn by a crash (its newline written, not all before it)
      }
      this.apply(writes);
      end = nl + 1;
    }
    this.fd = openSync(path, 'a');
    this.size = end;
    if (end < log.length) {
      ftruncateSync(this.fd, end);
      fsyncSync(this.fd);
    }
  }

  commit(guards, writes) {
    if (this.#broken) throw { tag: 'failure', val: this.#broken };
    for (const g of guards) {
      if (!equalBytes(this.get(g.key), g.expect)) throw { tag: 'conflict' };
    }
    if (writes.length === 0) return;
    const line = Buffer.from(encodeRecord(writes) + '\n');
    try {
      for (let done = 0; done < line.length; ) done += writeSync(this.fd, line, done, line.length - done);
      fsyncSync(this.fd);
    } catch (e) {
      this.#cutBack();
      throw { tag: 'failure', val: String(e) };
    }
    this.size += line.length;
    this.apply(writes);
  }

  // Remove what a failed commit may have left after the last record.
  #cutBack() {
    try {
      ftruncateSync(this.fd, this.size);
      fsyncSync(this.fd);
    } catch (e) {
      this.#broken = `the log could not be repaired after a failed commit (${e}); reopen the store`;
    }
  }

  close() {
    closeSync(this.fd);
  }
}

// A store the tests can break, as the conformance scenario's trap-store
// and fail-store steps do: `fault` 'trap-next' makes the next call throw
// something that is not a store-error (which traps the component), 'fail'
// makes every call fail with a store-error `failure`. Used by the
// conformance tests and by AsyncMoth's worker (stores opened with
// faults: true).
export class FaultyStore {
  constructor(inner) {
    this.inner = inner;
    this.fault = null; // 'trap-next', 'fail' or null
  }
  #enter() {
    if (this.fault === 'trap-next') {
      this.fault = null;
      throw new Error('the store was told to trap this call');
    }
    if (this.fault === 'fail') throw { tag: 'failure', val: 'the store was told to fail' };
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
