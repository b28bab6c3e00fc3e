// The canonical ABI between Node and moth's core wasm module for the
// component's imports (store, clock, random) and for the hot export
// `validate`, written out here instead of going through jco's generated
// glue. Everything else (every other export) still goes through jco.
//
// Why. jco 1.35 wraps every call, in each direction, in its
// component-model-async task bookkeeping (a task and a subtask object per
// call, current-task metadata copied and restored through closures, a
// `memory.buffer.slice` per list it lifts, ...), even for a synchronous
// component like moth's; none of its options turns that off. A `validate`
// (one export call, two store `get`s and a clock `now`) cost 13–21 µs
// through it, about 60% of that in the three import trampolines and most
// of the rest in the export's; the core wasm work is about 1.5 µs. Here the
// same lifting and lowering is straight-line code: see
// benches/node_validate.mjs for the figures.
//
// What stays the same: the component and its three imports; the values
// the store, clock and random functions receive and may return (jco's
// rules: a store's get may also return an explicit `{ tag: 'ok' | 'err',
// val }` result, a list of bytes may be any Uint8Array, other typed array,
// ArrayBuffer or Array of u8 numbers); how a store-error is reported (thrown
// `{ tag: 'conflict' }` / `{ tag: 'failure', val }`, or an object carrying it
// as `payload`); that anything else a host function throws propagates out
// of the guest unchanged (the call traps: see Moth's #recover); a core trap's
// message (jco's wasmtime-style text); and `validate`'s result. What is
// stricter: a value that is not a list of bytes where one is expected,
// or a scan result that is not an Array, is a TypeError (a trap), where jco
// sometimes lowered garbage; and a guest pointer out of bounds traps where
// jco's `buffer.slice` silently truncated.
//
// It relies on the core module's import and export names and on the
// memory layouts of the types involved, which come from the WIT
// (moth:auth@0.2.0) and the canonical ABI, not from jco. `coreImports`
// refuses a core module whose function imports are not exactly the five
// implemented here, and `attach` one without the exports used here, so a
// new version of the WIT packages or a new import fails at Moth.open; a
// changed record or variant under the same names (wit/store.wit,
// wit/types.wit's error, wit/sessions.wit's validation) fails the tests
// (test/abi.test.js, and every validate of the others): then update the
// layouts below.

const STORE = 'moth:auth/store@0.2.0';
const CLOCK = 'wasi:clocks/wall-clock@0.2.0';
const RANDOM = 'wasi:random/random@0.2.0';
const VALIDATE = 'moth:auth/sessions@0.2.0#validate';
const POST_VALIDATE = `cabi_post_${VALIDATE}`;

// The function imports of moth's core module, `module#name`.
const IMPORTS = [`${CLOCK}#now`, `${STORE}#get`, `${STORE}#scan`, `${STORE}#commit`, `${RANDOM}#get-random-bytes`];

// The cases of the WIT variant error (wit/types.wit), in order.
const ERROR_CASES = [
  'no-user',
  'invalid-password',
  'user-exists',
  'invalid-token',
  'token-expired',
  'ip-mismatch',
  'name-taken',
  'limit-reached', // (string)
  'locked-out', // (u64)
  'account-disabled',
  'invalid-input', // (string)
  'storage', // (string)
];

// jco rewrites V8's messages of core traps to wasmtime's when a trap passes
// through its glue; the same here, so a trap reads the same whichever way
// the call went.
const TRAP_MESSAGES = new Map([
  ['unreachable', 'wasm trap: wasm `unreachable` instruction executed'],
  ['memory access out of bounds', 'wasm trap: out of bounds memory access'],
  ['divide by zero', 'wasm trap: integer divide by zero'],
  ['remainder by zero', 'wasm trap: integer divide by zero'],
  ['divide result unrepresentable', 'wasm trap: integer overflow'],
  ['float unrepresentable in integer range', 'wasm trap: invalid conversion to integer'],
  ['table index is out of bounds', 'wasm trap: undefined element: out of bounds table access'],
  ['function signature mismatch', 'wasm trap: indirect call type mismatch'],
  ['call stack exhausted', 'wasm trap: call stack exhausted'],
]);

/** A core trap with jco's message for it. */
export function normalizeTrap(e) {
  if (e instanceof WebAssembly.RuntimeError) {
    const message = TRAP_MESSAGES.get(e.message);
    if (message !== undefined) e.message = message;
  }
  return e;
}

/** A WIT `error` an export returned: `tag` its case, `val` its payload (a string, a Number, or undefined). */
export class WitError {
  constructor(tag, val) {
    this.tag = tag;
    this.val = val;
  }
}

