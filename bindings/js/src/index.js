// moth for Node: the moth:auth component, transpiled by jco, behind a small
// idiomatic API. Ids, counts and times are Numbers (Unix seconds); the
// component's u64s are BigInts underneath.

import { readFile } from 'node:fs/promises';
import { webcrypto } from 'node:crypto';
import { instantiate } from '../generated/moth.js';
import { MemoryStore, FileStore } from './stores.js';
import { createGlue, isMothCore, normalizeTrap, WitError } from './abi.js';

export { MemoryStore, FileStore };

/**
 * An error from moth; `code` is the WIT error case ('no-user',
 * 'invalid-password', 'user-exists', 'invalid-token', 'token-expired',
 * 'ip-mismatch', 'name-taken', 'limit-reached', 'locked-out',
 * 'account-disabled', 'invalid-input', 'storage'), and `detail` its text
 * when it has one
 * (limit-reached, invalid-input, storage, and locked-out's 'retry in N
 * seconds'); or 'component-trap' when the component trapped (see `Moth`);
 * then `cause` is what was thrown. A 'locked-out' error carries
 * `retryAfter`: how many more seconds the account, username, source or
 * device stays locked (a Retry-After).
 *
 * The OAuth protocol functions refuse with the WIT oauth-error case
 * instead ('invalid-request', 'invalid-client', 'invalid-grant',
 * 'unauthorized-client', 'invalid-scope', 'unsupported-response-type',
 * 'unsupported-grant-type', 'access-denied', 'server-error'; `detail` the
 * text of invalid-request, invalid-grant, invalid-scope and server-error,
 * RFC 6749's error_description). checkAuthorization and issueCode refuse
 * with 'no-redirect' (`detail` why: show it to the user, never redirect),
 * or with an oauth-error case carrying `redirectUri`: where that error
 * must be sent.
 */
export class MothError extends Error {
  constructor(code, detail, options) {
    super(detail ? `${code}: ${detail}` : code, options);
    this.name = 'MothError';
    this.code = code;
    this.detail = detail;
  }

  /** The 'locked-out' error for a lock that ends in `seconds`. */
  static lockedOut(seconds) {
    const e = new MothError('locked-out', `retry in ${seconds} seconds`);
    e.retryAfter = seconds;
    return e;
  }

