#!/usr/bin/env bash
# Test the npm package as a user gets it: `npm pack` moth-auth, install the
# tarball into a fresh project in a temporary directory, then (a) run an ESM
# example that imports it by name and (b) type-check a TypeScript file that
# uses it by name against the types it ships (strict, nodenext).
#
# Run after `npm install && npm run build` in bindings/js (the TypeScript
# compiler is bindings/js/node_modules/.bin/tsc); from any directory.
# Needs no network: the package has no runtime dependencies.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tsc="$here/node_modules/.bin/tsc"

fail() {
  echo "test-package: $*" >&2
  exit 1
}

[[ -x $tsc ]] || fail "$tsc is missing: run npm install in $here"
[[ -f $here/generated/moth.js ]] || fail "$here/generated is not built: run npm run build in $here"

work="$(mktemp -d "${TMPDIR:-/tmp}/moth-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --- pack -------------------------------------------------------------------

(cd "$here" && npm pack --json --pack-destination "$work" >"$work/pack.json")

# The tarball's name, size and file list, checked for what the package needs
# at run time and for type-checking, and for runtime dependencies (there
# must be none: the install below is offline).
tarball="$(
  node --input-type=module - "$work/pack.json" "$here/package.json" <<'EOF'
import { readFileSync } from 'node:fs';
const [packJson, packageJson] = process.argv.slice(2);
const [pack] = JSON.parse(readFileSync(packJson, 'utf8'));
const files = new Set(pack.files.map((f) => f.path));
const needed = [
  'package.json',
  'src/index.js',
  'src/abi.js',
  'src/stores.js',
  'src/async.js',
  'src/worker.js',
  'types/index.d.ts',
  'generated/moth.js',
  'generated/moth.core.wasm',
  'generated/moth.core2.wasm',
  'generated/moth.core3.wasm',
];
const missing = needed.filter((f) => !files.has(f));
if (missing.length) {
  console.error(`test-package: the tarball lacks ${missing.join(', ')}`);
  process.exit(1);
}
const pkg = JSON.parse(readFileSync(packageJson, 'utf8'));
for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'bundleDependencies', 'bundledDependencies']) {
  const deps = pkg[field];
  if (deps && (Array.isArray(deps) ? deps.length : Object.keys(deps).length)) {
    console.error(`test-package: package.json has ${field} (${JSON.stringify(deps)}); the package must have no runtime dependencies`);
    process.exit(1);
  }
}
console.error(`test-package: packed ${pack.filename}: ${pack.entryCount} files, ${pack.size} bytes (${pack.unpackedSize} unpacked)`);
console.log(pack.filename);
EOF
)"

# --- a fresh project ----------------------------------------------------------

app="$work/app"
mkdir "$app"
cd "$app"
npm init -y >/dev/null
npm pkg set type=module
npm pkg set private=true --json
npm install --offline --no-audit --no-fund --loglevel=error "$work/$tarball" >/dev/null

installed="$(cd node_modules && find . -mindepth 1 -maxdepth 1 ! -name '.*' | sort | tr '\n' ' ')"
[[ $installed == "./moth-auth " ]] || fail "the install brought more than moth-auth: $installed"
echo "test-package: installed $tarball into a fresh project (node_modules: moth-auth only)"

# --- (a) run an example --------------------------------------------------------

cat >example.mjs <<'EOF'
import assert from 'node:assert/strict';
import { Moth, AsyncMoth, MemoryStore, MothError } from 'moth-auth';

// Resolved from this project's node_modules, not from the source tree.
const resolved = import.meta.resolve('moth-auth');
assert.ok(resolved.startsWith(new URL('node_modules/moth-auth/', import.meta.url).href), resolved);

const moth = await Moth.open({ store: new MemoryStore() });
const ann = moth.createUser('ann', 'correct horse battery', 'admin');
assert.deepEqual(ann, { id: 1, username: 'ann', permissions: 'admin' });