/** Whether `module` is moth's core module: the one importing the store (of any version). */
export function isMothCore(module) {
  return WebAssembly.Module.imports(module).some((i) => i.module.startsWith('moth:auth/store@'));
}

const hasOwn = Object.hasOwn;
const decoder = new TextDecoder(); // not fatal, as jco's: invalid UTF-8 becomes U+FFFD
const encoder = new TextEncoder();

function checkU8(v) {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw new TypeError(`invalid u8 value [${v}]`);
  return v;
}

// A list<u8> as bytes: what jco lowers as one.
function bytesOf(v) {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (Array.isArray(v)) return Uint8Array.from(v, checkU8);
  throw new TypeError(`expected a list of bytes (a Uint8Array), received [${v === null ? 'null' : typeof v}]`);
}

// The store-error a store threw, as jco takes it: an object's `payload`
// when it has one, else the thrown value itself unless it is an Error (an
// Error, like a core trap, is not a store-error: rethrown, it traps the
// call).
function thrownStoreError(e) {
  if (e instanceof WebAssembly.RuntimeError) throw e;
  if (e && hasOwn(e, 'payload')) return e.payload;
  if (e instanceof Error) throw e;
  return e;
}

/**
 * The glue of one instance of the core module. `host` holds the functions
 * jco would have called for the imports: `{ get, scan, commit, now,
 * getRandomBytes }` (index.js's, which count the calls). Give
 * `coreImports(module, imports)` to the core module's instantiation, then
 * `attach(instance)`; then `validate` is callable.
 */