  /** The error `code` (an oauth-error case, with its `detail`) to send to `redirectUri`. */
  static redirect(redirectUri, code, detail) {
    const e = new MothError(code, detail);
    e.redirectUri = redirectUri;
    return e;
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

// The component's exports, one object per WIT interface (jco names each
// exported interface by its short name).
const INTERFACES = ['users', 'sessions', 'settings', 'emailTokens', 'apiKeys', 'oneTimeTokens', 'attempts', 'accounts', 'roles', 'oauth'];

// The cases of the WIT enum event-kind (wit/attempts.wit): a log entry's
// `kind`, and what a filter or a purge may ask for.
const EVENT_KINDS = [
  'login',
  'check-password',
  'reset-password',
  'account-locked',
  'unlocked',
  'source-blocked',
  'device-locked',
  'password-changed',
  'sessions-revoked',
  'api-key-created',
  'api-key-revoked',
  'one-time-token-created',
  'account-disabled',
  'account-enabled',
];

// The cases of the WIT variant lock-subject, each `{ case: payload }` here.
const LOCK_SUBJECTS = ['account', 'username', 'source', 'device'];

// The cases of the WIT variants role-holder and role-item
// (wit/roles.wit), each `{ case: payload }` here.
const ROLE_HOLDERS = ['user', 'group', 'bundle'];
const ROLE_ITEMS = ['group', 'bundle', 'permission'];

// The cases of the WIT enum grant-type (wit/oauth.wit).
const GRANT_TYPES = ['authorization-code', 'refresh-token', 'client-credentials'];

// The fields of the WIT records client-spec and lifetimes
// (wit/oauth.wit), in camelCase; every one is required (an update replaces
// them all, so one left out must not clear it silently).
const CLIENT_SPEC_FIELDS = ['name', 'confidential', 'redirectUris', 'grantTypes', 'scopes'];
const LIFETIMES_FIELDS = ['code', 'access', 'refreshIdle', 'refresh', 'refreshGrace'];
// The fields of the WIT record authorization-request: the first two are
// required, the others null or absent for none.
const AUTHORIZATION_REQUEST_FIELDS = ['responseType', 'clientId', 'redirectUri', 'scope', 'codeChallenge', 'codeChallengeMethod'];

// The fields of the WIT record settings, in camelCase; every one is
// required (start from getSettings() to change one).
const SETTINGS_U32 = [
  'argon2MemoryKib',
  'argon2Iterations',
  'argon2Parallelism',
  'maxTokensPerUser',
  'minPasswordLength',
  'lockoutThreshold',
  'sourceLockoutThreshold',
];
const SETTINGS_U64 = [
  'defaultTokenLifetime',
  'lockoutWindow',
  'lockoutDuration',
  'lockoutMaxDuration',
  'sourceLockoutWindow',
  'sourceLockoutDuration',
  'logRetention',
];
const SETTINGS_FLAGS = ['allowWeakHashing', 'refuseCommonPasswords'];

// The fields of the WIT record account-state, in camelCase; every one is
// required (start from getAccountState() to change one).
const ACCOUNT_STATE_FIELDS = ['enabled', 'disabledFrom', 'emailVerified', 'superuser'];

// An options object's fields, refusing any other: a misspelt option would
// otherwise be ignored silently.
function fieldsOf(options, names, what) {
  const given = options ?? {};
  if (typeof given !== 'object' || Array.isArray(given)) throw new MothError('invalid-input', `${what} must be an object`);
  const extra = Object.keys(given).filter((k) => !names.includes(k));
  if (extra.length) throw new MothError('invalid-input', `unknown ${what} field ${extra[0]} (${names.join(', ')})`);
  return given;
}

// WIT values <-> Node values. The only place they are converted: u64s
// (BigInts) become Numbers, `option` none (undefined) becomes null, a
// key-owner ({ tag, val } in jco) is `{ user: id }` or `{ service: name }`,
// a lock-subject `{ account: id }`, `{ username }`, `{ source }` or
// `{ device }`, an event-kind its WIT name ('account-locked'), an
// account-state `{ enabled, disabledFrom, emailVerified, superuser }`, a
// role-holder `{ user: id }`, `{ group: name }` or `{ bundle: name }`, a
// role-item `{ group: name }`, `{ bundle: name }` or `{ permission: name }`,
// a list of names an Array of strings, a grant-type its WIT name
// ('authorization-code'), and a result<token-info, bearer-error>
// `{ ok: info }` or `{ err: 'invalid-token' }`.
const toWit = {
  // jco turns anything into a u32 (undefined into 0), so a settings object
  // written before a field existed would switch that field off silently.
  u32(n, what) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new MothError('invalid-input', `${what} must be an integer 0..=4294967295`);
    return n;
  },
  u64(n, what) {
    if (typeof n === 'bigint') return n;
    if (!Number.isSafeInteger(n) || n < 0) throw new MothError('invalid-input', `${what} must be a non-negative integer`);
    return BigInt(n);
  },
  optionalU64(n, what) {
    return n === undefined || n === null ? undefined : toWit.u64(n, what);
  },
  optional(v) {
    return v === null ? undefined : v;
  },
  keyOwner(owner) {
    const keys = owner !== null && typeof owner === 'object' ? Object.keys(owner) : [];
    if (keys.length === 1 && keys[0] === 'user') return { tag: 'user', val: toWit.u64(owner.user, 'owner.user') };
    if (keys.length === 1 && keys[0] === 'service') return { tag: 'service', val: owner.service };
    throw new MothError('invalid-input', 'owner must be { user: id } or { service: name }');
  },
  emailTokenOptions(options) {
    const { ip, lifetime, retval, uses, ...unknown } = options ?? {};
    const extra = Object.keys(unknown);
    if (extra.length) throw new MothError('invalid-input', `unknown email token option ${extra[0]} (ip, lifetime, retval, uses)`);
    return {
      ip: toWit.optional(ip),
      lifetime: toWit.optionalU64(lifetime, 'lifetime'),
      retval: toWit.optional(retval),
      uses: toWit.optional(uses),
    };
  },
  settings(s) {
    const given = fieldsOf(s, [...SETTINGS_U32, ...SETTINGS_U64, ...SETTINGS_FLAGS], 'settings');
    const out = {};
    for (const k of SETTINGS_U32) out[k] = toWit.u32(given[k], `settings.${k}`);
    for (const k of SETTINGS_U64) out[k] = toWit.u64(given[k], `settings.${k}`);
    // A flag left out must not read as false: that would turn the
    // common-password check off without anyone asking.
    for (const k of SETTINGS_FLAGS) {
      if (typeof given[k] !== 'boolean') throw new MothError('invalid-input', `settings.${k} must be a boolean`);
      out[k] = given[k];
    }
    return out;
  },
  loginContext(context) {
    const { source, device } = fieldsOf(context, ['source', 'device'], 'login context');
    return { source: toWit.optional(source), device: toWit.optional(device) };
  },
  eventKind(kind) {
    if (!EVENT_KINDS.includes(kind)) throw new MothError('invalid-input', `kind must be one of ${EVENT_KINDS.join(', ')}`);
    return kind;
  },
  optionalEventKind(kind) {
    return kind === undefined || kind === null ? undefined : toWit.eventKind(kind);
  },
  logFilter(filter) {
    const f = fieldsOf(filter, ['user', 'username', 'source', 'kind', 'since', 'until'], 'log filter');
    return {
      user: toWit.optionalU64(f.user, 'filter.user'),
      username: toWit.optional(f.username),
      source: toWit.optional(f.source),
      kind: toWit.optionalEventKind(f.kind),
      since: toWit.optionalU64(f.since, 'filter.since'),
      until: toWit.optionalU64(f.until, 'filter.until'),
    };
  },
  // Every field is required: a state written without one would otherwise
  // set it silently (jco reads a missing bool as false, so a state without
  // `enabled` would disable the account and revoke all its credentials).
  accountState(state) {
    const given = fieldsOf(state, ACCOUNT_STATE_FIELDS, 'account state');
    const missing = ACCOUNT_STATE_FIELDS.filter((k) => !(k in given));
    if (missing.length) throw new MothError('invalid-input', `account state field ${missing[0]} missing (${ACCOUNT_STATE_FIELDS.join(', ')})`);
    const flag = (k) => {
      if (typeof given[k] !== 'boolean') throw new MothError('invalid-input', `account state ${k} must be a boolean`);
      return given[k];
    };
    return {
      enabled: flag('enabled'),
      disabledFrom: toWit.optionalU64(given.disabledFrom, 'disabledFrom'),
      emailVerified: flag('emailVerified'),
      superuser: flag('superuser'),
    };
  },
  lockSubject(subject) {
    const keys = subject !== null && typeof subject === 'object' ? Object.keys(subject) : [];
    if (keys.length !== 1 || !LOCK_SUBJECTS.includes(keys[0])) {
      throw new MothError('invalid-input', 'a lock subject is { account: id }, { username }, { source } or { device }');
    }
    const [tag] = keys;
    return { tag, val: tag === 'account' ? toWit.u64(subject.account, 'subject.account') : subject[tag] };
  },
  roleHolder(holder) {
    const keys = holder !== null && typeof holder === 'object' ? Object.keys(holder) : [];
    if (keys.length !== 1 || !ROLE_HOLDERS.includes(keys[0])) {
      throw new MothError('invalid-input', 'a role holder is { user: id }, { group: name } or { bundle: name }');
    }
    const [tag] = keys;
    return { tag, val: tag === 'user' ? toWit.u64(holder.user, 'holder.user') : holder[tag] };
  },
  roleItem(item) {
    const keys = item !== null && typeof item === 'object' ? Object.keys(item) : [];
    if (keys.length !== 1 || !ROLE_ITEMS.includes(keys[0])) {
      throw new MothError('invalid-input', 'a role item is { group: name }, { bundle: name } or { permission: name }');
    }
    const [tag] = keys;
    return { tag, val: item[tag] };
  },
  // jco lowers anything with a length as a list: a lone string would be
  // checked letter by letter.
  names(list, what) {
    if (!Array.isArray(list) || !list.every((n) => typeof n === 'string')) {
      throw new MothError('invalid-input', `${what} must be an array of names`);
    }
    return list;
  },
  string(v, what) {
    if (typeof v !== 'string') throw new MothError('invalid-input', `${what} must be a string`);
    return v;
  },
  optionalString(v, what) {
    return v === undefined || v === null ? undefined : toWit.string(v, what);
  },
  // Every field is required: a spec without `confidential` would otherwise
  // register a public client, and an update without `redirectUris` clear
  // them.
  clientSpec(spec) {
    const given = fieldsOf(spec, CLIENT_SPEC_FIELDS, 'client spec');
    const missing = CLIENT_SPEC_FIELDS.filter((k) => !(k in given));
    if (missing.length) throw new MothError('invalid-input', `client spec field ${missing[0]} missing (${CLIENT_SPEC_FIELDS.join(', ')})`);
    if (typeof given.confidential !== 'boolean') throw new MothError('invalid-input', 'client spec confidential must be a boolean');
    const grantTypes = toWit.names(given.grantTypes, 'client spec grantTypes');
    const unknown = grantTypes.find((g) => !GRANT_TYPES.includes(g));
    if (unknown !== undefined) throw new MothError('invalid-input', `unknown grant type ${unknown} (${GRANT_TYPES.join(', ')})`);
    return {
      name: toWit.string(given.name, 'client spec name'),
      confidential: given.confidential,
      redirectUris: toWit.names(given.redirectUris, 'client spec redirectUris'),
      grantTypes,
      scopes: toWit.string(given.scopes, 'client spec scopes'),
    };
  },
  lifetimes(lifetimes) {
    const given = fieldsOf(lifetimes, LIFETIMES_FIELDS, 'lifetimes');
    return Object.fromEntries(LIFETIMES_FIELDS.map((k) => [k, toWit.u64(given[k], `lifetimes.${k}`)]));
  },
  authorizationRequest(request) {
    const r = fieldsOf(request, AUTHORIZATION_REQUEST_FIELDS, 'authorization request');
    return {
      responseType: toWit.string(r.responseType, 'request.responseType'),
      clientId: toWit.string(r.clientId, 'request.clientId'),
      redirectUri: toWit.optionalString(r.redirectUri, 'request.redirectUri'),
      scope: toWit.optionalString(r.scope, 'request.scope'),
      codeChallenge: toWit.optionalString(r.codeChallenge, 'request.codeChallenge'),
      codeChallengeMethod: toWit.optionalString(r.codeChallengeMethod, 'request.codeChallengeMethod'),
    };
  },
};

const fromWit = {
  number: (n) => Number(n),
  optionalNumber: (n) => (n === undefined ? null : Number(n)),
  error: (payload) =>
    payload.tag === 'locked-out' ? MothError.lockedOut(Number(payload.val)) : new MothError(payload.tag, payload.val),
  user: (u) => ({ id: Number(u.id), username: u.username, permissions: u.permissions }),
  userPage: (p) => ({ users: p.users.map(fromWit.user), next: fromWit.optionalNumber(p.next) }),
  session: (s) => ({ token: s.token, user: fromWit.user(s.user), expires: Number(s.expires) }),
  validation: (v) => ({ user: fromWit.user(v.user), expires: Number(v.expires) }),
  sweepOutcome: (o) => ({ deleted: Number(o.deleted), nextExpiry: fromWit.optionalNumber(o.nextExpiry) }),
  settings: (s) => ({
    argon2MemoryKib: s.argon2MemoryKib,
    argon2Iterations: s.argon2Iterations,
    argon2Parallelism: s.argon2Parallelism,
    defaultTokenLifetime: Number(s.defaultTokenLifetime),
    allowWeakHashing: s.allowWeakHashing,
    maxTokensPerUser: s.maxTokensPerUser,
    minPasswordLength: s.minPasswordLength,
    refuseCommonPasswords: s.refuseCommonPasswords,
    lockoutThreshold: s.lockoutThreshold,
    lockoutWindow: Number(s.lockoutWindow),
    lockoutDuration: Number(s.lockoutDuration),
    lockoutMaxDuration: Number(s.lockoutMaxDuration),
    sourceLockoutThreshold: s.sourceLockoutThreshold,
    sourceLockoutWindow: Number(s.sourceLockoutWindow),
    sourceLockoutDuration: Number(s.sourceLockoutDuration),
    logRetention: Number(s.logRetention),
  }),
  optional: (v) => (v === undefined ? null : v),
  emailToken: (t) => ({ token: t.token, id: t.id, expires: Number(t.expires) }),
  emailTokenInfo: (t) => ({
    id: t.id,
    ip: fromWit.optional(t.ip),
    created: Number(t.created),
    expires: Number(t.expires),
    usesLeft: t.usesLeft,
  }),
  emailTokenInfos: (list) => list.map(fromWit.emailTokenInfo),
  keyOwner: (o) => (o.tag === 'user' ? { user: Number(o.val) } : { service: o.val }),
  apiKey: (k) => ({
    id: k.id,
    owner: fromWit.keyOwner(k.owner),
    name: k.name,
    scopes: k.scopes,
    created: Number(k.created),
    expires: fromWit.optionalNumber(k.expires),
    lastUsed: fromWit.optionalNumber(k.lastUsed),
  }),
  apiKeys: (list) => list.map(fromWit.apiKey),
  sessions: (list) => list.map((s) => ({
    id: s.id,
    created: fromWit.optionalNumber(s.created),
    expires: Number(s.expires),
    source: fromWit.optional(s.source),
    device: fromWit.optional(s.device),
  })),
  newApiKey: (k) => ({ key: k.key, info: fromWit.apiKey(k.info) }),
  oneTimeToken: (t) => ({ token: t.token, expires: Number(t.expires) }),
  loginGrant: (g) => ({ session: fromWit.session(g.session), device: g.device }),
  logEntry: (e) => ({
    id: e.id,
    time: Number(e.time),
    kind: e.kind,
    user: fromWit.optionalNumber(e.user),
    username: e.username,
    source: fromWit.optional(e.source),
    success: e.success,
    reason: e.reason,
  }),
  logPage: (p) => ({ entries: p.entries.map(fromWit.logEntry), next: fromWit.optional(p.next) }),
  purgeOutcome: (o) => ({ purged: Number(o.purged), next: fromWit.optional(o.next) }),
  lockSubject: (s) => ({ [s.tag]: s.tag === 'account' ? Number(s.val) : s.val }),
  lock: (l) => ({ subject: fromWit.lockSubject(l.subject), until: Number(l.until), lockouts: l.lockouts }),
  lockPage: (p) => ({ locks: p.locks.map(fromWit.lock), next: fromWit.optional(p.next) }),
  accountState: (s) => ({
    enabled: s.enabled,
    disabledFrom: fromWit.optionalNumber(s.disabledFrom),
    emailVerified: s.emailVerified,
    superuser: s.superuser,
  }),
  permission: (p) => ({ name: p.name, description: p.description }),
  permissions: (list) => list.map(fromWit.permission),
  bundles: (list) => list.map((b) => ({ name: b.name, permissions: b.permissions })),
  groups: (list) => list.map((g) => ({ name: g.name, permissions: g.permissions, bundles: g.bundles })),
  userRoles: (r) => ({ permissions: r.permissions, bundles: r.bundles, groups: r.groups }),
  // jco gives a list<u64> as a BigUint64Array.
  userIds: (ids) => Array.from(ids, Number),
  validationWithPermissions: (v) => ({ validation: fromWit.validation(v.validation), permissions: v.permissions }),
  // An oauth-error, and an authorize-error: 'no-redirect', or the
  // redirected oauth-error with the URI it goes to.
  oauthError: (payload) => new MothError(payload.tag, payload.val),
  authorizeError: (payload) =>
    payload.tag === 'redirect'
      ? MothError.redirect(payload.val.redirectUri, payload.val.error.tag, payload.val.error.val)
      : new MothError(payload.tag, payload.val),
  client: (c) => ({
    id: c.id,
    name: c.name,
    confidential: c.confidential,
    redirectUris: c.redirectUris,
    grantTypes: c.grantTypes,
    scopes: c.scopes,
    created: Number(c.created),
    updated: Number(c.updated),
  }),
  optionalClient: (c) => (c === undefined ? null : fromWit.client(c)),
  newClient: (n) => ({ client: fromWit.client(n.client), secret: fromWit.optional(n.secret) }),
  optionalNewClient: (n) => (n === undefined ? null : fromWit.newClient(n)),
  clientPage: (p) => ({ clients: p.clients.map(fromWit.client), next: fromWit.optional(p.next) }),
  lifetimes: (l) => Object.fromEntries(LIFETIMES_FIELDS.map((k) => [k, Number(l[k])])),
  authorization: (a) => ({ client: fromWit.client(a.client), redirectUri: a.redirectUri, scopes: a.scopes }),
  tokenResponse: (t) => ({
    accessToken: t.accessToken,
    expiresIn: Number(t.expiresIn),
    refreshToken: fromWit.optional(t.refreshToken),
    scopes: t.scopes,
  }),
  tokenInfo: (t) => ({
    access: t.access,
    clientId: t.clientId,
    user: fromWit.optionalNumber(t.user),
    username: fromWit.optional(t.username),
    scopes: t.scopes,
    expires: Number(t.expires),
    issued: Number(t.issued),
  }),
  optionalTokenInfo: (t) => (t === undefined ? null : fromWit.tokenInfo(t)),
  // result<token-info, bearer-error>: { ok: info } or { err: 'invalid-token' | 'insufficient-scope' }.
  bearer: (r) => (r.tag === 'ok' ? { ok: fromWit.tokenInfo(r.val) } : { err: r.val }),
  consents: (list) => list.map((c) => ({ clientId: c.clientId, clientName: c.clientName, scopes: c.scopes, since: Number(c.since) })),
  none: () => undefined,
  same: (v) => v,
};

function checkExports(root) {
  for (const name of INTERFACES) {
    if (!root[name]) throw new Error(`the component exports no moth:auth/${name}: rebuild moth.wasm and rerun npm run build`);
  }
  return root;
}

/**
 * The component over a store. A call that traps inside the component (a
 * guest panic, or an import that throws something other than a
 * store-error) fails with MothError code 'component-trap'; its instance is
 * discarded and a fresh one made at once, over the same store, clock and
 * imports, so the next call works. The store holds all of a trapped
 * call's change or none of it: every change is one guarded commit, and a
 * trap before the commit wrote nothing.
 */
export class Moth {
  #instantiate; // () => a fresh instance, synchronously
  #instance; // the current instance, { root, core }; null after a failed re-instantiation
  #imports; // { calls }: how many import calls the component has made