const session = moth.login('ann', 'correct horse battery');
assert.equal(typeof session.token, 'string');
const now = Math.floor(Date.now() / 1000);
assert.ok(session.expires > now, `expires ${session.expires}`);

const validation = moth.validate(session.token);
assert.deepEqual(validation, { user: ann, expires: session.expires });

let error;
try {
  moth.login('ann', 'wrong password');
} catch (e) {
  error = e;
}
assert.ok(error instanceof MothError, `expected a MothError, got ${error}`);
assert.equal(error.code, 'invalid-password');
assert.equal(error.detail, undefined);

// The same through AsyncMoth: the component in a worker thread (its
// src/worker.js resolved inside the installed package).
const asyncMoth = await AsyncMoth.open({ store: { kind: 'memory' } });
await asyncMoth.createUser('ann', 'correct horse battery', 'admin');
const asyncSession = await asyncMoth.login('ann', 'correct horse battery');
const asyncValidation = await asyncMoth.validate(asyncSession.token);
const asyncError = await asyncMoth.login('ann', 'wrong password').catch((e) => e);
assert.ok(asyncError instanceof MothError, `expected a MothError, got ${asyncError}`);
await asyncMoth.close();

console.log(JSON.stringify({ validated: validation.user, wrongPassword: error.code, asyncValidated: asyncValidation.user, asyncWrongPassword: asyncError.code }));
EOF

out="$(node example.mjs)"
expected='{"validated":{"id":1,"username":"ann","permissions":"admin"},"wrongPassword":"invalid-password","asyncValidated":{"id":1,"username":"ann","permissions":"admin"},"asyncWrongPassword":"invalid-password"}'
[[ $out == "$expected" ]] || fail "example.mjs printed $out, expected $expected"
echo "test-package: example.mjs: $out"

# --- (b) type-check a TypeScript user ------------------------------------------

cat >check.ts <<'EOF'
import {
  Moth,
  AsyncMoth,
  MothError,
  MemoryStore,
  FileStore,
  ManualClock,
  systemClock,
  type AccountState,
  type ApiKey,
  type AsyncMothOptions,
  type Clock,
  type EventKind,
  type KeyOwner,
  type LockSubject,
  type LogPage,
  type MothErrorCode,
  type Session,
  type Settings,
  type Store,
  type User,
  type Validation,
} from 'moth-auth';

// A store of one's own satisfies Store.
class LoggingStore implements Store {
  inner = new MemoryStore();
  get(key: Uint8Array) {
    return this.inner.get(key);
  }
  scan(start: Uint8Array, end: Uint8Array, limit: number) {
    return this.inner.scan(start, end, limit);
  }
  commit(guards: Parameters<Store['commit']>[0], writes: Parameters<Store['commit']>[1]) {
    this.inner.commit(guards, writes);
  }
}

const clock: Clock = new ManualClock(1_000_000);
const fallback: Clock = systemClock;
const moth: Moth = await Moth.open({ store: new LoggingStore(), clock });
const other: Moth = await Moth.open();
void [fallback, other, FileStore];

const settings: Settings = moth.getSettings();
moth.setSettings({ ...settings, allowWeakHashing: true, argon2MemoryKib: 8, argon2Iterations: 1 });

const ann: User = moth.createUser('ann', 'correct horse battery');
const id: number = ann.id;
const session: Session = moth.login('ann', 'correct horse battery', null);
const validation: Validation = moth.validate(session.token);
const expires: number = validation.expires;
const next: number | null = moth.listUsers({ limit: 10 }).next;
const swept: number | null = moth.sweep().nextExpiry;
void [id, expires, next, swept];

const owner: KeyOwner = { user: ann.id };
const key: ApiKey = moth.createApiKey(owner, 'ci', 'read', null).info;
const lastUsed: number | null = key.lastUsed;
if ('service' in key.owner) {
  const service: string = key.owner.service;
  void service;
} else {
  const user: number = key.owner.user;
  void user;
}
void lastUsed;