export function createGlue(host) {
  const { get, scan, commit, now, getRandomBytes } = host;
  let memory = null;
  let realloc = null;
  let coreValidate = null;
  let postValidate = null;
  // Views of the memory, remade when it grows (growing detaches the old
  // buffer, and a view of a detached buffer has length 0).
  let u8 = new Uint8Array(0);
  let dv = new DataView(u8.buffer);
  // False while a post-return function runs: the guest may not call an
  // import then (the canonical ABI's may_leave; jco checks it too).
  let mayLeave = true;
  let lowered = 0; // the length of what lowerBytes/lowerString wrote last

  function view() {
    if (u8.length === 0) {
      u8 = new Uint8Array(memory.buffer);
      dv = new DataView(memory.buffer);
    }
  }

  // Fresh guest memory from the guest's realloc, checked as the canonical
  // ABI requires (aligned, in bounds); an i32 arrives as a signed Number,
  // hence >>> 0.
  function alloc(align, size) {
    const ptr = realloc(0, 0, align, size) >>> 0;
    view();
    if (ptr % align !== 0 || ptr + size > u8.length) {
      throw new WebAssembly.RuntimeError('wasm trap: realloc returned an invalid pointer');
    }
    return ptr;
  }

  function enter() {
    if (!mayLeave) throw new WebAssembly.RuntimeError('cannot leave component instance');
  }

  // Guest bytes [ptr, ptr + len) as a Uint8Array of their own.
  function liftBytes(ptr, len) {
    ptr >>>= 0;
    len >>>= 0;
    view();
    if (ptr + len > u8.length) throw new WebAssembly.RuntimeError('wasm trap: out of bounds memory access');
    return u8.slice(ptr, ptr + len);
  }

  function liftString(at) {
    view();
    const ptr = dv.getUint32(at, true);
    const len = dv.getUint32(at + 4, true);
    if (ptr + len > u8.length) throw new WebAssembly.RuntimeError('wasm trap: out of bounds memory access');
    // Short ASCII (ids, names, permission strings) without TextDecoder's
    // native call; anything else through it.
    if (len <= 64) {
      let s = '';
      for (let i = ptr, end = ptr + len; i < end; i++) {
        const b = u8[i];
        if (b > 0x7f) return decoder.decode(u8.subarray(ptr, ptr + len));
        s += String.fromCharCode(b);
      }
      return s;
    }
    return decoder.decode(u8.subarray(ptr, ptr + len));
  }

  // u64 as a Number, rounded as Number(BigInt) rounds (one rounding).
  function liftU64(at) {
    return dv.getUint32(at, true) + dv.getUint32(at + 4, true) * 4294967296;
  }

  // Copy `v` (a list<u8>) into fresh guest memory: its pointer; its length in `lowered`.
  function lowerBytes(v) {
    const bytes = bytesOf(v);
    const len = bytes.length;
    const ptr = alloc(1, len);
    u8.set(bytes, ptr);
    lowered = len;
    return ptr;
  }

  // A string as UTF-8 in fresh guest memory, as jco lowers one (the empty
  // string at pointer 1, allocating nothing).
  function lowerString(s) {
    if (typeof s !== 'string') throw new TypeError(`expected a string, received [${typeof s}]`);
    const n = s.length;
    if (n === 0) {
      lowered = 0;
      return 1;
    }
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (!ascii) return lowerBytes(encoder.encode(s));
    const ptr = alloc(1, n);
    for (let i = 0; i < n; i++) u8[ptr + i] = s.charCodeAt(i);
    lowered = n;
    return ptr;
  }

  // Write the err case of a result<_, store-error> at `ret` (payload at +4).
  function lowerStoreError(ret, error) {
    const tag = error === null || error === undefined ? undefined : error.tag;
    if (tag === 'conflict') {
      view();
      u8[ret] = 1;
      u8[ret + 4] = 0;
    } else if (tag === 'failure') {
      const ptr = lowerString(error.val);
      const len = lowered;
      view();
      u8[ret] = 1;
      u8[ret + 4] = 1;
      dv.setUint32(ret + 8, ptr, true);
      dv.setUint32(ret + 12, len, true);
    } else {
      throw new TypeError(`invalid variant tag value \`${JSON.stringify(tag)}\` specified for \`StoreError\``);
    }
  }

  // What a store function returned, as jco reads it: an explicit result
  // object, or the ok value itself. The ok value, or `ERR` with the error
  // in `returnedError`.
  const ERR = Symbol('err');
  let returnedError;
  function okValue(r) {
    if (r !== null && typeof r === 'object' && (r.tag === 'ok' || r.tag === 'err')) {
      if (r.tag === 'ok') return r.val;
      returnedError = r.val;
      return ERR;
    }
    return r;
  }

  // get: func(key: list<u8>) -> result<option<list<u8>>, store-error>
  function coreGet(keyPtr, keyLen, ret) {
    enter();
    const key = liftBytes(keyPtr, keyLen);
    let value;
    try {
      value = get(key);
    } catch (e) {
      return lowerStoreError(ret, thrownStoreError(e));
    }
    if (value !== undefined && !(value instanceof Uint8Array)) {
      value = okValue(value);
      if (value === ERR) return lowerStoreError(ret, returnedError);
    }
    if (value === undefined || value === null) {
      view();
      u8[ret] = 0;
      u8[ret + 4] = 0;
      return;
    }
    const ptr = lowerBytes(value);
    view();
    u8[ret] = 0;
    u8[ret + 4] = 1;
    dv.setUint32(ret + 8, ptr, true);
    dv.setUint32(ret + 12, lowered, true);
  }

  // scan: func(start: list<u8>, end: list<u8>, limit: u32) -> result<list<entry>, store-error>
  function coreScan(startPtr, startLen, endPtr, endLen, limit, ret) {
    enter();
    const start = liftBytes(startPtr, startLen);
    const end = liftBytes(endPtr, endLen);
    let entries;
    try {
      entries = scan(start, end, limit >>> 0);
    } catch (e) {
      return lowerStoreError(ret, thrownStoreError(e));
    }
    entries = okValue(entries);
    if (entries === ERR) return lowerStoreError(ret, returnedError);
    if (!Array.isArray(entries)) throw new TypeError('a store scan must return an Array of { key, value }');
    const n = entries.length;
    const list = alloc(4, n * 16); // entry: key (ptr, len), value (ptr, len)
    for (let i = 0; i < n; i++) {
      const { key, value } = entries[i];
      const keyPtr = lowerBytes(key);
      const keyLen = lowered;
      const valuePtr = lowerBytes(value);
      view();
      const at = list + i * 16;
      dv.setUint32(at, keyPtr, true);
      dv.setUint32(at + 4, keyLen, true);
      dv.setUint32(at + 8, valuePtr, true);
      dv.setUint32(at + 12, lowered, true);
    }
    view();
    u8[ret] = 0;
    dv.setUint32(ret + 4, list, true);
    dv.setUint32(ret + 8, n, true);
  }

  // list<guard> or list<write>: records { key: list<u8>, <field>: option<list<u8>> }, 20 bytes each.
  function liftKeyedOptions(base, n, field) {
    if (base % 4 !== 0) throw new TypeError(`list pointer [${base}] is not aligned to 4`);
    const out = [];
    for (let i = 0; i < n; i++) {
      const at = base + i * 20;
      view();
      const key = liftBytes(dv.getUint32(at, true), dv.getUint32(at + 4, true));
      let option;
      switch (u8[at + 8]) {
        case 0:
          option = undefined;
          break;
        case 1:
          option = liftBytes(dv.getUint32(at + 12, true), dv.getUint32(at + 16, true));
          break;
        default:
          throw new TypeError('invalid variant discriminant for option');
      }
      out.push(field === 'expect' ? { key, expect: option } : { key, value: option });
    }
    return out;
  }

  // commit: func(guards: list<guard>, writes: list<write>) -> result<_, store-error>
  function coreCommit(guardsPtr, guardsLen, writesPtr, writesLen, ret) {
    enter();
    const guards = liftKeyedOptions(guardsPtr, guardsLen, 'expect');
    const writes = liftKeyedOptions(writesPtr, writesLen, 'value');
    let result;
    try {
      result = commit(guards, writes);
    } catch (e) {
      return lowerStoreError(ret, thrownStoreError(e));
    }
    if (okValue(result) === ERR) return lowerStoreError(ret, returnedError);
    view();
    u8[ret] = 0;
  }

  // now: func() -> datetime { seconds: u64, nanoseconds: u32 }
  function coreNow(ret) {
    enter();
    const { seconds, nanoseconds } = now();
    view();
    dv.setBigUint64(ret, BigInt.asUintN(64, BigInt(seconds)), true);
    dv.setUint32(ret + 8, nanoseconds >>> 0, true);
  }

  // get-random-bytes: func(len: u64) -> list<u8>
  function coreRandomBytes(len, ret) {
    enter();
    const ptr = lowerBytes(getRandomBytes(BigInt.asUintN(64, BigInt(len))));
    view();
    dv.setUint32(ret, ptr, true);
    dv.setUint32(ret + 4, lowered, true);
  }

  const ours = {
    [STORE]: { get: coreGet, scan: coreScan, commit: coreCommit },
    [CLOCK]: { now: coreNow },
    [RANDOM]: { 'get-random-bytes': coreRandomBytes },
  };

  return {
    /**
     * The import object for `module` (moth's core module) with this glue's
     * functions in place of jco's; every function import must be one of
     * those implemented here.
     */
    coreImports(module, imports) {
      const needed = WebAssembly.Module.imports(module).filter((i) => i.kind === 'function');
      const unknown = needed.find((i) => !IMPORTS.includes(`${i.module}#${i.name}`));
      if (unknown || needed.length !== IMPORTS.length) {
        throw new Error(
          `moth's core module imports ${needed.map((i) => `${i.module}#${i.name}`).join(', ')}; ` +
            `src/abi.js implements ${IMPORTS.join(', ')}: update it for this component`,
        );
      }
      const out = { ...imports };
      for (const [name, functions] of Object.entries(ours)) out[name] = { ...imports?.[name], ...functions };
      return out;
    },

    /** Take the instance's memory and exports. */
    attach(instance) {
      const e = instance.exports;
      for (const name of ['memory', 'cabi_realloc', VALIDATE, POST_VALIDATE]) {
        if (!e[name]) throw new Error(`moth's core module exports no ${name}: update src/abi.js for this component`);
      }
      memory = e.memory;
      realloc = e.cabi_realloc;
      coreValidate = e[VALIDATE];
      postValidate = e[POST_VALIDATE];
      u8 = new Uint8Array(0);
      return instance;
    },

    get attached() {
      return memory !== null;
    },

    /**
     * validate: func(token: string) -> result<validation, error>, as Node
     * values: `{ user: { id, username, permissions }, expires }` (Numbers),
     * or a WitError. A TypeError for a token that is not a string, before
     * the guest runs; anything else thrown means the call trapped.
     */
    validate(token) {
      const ptr = lowerString(token);
      const ret = coreValidate(ptr, lowered);
      view();
      // result<validation, error>: the case at +0, the payload at +8. A
      // validation: user { id: u64 @8, username @16, permissions @24 },
      // expires: u64 @32. An error: its case at +8, its payload at +16.
      let out;
      switch (u8[ret]) {
        case 0:
          out = {
            user: { id: liftU64(ret + 8), username: liftString(ret + 16), permissions: liftString(ret + 24) },
            expires: liftU64(ret + 32),
          };
          break;
        case 1:
          out = liftError(ret + 8);
          break;
        default:
          throw new TypeError('invalid variant discriminant for expected');
      }
      mayLeave = false;
      postValidate(ret);
      mayLeave = true;
      return out;
    },
  };

  // A WIT error (case at `at`, payload at `at + 8`).
  function liftError(at) {
    const disc = u8[at];
    const tag = ERROR_CASES[disc];
    if (tag === undefined) throw new TypeError('invalid variant discriminant for Error');
    switch (tag) {
      case 'limit-reached':
      case 'invalid-input':
      case 'storage':
        return new WitError(tag, liftString(at + 8));
      case 'locked-out':
        return new WitError(tag, liftU64(at + 8));
      default:
        return new WitError(tag, undefined);
    }
  }
}