  constructor(instantiate, instance, imports) {
    this.#instantiate = instantiate;
    this.#instance = instance;
    this.#imports = imports;
  }

  /**
   * Load the component over `store` (a MemoryStore, a FileStore, or any
   * object with get/scan/commit; a store reports a failure by throwing
   * `{ tag: 'failure', val: text }`, and anything else it throws traps the
   * call). `clock` is for tests. `settings`, when given, are stored first
   * (every field; start from `getSettings()` to change one).
   */
  static async open({ store = new MemoryStore(), clock = systemClock, settings } = {}) {
    // The host side of the component's imports. Store and clock methods
    // are looked up per call, so a store may swap its methods later. Each
    // counts the call: an exception after one means the guest was running.
    const counter = { calls: 0 };
    const host = {
      get: (key) => {
        counter.calls++;
        return store.get(key);
      },
      scan: (start, end, limit) => {
        counter.calls++;
        return store.scan(start, end, limit);
      },
      commit: (guards, writes) => {
        counter.calls++;
        return store.commit(guards, writes);
      },
      now: () => {
        counter.calls++;
        return clock.now();
      },
      resolution: () => {
        counter.calls++;
        return clock.resolution();
      },
      getRandomBytes: (len) => {
        counter.calls++;
        return secureRandom.getRandomBytes(len);
      },
      getRandomU64: () => {
        counter.calls++;
        return secureRandom.getRandomU64();
      },
    };
    // What jco is given (it destructures these, and wants them all). The
    // core module is instantiated with src/abi.js's glue over the same
    // functions instead (see instance below), so jco's import trampolines
    // are never called.
    const imports = {
      'moth:auth/store': { get: host.get, scan: host.scan, commit: host.commit },
      'wasi:clocks/wall-clock': { now: host.now, resolution: host.resolution },
      'wasi:random/random': { getRandomBytes: host.getRandomBytes, getRandomU64: host.getRandomU64 },
    };
    // An instance: jco's exports (`root`, one object per interface) and
    // src/abi.js's glue (`core`) over the same core instance. `sync` makes
    // every core instance synchronously (from modules compiled already).
    const instance = (getCoreModule, sync) => {
      const core = createGlue(host);
      const instantiateCore = (module, moduleImports) => {
        if (isMothCore(module)) {
          const glued = core.coreImports(module, moduleImports);
          return sync ? core.attach(new WebAssembly.Instance(module, glued)) : WebAssembly.instantiate(module, glued).then(core.attach);
        }
        return sync ? new WebAssembly.Instance(module, moduleImports) : WebAssembly.instantiate(module, moduleImports);
      };
      const done = (root) => {
        if (!core.attached) throw new Error("jco made moth's core instance without Moth.open's instantiateCore: revisit Moth.open");
        return { root: checkExports(root), core };
      };
      const root = instantiate(getCoreModule, imports, instantiateCore);
      return root instanceof Promise ? root.then(done) : done(root);
    };
    // The core modules are compiled once, here; every later instance is
    // made from them synchronously, so a trapped one is replaced inside
    // the call that trapped.
    const modules = new Map();
    const compile = async (name) => {
      const module = await WebAssembly.compile(await readFile(new URL(name, generated)));
      modules.set(name, module);
      return module;
    };
    const first = await instance((name) => modules.get(name) ?? compile(name), false);
    const fresh = () => {
      const again = instance((name) => modules.get(name), true);
      if (again instanceof Promise) throw new Error('jco instantiated asynchronously: revisit Moth.open');
      return again;
    };
    const moth = new Moth(fresh, first, counter);
    if (settings) moth.setSettings(settings);
    return moth;
  }