const page: LogPage = moth.listEvents({ kind: 'account-locked' }, { limit: 5 });
const kinds: EventKind[] = page.entries.map((e) => e.kind);
const cursor: string | null = page.next;
void [kinds, cursor];

for (const lock of moth.listLocks().locks) {
  const subject: LockSubject = lock.subject;
  moth.unlock(subject);
}

const state: AccountState = moth.getAccountState(ann.id);
moth.setAccountState(ann.id, { ...state, disabledFrom: null });

moth.grantRole({ user: ann.id }, { permission: 'posts.read' });
const allowed: boolean = moth.tokenHasAll(session.token, ['posts.read']);
const members: number[] = moth.groupMembers('editors');
void [allowed, members];

const grant = moth.loginFrom('ann', 'correct horse battery', null, { source: '203.0.113.9' });
const device: string = grant.device;
void device;

try {
  moth.login('ann', 'wrong');
} catch (e) {
  if (e instanceof MothError) {
    const code: MothErrorCode = e.code;
    const detail: string | undefined = e.detail;
    const retryAfter: number | undefined = e.retryAfter;
    void [code, detail, retryAfter];
  }
}
const locked = MothError.lockedOut(30);
const seconds: number = locked.retryAfter;
void seconds;

// AsyncMoth: Moth's methods as Promises, over a store description.
const options: AsyncMothOptions = { store: { kind: 'file', path: 'moth.log' }, clock: { kind: 'manual', at: 1_000_000 } };
const asyncMoth: AsyncMoth = await AsyncMoth.open(options);
const bob: User = await asyncMoth.createUser('bob', 'correct horse battery');
const pendingSession: Promise<Session> = asyncMoth.login('bob', 'correct horse battery', null);
const asyncAllowed: boolean = await asyncMoth.tokenHasAll((await pendingSession).token, ['posts.read']);
const asyncPage: LogPage = await asyncMoth.listEvents({ kind: 'account-locked' }, { limit: 5 });
await asyncMoth.advanceClock(60);
await asyncMoth.injectStoreFault(null);
await asyncMoth.close();
void [bob, asyncAllowed, asyncPage];

// What the types must refuse (each line an error, or tsc fails on the
// unused directive): so the package's types are there, and are not `any`.
// @ts-expect-error: an id is a number
moth.getUser('1');
// @ts-expect-error: a user's id is a number
const wrong: string = ann.id;
// @ts-expect-error: no such event kind
moth.listEvents({ kind: 'logged-in' });
// @ts-expect-error: an owner is { user } or { service }
moth.listApiKeys({ group: 'x' });
// @ts-expect-error: no such error code
const nocode: MothErrorCode = 'wrong-password';
// @ts-expect-error: setSettings takes every field
moth.setSettings({ minPasswordLength: 12 });
// @ts-expect-error: setAccountState takes every field
moth.setAccountState(ann.id, { enabled: true });
// @ts-expect-error: Moth is made by Moth.open
new Moth();
// @ts-expect-error: no such method
moth.createUsers('bob', 'pw');
// @ts-expect-error: AsyncMoth takes a store description, not a store
void AsyncMoth.open({ store: new MemoryStore() });
// @ts-expect-error: AsyncMoth's results are Promises
const notYet: User = asyncMoth.getUser(1);
// @ts-expect-error: an id is a number through AsyncMoth too
void asyncMoth.getUser('1');
// @ts-expect-error: AsyncMoth is made by AsyncMoth.open
new AsyncMoth();
void [wrong, nocode, notYet];
EOF

"$tsc" --noEmit --strict --module nodenext --moduleResolution nodenext --target es2022 --lib es2022 check.ts
echo "test-package: check.ts type-checks against the packaged types (tsc $("$tsc" --version | sed 's/^Version //'), strict, nodenext)"

echo "test-package: ok"