  // Call `name` of exported interface `iface` and convert its ok value
  // with `out`; a WIT error becomes a MothError. Anything else thrown
  // leaves the instance untrustworthy (a trap unwinds the guest midway):
  // it is replaced, and a trap becomes MothError 'component-trap'. What
  // is thrown before the guest runs (a TypeError for an argument of the
  // wrong type) is rethrown as it is.
  #call(iface, name, out, ...args) {
    return this.#callWith(fromWit.error, iface, name, out, ...args);
  }

  // #call for a function whose WIT error type is not `error`: `failure`
  // makes the MothError of its error value (fromWit.oauthError,
  // fromWit.authorizeError).
  #callWith(failure, iface, name, out, ...args) {
    const instance = this.#instance ?? (this.#instance = this.#instantiate());
    const calls = this.#imports.calls;
    let v;
    try {
      v = instance.root[iface][name](...args);
    } catch (e) {
      if (e && e.payload && typeof e.payload.tag === 'string') throw failure(e.payload);
      this.#recover(e, name, calls);
    }
    return out(v);
  }

  // After `e` was thrown out of a call of `name` (`calls` the import
  // count before it): replace the instance, then throw MothError
  // 'component-trap' if the guest was running, else `e`.
  #recover(e, name, calls) {
    this.#instance = null;
    try {
      this.#instance = this.#instantiate();
    } catch {
      // Left null: the next call instantiates (and reports why it cannot).
    }
    normalizeTrap(e);
    if (e instanceof WebAssembly.RuntimeError || this.#imports.calls !== calls) {
      throw new MothError('component-trap', `${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    throw e;
  }

  // moth:auth/users
  createUser(username, password, permissions = '') {
    return this.#call('users', 'createUser', fromWit.user, username, password, permissions);
  }
  deleteUser(id) {
    this.#call('users', 'deleteUser', fromWit.none, toWit.u64(id, 'id'));
  }
  getUser(id) {
    return this.#call('users', 'getUser', fromWit.user, toWit.u64(id, 'id'));
  }
  listUsers({ after, limit = 100 } = {}) {
    return this.#call('users', 'listUsers', fromWit.userPage, toWit.optionalU64(after, 'after'), limit);
  }
  setPassword(id, password) {
    this.#call('users', 'setPassword', fromWit.none, toWit.u64(id, 'id'), password);
  }
  setPermissions(id, permissions) {
    this.#call('users', 'setPermissions', fromWit.none, toWit.u64(id, 'id'), permissions);
  }
  checkPassword(username, password) {
    return this.#call('users', 'checkPassword', fromWit.same, username, password);
  }

  // moth:auth/sessions
  login(username, password, lifetime) {
    return this.#call('sessions', 'login', fromWit.session, username, password, toWit.optionalU64(lifetime, 'lifetime'));
  }
  // The hot path: through src/abi.js's glue rather than jco's (same
  // values, errors and trap handling as #call, a few times cheaper).
  validate(token) {
    // jco's TypeError for a non-string, before the guest runs (#call's
    // path would also replace the instance first, for nothing).
    if (typeof token !== 'string') throw new TypeError(`expected a string, received [${typeof token}]`);
    const instance = this.#instance ?? (this.#instance = this.#instantiate());
    const calls = this.#imports.calls;
    let v;
    try {
      v = instance.core.validate(token);
    } catch (e) {
      this.#recover(e, 'validate', calls);
    }
    if (v instanceof WitError) throw fromWit.error(v);
    return v;
  }
  logout(token) {
    this.#call('sessions', 'logout', fromWit.none, token);
  }
  countTokens(id) {
    return this.#call('sessions', 'countTokens', fromWit.number, toWit.u64(id, 'id'));
  }
  deleteTokens(id) {
    return this.#call('sessions', 'deleteTokens', fromWit.number, toWit.u64(id, 'id'));
  }
  /** The user's live sessions, oldest first: `[{ id, created, expires, source, device }]` (the address and device id of each login, null when unknown), never their tokens. */
  listSessions(id) {
    return this.#call('sessions', 'listSessions', fromWit.sessions, toWit.u64(id, 'id'));
  }
  /** End one of the user's sessions by its id (from listSessions). */
  revokeSession(id, session) {
    this.#call('sessions', 'revokeSession', fromWit.none, toWit.u64(id, 'id'), session);
  }
  /** End every session of the token's user but its own; returns how many. */
  revokeOtherSessions(token) {
    return this.#call('sessions', 'revokeOtherSessions', fromWit.number, token);
  }
  /**
   * Delete up to `limit` expired tokens: `{ deleted, nextExpiry }`, where
   * nextExpiry is the earliest expiry (Unix seconds) among the tokens
   * left, or null when none are left.
   */
  sweep(limit = 1000) {
    return this.#call('sessions', 'sweep', fromWit.sweepOutcome, limit);
  }

  // moth:auth/settings
  /** The settings in force: the stored ones, else the component's defaults. */
  getSettings() {
    return this.#call('settings', 'getSettings', fromWit.settings);
  }
  /**
   * Store new settings: every field of getSettings() (a missing or
   * misspelt one is MothError 'invalid-input', never a silent 0).
   */
  setSettings(settings) {
    this.#call('settings', 'setSettings', fromWit.none, toWit.settings(settings));
  }

  // moth:auth/email-tokens
  /**
   * Create a token for `address`: `{ token, id, expires }`. Options (each
   * null or absent for its default): `ip` binds the token to that client
   * IP, `lifetime` in seconds (default 900, at most 30 days), `retval` is
   * what authenticating it returns, `uses` how many times it
   * authenticates (default 1).
   */
  createEmailToken(address, options = {}) {
    return this.#call('emailTokens', 'createEmailToken', fromWit.emailToken, address, toWit.emailTokenOptions(options));
  }
  /**
   * Use up `token` of `address` once; returns its retval, or null when it
   * has none (the check passed all the same). Fails with MothError
   * 'invalid-token', 'token-expired' or 'ip-mismatch'.
   */
  authEmailToken(address, token, ip = null) {
    return this.#call('emailTokens', 'authEmailToken', fromWit.optional, address, token, toWit.optional(ip));
  }
  setEmailTokenRetval(address, token, retval) {
    this.#call('emailTokens', 'setEmailTokenRetval', fromWit.none, address, token, toWit.optional(retval));
  }
  removeEmailToken(address, token) {
    this.#call('emailTokens', 'removeEmailToken', fromWit.none, address, token);
  }
  /** The address's live tokens, oldest first: `[{ id, ip, created, expires, usesLeft }]`. */
  listEmailTokens(address) {
    return this.#call('emailTokens', 'listEmailTokens', fromWit.emailTokenInfos, address);
  }
  revokeEmailToken(address, id) {
    this.#call('emailTokens', 'revokeEmailToken', fromWit.none, address, id);
  }
  /** Delete every token of the address; returns how many there were. */
  removeEmailAddress(address) {
    return this.#call('emailTokens', 'removeEmailAddress', fromWit.number, address);
  }

  // moth:auth/api-keys. An owner is `{ user: id }` or `{ service: name }`;
  // a key's metadata is `{ id, owner, name, scopes, created, expires, lastUsed }`
  // (expires and lastUsed null for never).
  /** Create a key: `{ key, info }`; valid for `lifetime` seconds, or until revoked when null. */
  createApiKey(owner, name, scopes = '', lifetime = null) {
    return this.#call(
      'apiKeys',
      'createApiKey',
      fromWit.newApiKey,
      toWit.keyOwner(owner),
      name,
      scopes,
      toWit.optionalU64(lifetime, 'lifetime'),
    );
  }
  /** The metadata of a live key. */
  verifyApiKey(key) {
    return this.#call('apiKeys', 'verifyApiKey', fromWit.apiKey, key);
  }
  /** The metadata of a live key by its id, without using it (its lastUsed stays as it was). */
  getApiKey(id) {
    return this.#call('apiKeys', 'getApiKey', fromWit.apiKey, id);
  }
  listApiKeys(owner) {
    return this.#call('apiKeys', 'listApiKeys', fromWit.apiKeys, toWit.keyOwner(owner));
  }
  revokeApiKey(id) {
    this.#call('apiKeys', 'revokeApiKey', fromWit.none, id);
  }
  /**
   * Replace the key `id` by a new one (`{ key, info }`); the old one dies
   * at once, or after `overlap` seconds (at most 7 days).
   */
  rotateApiKey(id, overlap = 0) {
    return this.#call('apiKeys', 'rotateApiKey', fromWit.newApiKey, id, toWit.u64(overlap, 'overlap'));
  }
  /** Delete every key of the owner; returns how many there were. */
  revokeApiKeys(owner) {
    return this.#call('apiKeys', 'revokeApiKeys', fromWit.number, toWit.keyOwner(owner));
  }

  // moth:auth/one-time-tokens
  /** A single-use token for user `id` and `purpose`: `{ token, expires }` (default lifetime 4 hours). */
  issueOneTimeToken(id, purpose, lifetime = null) {
    return this.#call(
      'oneTimeTokens',
      'issueOneTimeToken',
      fromWit.oneTimeToken,
      toWit.u64(id, 'id'),
      purpose,
      toWit.optionalU64(lifetime, 'lifetime'),
    );
  }
  /** Use up a token of `purpose`; returns its user. */
  redeemOneTimeToken(token, purpose) {
    return this.#call('oneTimeTokens', 'redeemOneTimeToken', fromWit.user, token, purpose);
  }
  /** Use up a 'reset-password' token, set the new password and revoke the user's login tokens; returns the user. */
  resetPassword(token, newPassword) {
    return this.#call('oneTimeTokens', 'resetPassword', fromWit.user, token, newPassword);
  }

  // moth:auth/attempts. A context is `{ source, device }`, each null or
  // absent when unknown: `source` the client's IP address, `device` the
  // device credential a previous loginFrom returned. A log entry is
  // `{ id, time, kind, user, username, source, success, reason }`; a lock
  // subject `{ account: id }`, `{ username }`, `{ source }` or `{ device }`.
  /**
   * login with a context, judged, counted and logged under the lockout
   * rules: `{ session, device }`, where device is the credential to present
   * next time (keep it like a cookie). A lock refuses it with MothError
   * 'locked-out' (its `retryAfter` in seconds), whatever the password.
   */
  loginFrom(username, password, lifetime = null, context = {}) {
    return this.#call(
      'attempts',
      'loginFrom',
      fromWit.loginGrant,
      username,
      password,
      toWit.optionalU64(lifetime, 'lifetime'),
      toWit.loginContext(context),
    );
  }
  /** checkPassword with a context, judged, counted and logged like a login. */
  checkPasswordFrom(username, password, context = {}) {
    return this.#call('attempts', 'checkPasswordFrom', fromWit.same, username, password, toWit.loginContext(context));
  }
  /**
   * Password checks matching `filter` (`{ user, username, source, kind,
   * since, until }`, each optional), newest first: `{ entries, next }`;
   * pass next as `after` for the following page (null after the last).
   */
  listAttempts(filter = {}, { after = null, limit = 100 } = {}) {
    return this.#call('attempts', 'listAttempts', fromWit.logPage, toWit.logFilter(filter), toWit.optional(after), limit);
  }
  /** Account events matching `filter`, newest first, paged as listAttempts. */
  listEvents(filter = {}, { after = null, limit = 100 } = {}) {
    return this.#call('attempts', 'listEvents', fromWit.logPage, toWit.logFilter(filter), toWit.optional(after), limit);
  }
  /**
   * Delete password-check entries (or entries of `kind`) about `username`,
   * strictly older than `olderThan` (Unix seconds), each optional (none
   * empties the attempt log): `{ purged, next }`. One call deletes a
   * bounded number; while next is not null, call again with it as `after`
   * (or use purgeAttemptsAll).
   */
  purgeAttempts(options = {}) {
    const { username, olderThan, kind, after } = fieldsOf(options, ['username', 'olderThan', 'kind', 'after'], 'purge option');
    return this.#call(
      'attempts',
      'purgeAttempts',
      fromWit.purgeOutcome,
      toWit.optional(username),
      toWit.optionalU64(olderThan, 'olderThan'),
      toWit.optionalEventKind(kind),
      toWit.optional(after),
    );
  }
  /** purgeAttempts until nothing more matches; returns how many entries it deleted. */
  purgeAttemptsAll(options = {}) {
    const { username, olderThan, kind } = fieldsOf(options, ['username', 'olderThan', 'kind'], 'purge option');
    let total = 0;
    let after = null;
    do {
      const outcome = this.purgeAttempts({ username, olderThan, kind, after });
      total += outcome.purged;
      after = outcome.next;
    } while (after !== null);
    return total;
  }
  /** The locks in force: `{ locks: [{ subject, until, lockouts }], next }`, paged as listUsers. */
  listLocks({ after = null, limit = 100 } = {}) {
    return this.#call('attempts', 'listLocks', fromWit.lockPage, toWit.optional(after), limit);
  }
  /** Lift the lock of `subject` and forget its failures; returns whether it was locked. */
  unlock(subject) {
    return this.#call('attempts', 'unlock', fromWit.same, toWit.lockSubject(subject));
  }

  // moth:auth/accounts. An account state is `{ enabled, disabledFrom,
  // emailVerified, superuser }`: disabledFrom in Unix seconds, or null for
  // none. A disabled account (enabled false, or disabledFrom passed) cannot
  // log in: the right password gives MothError 'account-disabled', a wrong
  // one 'invalid-password' as for any account.
  /** User `id`'s account state (MothError 'no-user' for an unknown id). */
  getAccountState(id) {
    return this.#call('accounts', 'getAccountState', fromWit.accountState, toWit.u64(id, 'id'));
  }
  /**
   * Replace user `id`'s account state, in one commit: every field of
   * getAccountState() (a missing or misspelt one is MothError
   * 'invalid-input'). Disabling now revokes every session, API key and
   * one-time token of the user; enabling again brings none of them back.
   * A later disabledFrom takes effect at that time.
   */
  setAccountState(id, state) {
    this.#call('accounts', 'setAccountState', fromWit.none, toWit.u64(id, 'id'), toWit.accountState(state));
  }

  // moth:auth/roles. Names of permissions, bundles and groups are 1..=128
  // bytes of [a-z0-9_.:-] (else MothError 'invalid-input'). A role holder
  // is `{ user: id }`, `{ group: name }` or `{ bundle: name }`; a role item
  // `{ group: name }`, `{ bundle: name }` or `{ permission: name }`. A
  // user's effective permissions are the union of what they hold directly,
  // through their bundles, their groups and their groups' bundles (every
  // defined permission for a superuser, see setAccountState). Nothing is
  // cached: a change is seen by the very next check. Independent of the
  // free-form `permissions` string of createUser/setPermissions.
  /** Define a permission (description at most 1024 bytes): `{ name, description }`. MothError 'name-taken' when one has that name. */
  createPermission(name, description = '') {
    return this.#call('roles', 'createPermission', fromWit.permission, name, description);
  }
  /** Every permission, in name order: `[{ name, description }]`. */
  listPermissions() {
    return this.#call('roles', 'listPermissions', fromWit.permissions);
  }
  /** Delete a permission and take it from every bundle, group and user, in one commit; false when there was none. */
  deletePermission(name) {
    return this.#call('roles', 'deletePermission', fromWit.same, name);
  }
  /** Create an empty bundle. MothError 'name-taken' when one has that name. */
  createBundle(name) {
    this.#call('roles', 'createBundle', fromWit.none, name);
  }
  /** Every bundle with its permissions (sorted), in name order: `[{ name, permissions }]`. */
  listBundles() {
    return this.#call('roles', 'listBundles', fromWit.bundles);
  }
  /** Delete a bundle and take it from every group and user, in one commit; false when there was none. */
  deleteBundle(name) {
    return this.#call('roles', 'deleteBundle', fromWit.same, name);
  }
  /** Create a group with no members, permissions or bundles. MothError 'name-taken' when one has that name. */
  createGroup(name) {
    this.#call('roles', 'createGroup', fromWit.none, name);
  }
  /** Every group with what it carries (sorted), in name order: `[{ name, permissions, bundles }]`; its members from groupMembers. */
  listGroups() {
    return this.#call('roles', 'listGroups', fromWit.groups);
  }
  /** Delete a group, removing its members and grants, in one commit; false when there was none. */
  deleteGroup(name) {
    return this.#call('roles', 'deleteGroup', fromWit.same, name);
  }
  /** The ids of a group's members, ascending (MothError 'invalid-input' for no such group). */
  groupMembers(group) {
    return this.#call('roles', 'groupMembers', fromWit.userIds, group);
  }
  /**
   * Make `holder` hold `item`: a user joins a group or is given a bundle
   * or permission (`{ user: id }` with `{ group }`, `{ bundle }` or
   * `{ permission }`), a group is given a bundle or permission, a bundle
   * gets a permission. False when it already held it. Another pairing, or
   * no such permission, bundle or group, is MothError 'invalid-input'; no
   * such user 'no-user'.
   */
  grantRole(holder, item) {
    return this.#call('roles', 'grantRole', fromWit.same, toWit.roleHolder(holder), toWit.roleItem(item));
  }
  /** Stop `holder` holding `item` directly (what it holds through others stays); false when it did not. */
  revokeRole(holder, item) {
    return this.#call('roles', 'revokeRole', fromWit.same, toWit.roleHolder(holder), toWit.roleItem(item));
  }
  /** What user `id` holds directly (sorted), not through groups or bundles: `{ permissions, bundles, groups }`. */
  getUserRoles(id) {
    return this.#call('roles', 'getUserRoles', fromWit.userRoles, toWit.u64(id, 'id'));
  }
  /** User `id`'s effective permissions, sorted. */
  effectivePermissions(id) {
    return this.#call('roles', 'effectivePermissions', fromWit.same, toWit.u64(id, 'id'));
  }
  /** Whether user `id` holds every one of `permissions` (true for none); a permission nobody defined is held by nobody. */
  hasAll(id, permissions) {
    return this.#call('roles', 'hasAll', fromWit.same, toWit.u64(id, 'id'), toWit.names(permissions, 'permissions'));
  }
  /** Whether user `id` holds at least one of `permissions` (false for none). */
  hasAny(id, permissions) {
    return this.#call('roles', 'hasAny', fromWit.same, toWit.u64(id, 'id'), toWit.names(permissions, 'permissions'));
  }
  /** validate the token, then hasAll for its user, in one call (failing as validate does). */
  tokenHasAll(token, permissions) {
    return this.#call('roles', 'tokenHasAll', fromWit.same, token, toWit.names(permissions, 'permissions'));
  }
  /** validate the token, then hasAny for its user, in one call (failing as validate does). */
  tokenHasAny(token, permissions) {
    return this.#call('roles', 'tokenHasAny', fromWit.same, token, toWit.names(permissions, 'permissions'));
  }
  /** validate the token and return its user's effective permissions with it: `{ validation: { user, expires }, permissions }`. */
  validateWithPermissions(token) {
    return this.#call('roles', 'validateWithPermissions', fromWit.validationWithPermissions, token);
  }

  // moth:auth/oauth: an OAuth 2 authorization server (RFC 6749 with PKCE,
  // RFC 7636, RFC 9700); the host does HTTP, every rule is here. A client
  // is `{ id, name, confidential, redirectUris, grantTypes, scopes,
  // created, updated }` (never its secret), a grant type its WIT name
  // ('authorization-code', 'refresh-token', 'client-credentials'), scopes
  // a space-separated string. A client spec is every one of `{ name,
  // confidential, redirectUris, grantTypes, scopes }`. An authorization
  // request is `{ responseType, clientId, redirectUri, scope,
  // codeChallenge, codeChallengeMethod }`, the last four null or absent
  // when the request left them out. A token response is `{ accessToken,
  // expiresIn, refreshToken, scopes }` (token_type is always Bearer), a
  // token info `{ access, clientId, user, username, scopes, expires,
  // issued }` (user and username null for a client acting for itself).
  // The token-endpoint functions take the client's id and secret (null
  // for a public client) and refuse with the RFC 6749 error code as the
  // MothError's code ('invalid-grant', 'invalid-client', ...; see
  // MothError).
  /**
   * Register a client: `{ client, secret }`, the secret shown only here
   * (null for a public client). MothError 'invalid-input' for a spec it
   * refuses.
   */
  registerClient(spec) {
    return this.#call('oauth', 'registerClient', fromWit.newClient, toWit.clientSpec(spec));
  }
  /** The client `id`, or null when there is none. */
  getClient(id) {
    return this.#call('oauth', 'getClient', fromWit.optionalClient, id);
  }
  /**
   * Up to `limit` (1..=100, default 100) clients with ids after `after`,
   * in id order: `{ clients, next }`; pass next as `after` for the
   * following page (null after the last).
   */
  listClients({ after = null, limit = 100 } = {}) {
    return this.#call('oauth', 'listClients', fromWit.clientPage, toWit.optional(after), limit);
  }
  /**
   * Replace a client's name, redirect URIs, grant types and scopes (every
   * field of the spec; not its kind, nor its secret): the client, or null
   * when there is none. MothError 'invalid-input' for a spec it refuses.
   */
  updateClient(id, spec) {
    return this.#call('oauth', 'updateClient', fromWit.optionalClient, id, toWit.clientSpec(spec));
  }
  /**
   * A confidential client's new secret, `{ client, secret }` (null when
   * there is no such client); the old secret stops at once. MothError
   * 'invalid-input' for a public client.
   */
  rotateClientSecret(id) {
    return this.#call('oauth', 'rotateClientSecret', fromWit.optionalNewClient, id);
  }
  /** Delete a client, ending every grant it holds; false when there was none. */
  deleteClient(id) {
    return this.#call('oauth', 'deleteClient', fromWit.same, id);
  }
  /**
   * The lifetimes in force, in seconds: `{ code, access, refreshIdle,
   * refresh, refreshGrace }` (defaults 60, 3600, 14 days, 30 days, 0).
   */
  getOauthLifetimes() {
    return this.#call('oauth', 'getOauthLifetimes', fromWit.lifetimes);
  }
  /**
   * Set the lifetimes of what is issued from now on (every field; code
   * 1..=600, refreshGrace 0..=300, the others at most a year). MothError
   * 'invalid-input' out of range.
   */
  setOauthLifetimes(lifetimes) {
    this.#call('oauth', 'setOauthLifetimes', fromWit.none, toWit.lifetimes(lifetimes));
  }
  /**
   * Check an authorization request before asking the user: `{ client,
   * redirectUri, scopes }`, what the user is asked to consent to. Refused
   * with MothError 'no-redirect' (an unknown client or redirect URI: show
   * the error, never redirect), or with the oauth-error's code and
   * `redirectUri`, where to send it.
   */
  checkAuthorization(request) {
    return this.#callWith(fromWit.authorizeError, 'oauth', 'checkAuthorization', fromWit.authorization, toWit.authorizationRequest(request));
  }
  /**
   * Check the request again, as user `user` (an id) consented to it,
   * remember the consent and issue a single-use code (a string) bound to
   * the client, redirect URI, PKCE challenge, user and scopes. Refused as
   * checkAuthorization; a user who does not exist or is disabled gets
   * 'access-denied' with its `redirectUri`.
   */
  issueCode(request, user) {
    return this.#callWith(
      fromWit.authorizeError,
      'oauth',
      'issueCode',
      fromWit.same,
      toWit.authorizationRequest(request),
      toWit.u64(user, 'user'),
    );
  }
  /**
   * The client of a token-endpoint request: a confidential client with its
   * secret, a public one with `clientSecret` null. MothError
   * 'invalid-client' for anything else.
   */
  authenticateTokenClient(clientId, clientSecret) {
    return this.#callWith(fromWit.oauthError, 'oauth', 'authenticateTokenClient', fromWit.client, clientId, toWit.optional(clientSecret));
  }
  /**
   * The authorization_code grant: a token response. Atomic; any attempt
   * of an authenticated client allowed this grant spends the code (wrong
   * client, expired, redirect URI or verifier mismatch: 'invalid-grant'),
   * and a second redemption revokes what the first issued. `redirectUri`
   * must be the authorization request's if it named one; `codeVerifier`
   * is the PKCE verifier (null when the request had no challenge).
   */
  exchangeCode(clientId, clientSecret, code, redirectUri = null, codeVerifier = null) {
    return this.#callWith(
      fromWit.oauthError,
      'oauth',
      'exchangeCode',
      fromWit.tokenResponse,
      clientId,
      toWit.optional(clientSecret),
      code,
      toWit.optional(redirectUri),
      toWit.optional(codeVerifier),
    );
  }
  /**
   * The refresh_token grant: a token response with a new refresh token
   * (the one presented is spent; presented again, it revokes the grant:
   * 'invalid-grant'). `scope` may narrow the scopes, never widen them.
   */
  refreshGrant(clientId, clientSecret, refreshToken, scope = null) {
    return this.#callWith(
      fromWit.oauthError,
      'oauth',
      'refreshGrant',
      fromWit.tokenResponse,
      clientId,
      toWit.optional(clientSecret),
      refreshToken,
      toWit.optional(scope),
    );
  }
  /**
   * The client_credentials grant, for a confidential client acting for
   * itself: a token response without a refresh token. `scope` null asks
   * for every scope the client may have.
   */
  clientCredentialsGrant(clientId, clientSecret, scope = null) {
    return this.#callWith(
      fromWit.oauthError,
      'oauth',
      'clientCredentialsGrant',
      fromWit.tokenResponse,
      clientId,
      toWit.optional(clientSecret),
      toWit.optional(scope),
    );
  }
  /**
   * Revoke a token of the authenticated client (a refresh token with its
   * whole grant); unknown tokens and other clients' are left alone
   * silently. MothError 'invalid-client' when the client does not
   * authenticate.
   */
  revokeOauthToken(clientId, clientSecret, token) {
    this.#callWith(fromWit.oauthError, 'oauth', 'revokeOauthToken', fromWit.none, clientId, toWit.optional(clientSecret), token);
  }
  /** What an active access or refresh token is (a token info, RFC 7662); null for anything else. */
  introspectToken(token) {
    return this.#call('oauth', 'introspectToken', fromWit.optionalTokenInfo, token);
  }
  /**
   * A resource server's check: `{ ok: tokenInfo }` for an active access
   * token carrying every scope of `requiredScopes` (space-separated; ''
   * for none), else `{ err: 'invalid-token' }` or `{ err:
   * 'insufficient-scope' }` (RFC 6750 §3.1). MothError 'invalid-input'
   * for malformed required scopes. `requiredScopes` has no default: pass
   * '' to accept any active access token.
   */
  authorizeBearer(token, requiredScopes) {
    return this.#call('oauth', 'authorizeBearer', fromWit.bearer, token, toWit.string(requiredScopes, 'requiredScopes'));
  }
  /** Whether user `user` has consented to every scope of `scopes` for the client (the consent page can be skipped). */
  consentCovers(user, clientId, scopes) {
    return this.#call('oauth', 'consentCovers', fromWit.same, toWit.u64(user, 'user'), clientId, scopes);
  }
  /**
   * User `user`'s consents, `[{ clientId, clientName, scopes, since }]`
   * (since: the first consent since the last revocation), clients since
   * deleted left out.
   */
  listConsents(user) {
    return this.#call('oauth', 'listConsents', fromWit.consents, toWit.u64(user, 'user'));
  }
  /** Revoke user `user`'s consent to a client, ending every grant it holds for them; false when there was none. */
  revokeConsent(user, clientId) {
    return this.#call('oauth', 'revokeConsent', fromWit.same, toWit.u64(user, 'user'), clientId);
  }
}

export { AsyncMoth } from './async.js';
