// Types for moth-auth (src/index.js and src/stores.js), written by hand to
// match the shapes src/index.js converts to and from (its toWit/fromWit
// tables) and the WIT in wit/*.wit. Ids, counts and times are numbers
// (times in Unix seconds); a WIT `option` that is none comes back as null.

// ---------------------------------------------------------------------------
// Errors

/** The cases of the WIT variant `error` (wit/types.wit). */
export type WitErrorCode =
  | 'no-user'
  | 'invalid-password'
  | 'user-exists'
  | 'invalid-token'
  | 'token-expired'
  | 'ip-mismatch'
  | 'name-taken'
  | 'limit-reached'
  | 'locked-out'
  | 'account-disabled'
  | 'invalid-input'
  | 'storage';

/**
 * The cases of the WIT variant `oauth-error` (wit/oauth.wit): RFC 6749's
 * error codes, with `-` for `_`.
 */
export type OauthErrorCode =
  | 'invalid-request'
  | 'invalid-client'
  | 'invalid-grant'
  | 'unauthorized-client'
  | 'invalid-scope'
  | 'unsupported-response-type'
  | 'unsupported-grant-type'
  | 'access-denied'
  | 'server-error';

/**
 * A MothError's `code`: a WIT error case; an oauth-error case (the OAuth
 * protocol functions); 'no-redirect' (an authorization request whose
 * client or redirect URI is unknown or invalid); or 'component-trap' when
 * the component trapped.
 */
export type MothErrorCode = WitErrorCode | OauthErrorCode | 'no-redirect' | 'component-trap';

/**
 * An error from moth. `code` is the WIT error case, or 'component-trap'
 * when the component trapped (then `cause` is what was thrown, and the
 * instance has already been replaced by a fresh one). `detail` is the
 * case's text when it has one: 'limit-reached', 'invalid-input', 'storage',
 * 'component-trap', and 'locked-out' ('retry in N seconds'); undefined for
 * the others. `message` is `code`, or `code: detail`.
 *
 * The OAuth token-endpoint functions (authenticateTokenClient,
 * exchangeCode, refreshGrant, clientCredentialsGrant, revokeOauthToken)
 * refuse with an oauth-error case as `code` (`detail`, RFC 6749's
 * error_description, for 'invalid-request', 'invalid-grant',
 * 'invalid-scope' and 'server-error'). checkAuthorization and issueCode
 * refuse with 'no-redirect' (`detail` why: show it to the user, never
 * redirect), or with an oauth-error case and `redirectUri`, where to send
 * that error.
 */
export declare class MothError extends Error {
  constructor(code: MothErrorCode, detail?: string, options?: { cause?: unknown });
  name: 'MothError';
  code: MothErrorCode;
  detail: string | undefined;
  /** Set on a 'locked-out' error only: how many more seconds the lock holds (a Retry-After). */
  retryAfter?: number;
  /**
   * Set on an authorization request's refusal that goes to the client:
   * the redirect URI to send the error (`code`, `detail`) to.
   */
  redirectUri?: string;
  cause?: unknown;
  /** The 'locked-out' error for a lock that ends in `seconds`. */
  static lockedOut(seconds: number): LockedOutError;
  /** The error `code` (an oauth-error case, with its `detail`) to send to `redirectUri`. */
  static redirect(redirectUri: string, code: OauthErrorCode, detail?: string): RedirectedError;
}

/** A MothError with code 'locked-out', as `MothError.lockedOut` makes it. */
export type LockedOutError = MothError & { code: 'locked-out'; detail: string; retryAfter: number };

/** An authorization request's refusal to send to the client's redirect URI, as `MothError.redirect` makes it. */
export type RedirectedError = MothError & { code: OauthErrorCode; redirectUri: string };

// ---------------------------------------------------------------------------
// Clocks

/** A wasi:clocks/wall-clock datetime: seconds (a bigint) and nanoseconds. */
export interface Datetime {
  seconds: bigint;
  nanoseconds: number;
}

/** What `Moth.open` takes as `clock`: the component's wall clock. */
export interface Clock {
  now(): Datetime;
  resolution(): Datetime;
}

/** The system clock (the default). */
export declare const systemClock: Clock;

/** A clock that moves only when told to (for tests). */
export declare class ManualClock implements Clock {
  constructor(seconds: number | bigint);
  /** The current time in Unix seconds. */
  seconds: bigint;
  advance(seconds: number | bigint): void;
  now(): Datetime;
  resolution(): Datetime;
}

// ---------------------------------------------------------------------------
// Stores (the component's moth:auth/store import)

/** A commit's precondition: `key`'s value equals `expect`, or `key` is absent when `expect` is undefined. */
export interface StoreGuard {
  key: Uint8Array;
  expect?: Uint8Array;
}

/** One change of a commit: set `key` to `value`, or delete it when `value` is undefined. */
export interface StoreWrite {
  key: Uint8Array;
  value?: Uint8Array;
}

/** A stored key and its value. */
export interface StoreEntry {
  key: Uint8Array;
  value: Uint8Array;
}

/**
 * What a store throws to report a failure (the WIT store-error). `commit`
 * throws `{ tag: 'conflict' }` when a guard does not hold; anything else a
 * store throws traps the call (MothError 'component-trap').
 */
export type StoreError = { tag: 'conflict' } | { tag: 'failure'; val: string };

/**
 * An ordered key-value store with guarded atomic commits; keys compare as
 * unsigned bytes. MemoryStore and FileStore are two; any object with these
 * methods will do.
 */
export interface Store {
  /** The value stored under `key`, or undefined. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** Up to `limit` entries with `start <= key < end`, in ascending key order. */
  scan(start: Uint8Array, end: Uint8Array, limit: number): StoreEntry[];
  /** Apply every write atomically iff every guard holds, durably, before returning. */
  commit(guards: StoreGuard[], writes: StoreWrite[]): void;
}

/** An in-memory store: a sorted array of keys and a map of values. */
export declare class MemoryStore implements Store {
  constructor();
  /** The keys, sorted. */
  keys: Uint8Array[];
  /** The values, by hex key. */
  values: Map<string, Uint8Array>;
  get(key: Uint8Array): Uint8Array | undefined;
  scan(start: Uint8Array, end: Uint8Array, limit: number): StoreEntry[];
  commit(guards: StoreGuard[], writes: StoreWrite[]): void;
  /** Apply writes without guards (also used when replaying a log). */
  apply(writes: StoreWrite[]): void;
}

/**
 * A durable store: the in-memory store plus an append-only log file at
 * `path`, replayed at open; each commit is one line, written and fsynced
 * before the commit returns. The constructor throws an Error when a line
 * other than the last is not a record.
 */
export declare class FileStore extends MemoryStore {
  constructor(path: string);
  /** The log's file descriptor. */
  fd: number;
  /** The log's length in bytes up to its last whole record. */
  size: number;
  /** Close the log file. */
  close(): void;
}

// ---------------------------------------------------------------------------
// Values

/** A user account (never its password hash). `permissions` is a free-form string moth does not read. */
export interface User {
  id: number;
  username: string;
  permissions: string;
}

/** One page of users in id order; pass `next` as `after` for the next page (null after the last). */
export interface UserPage {
  users: User[];
  next: number | null;
}

/** A login session: the token (shown only here), its user and its expiry. */
export interface Session {
  token: string;
  user: User;
  expires: number;
}

/** What `validate` learns from a live token. */
export interface Validation {
  user: User;
  expires: number;
}

/** A live session as `listSessions` shows it: never its token. */
export interface SessionInfo {
  /** The token's public id (16 lower-case hex digits), for `revokeSession`. */
  id: string;
  /** null for a token minted before moth recorded creation times. */
  created: number | null;
  expires: number;
  /** The client address its login came from, or null. */
  source: string | null;
  /** The public id of its device credential (32 hex digits), or null. */
  device: string | null;
}

/** What one `sweep` did: how many tokens it deleted, and the earliest expiry left (null when none). */
export interface SweepOutcome {
  deleted: number;
  nextExpiry: number | null;
}

/**
 * The settings record (wit/settings.wit), in camelCase. Every field is
 * required by `setSettings`: start from `getSettings()` to change one.
 */
export interface Settings {
  argon2MemoryKib: number;
  argon2Iterations: number;
  argon2Parallelism: number;
  defaultTokenLifetime: number;
  allowWeakHashing: boolean;
  maxTokensPerUser: number;
  minPasswordLength: number;
  refuseCommonPasswords: boolean;
  lockoutThreshold: number;
  lockoutWindow: number;
  lockoutDuration: number;
  lockoutMaxDuration: number;
  sourceLockoutThreshold: number;
  sourceLockoutWindow: number;
  sourceLockoutDuration: number;
  logRetention: number;
}

/** How a new email token behaves; each field null or absent for its default. */
export interface EmailTokenOptions {
  /** Bind the token to this client IP address. */
  ip?: string | null;
  /** Seconds until it expires (1..=2592000; default 900). */
  lifetime?: number | null;
  /** What authenticating it returns (at most 4096 bytes). */
  retval?: string | null;
  /** How many times it authenticates (1..=1000; default 1). */
  uses?: number | null;
}

/** A new email token: the secret (shown only here), its public id and its expiry. */
export interface EmailToken {
  token: string;
  id: string;
  expires: number;
}

/** An email token as listing shows it: never its secret nor its retval. */
export interface EmailTokenInfo {
  id: string;
  /** The IP address it is bound to, or null. */
  ip: string | null;
  created: number;
  expires: number;
  usesLeft: number;
}

/** Who an API key acts for: a user by id, or a service by name. */
export type KeyOwner = { user: number } | { service: string };

/** An API key's metadata: never its secret. */
export interface ApiKey {
  /** The key's public id (16 hex digits). */
  id: string;
  owner: KeyOwner;
  name: string;
  scopes: string;
  created: number;
  /** null: never expires. */
  expires: number | null;
  /** null: never used. */
  lastUsed: number | null;
}

/** A new API key: the secret (shown only here) and its metadata. */
export interface NewApiKey {
  key: string;
  info: ApiKey;
}

/** A new one-time token: the secret (shown only here) and its expiry. */
export interface OneTimeToken {
  token: string;
  expires: number;
}

/** A one-time token's purpose: moth's own two, or any other of 1..=64 bytes of [a-z0-9-]. */
export type OneTimeTokenPurpose = 'reset-password' | 'verify-email' | (string & {});

/** What the host knows about a password check; each field null or absent when unknown. */
export interface LoginContext {
  /** The client's IP address. */
  source?: string | null;
  /** The device credential an earlier `loginFrom` returned. */
  device?: string | null;
}

/** A successful `loginFrom`: the session, and the device credential to present next time (keep it like a cookie). */
export interface LoginGrant {
  session: Session;
  device: string;
}

/** The cases of the WIT enum event-kind (wit/attempts.wit). */
export type EventKind =
  | 'login'
  | 'check-password'
  | 'reset-password'
  | 'account-locked'
  | 'unlocked'
  | 'source-blocked'
  | 'device-locked'
  | 'password-changed'
  | 'sessions-revoked'
  | 'api-key-created'
  | 'api-key-revoked'
  | 'one-time-token-created'
  | 'account-disabled'
  | 'account-enabled';

/** One attempt or event of the log. */
export interface LogEntry {
  /** Orders entries; pass as `after` to page on. */
  id: string;
  time: number;
  kind: EventKind;
  /** The user it is about, or null. */
  user: number | null;
  username: string;
  source: string | null;
  success: boolean;
  reason: string;
}

/** Which log entries a query selects; every field given (not null) must match. */
export interface LogFilter {
  user?: number | null;
  username?: string | null;
  source?: string | null;
  kind?: EventKind | null;
  /** At or after, Unix seconds. */
  since?: number | null;
  /** At or before, Unix seconds. */
  until?: number | null;
}

/** Paging for `listAttempts`, `listEvents` and `listLocks`. */
export interface CursorPaging {
  /** The previous page's `next`; null or absent for the first page. */
  after?: string | null;
  /** 1..=1000; default 100. */
  limit?: number;
}

/** One page of log entries, newest first; `next` is null after the last. */
export interface LogPage {
  entries: LogEntry[];
  next: string | null;
}

/** What `purgeAttemptsAll` deletes; each field null or absent for any. */
export interface PurgeFilter {
  username?: string | null;
  /** Strictly older than, Unix seconds. */
  olderThan?: number | null;
  /** Entries of this kind; password-check entries when absent. */
  kind?: EventKind | null;
}

/** What `purgeAttempts` deletes, and where to go on from. */
export interface PurgeOptions extends PurgeFilter {
  /** The previous outcome's `next`. */
  after?: string | null;
}

/** What one `purgeAttempts` did; call again with `next` as `after` while it is not null. */
export interface PurgeOutcome {
  purged: number;
  next: string | null;
}

/** What a lock holds back: an account by user id, a username, a source address, or a device (its public id). */
export type LockSubject = { account: number } | { username: string } | { source: string } | { device: string };

/** A lock in force. */
export interface Lock {
  subject: LockSubject;
  /** When it ends, Unix seconds. */
  until: number;
  /** How many lockouts in a row led to it. */
  lockouts: number;
}

/** One page of locks in force; `next` is null after the last. */
export interface LockPage {
  locks: Lock[];
  next: string | null;
}

/**
 * An account's state (wit/accounts.wit). Every field is required by
 * `setAccountState`: start from `getAccountState()` to change one.
 */
export interface AccountState {
  enabled: boolean;
  /** Unix seconds from which the account counts as disabled, or null for none. */
  disabledFrom: number | null;
  emailVerified: boolean;
  superuser: boolean;
}

/** A named permission. */
export interface Permission {
  name: string;
  description: string;
}

/** A bundle and its permissions (sorted). */
export interface Bundle {
  name: string;
  permissions: string[];
}

/** A group and what it carries (sorted); its members come from `groupMembers`. */
export interface Group {
  name: string;
  permissions: string[];
  bundles: string[];
}

/** What a user holds directly (sorted). */
export interface UserRoles {
  permissions: string[];
  bundles: string[];
  groups: string[];
}

/** Who holds a grant. */
export type RoleHolder = { user: number } | { group: string } | { bundle: string };

/** What a grant gives. */
export type RoleItem = { group: string } | { bundle: string } | { permission: string };

/** A validation with the token's user's effective permissions (sorted). */
export interface ValidationWithPermissions {
  validation: Validation;
  permissions: string[];
}

/** A grant type a client may use (there is no implicit and no password grant). */
export type GrantType = 'authorization-code' | 'refresh-token' | 'client-credentials';

/** What a client is registered or updated with: every field required. */
export interface ClientSpec {
  /** Shown on the consent page: 1..=256 bytes, no control characters. */
  name: string;
  /** Whether it holds a secret; fixed at registration (ignored by `updateClient`). */
  confidential: boolean;
  /**
   * At most 16, matched exactly: https; http only on 127.0.0.1 or [::1]
   * (any port matches); or a private-use scheme with a period
   * (com.example.app:/cb). No fragments. At least one for 'authorization-code'.
   */
  redirectUris: string[];
  /** At least one; 'client-credentials' needs a confidential client, 'refresh-token' 'authorization-code'. */
  grantTypes: GrantType[];
  /** The scopes it may ask for, space-separated. */
  scopes: string;
}

/** A registered OAuth client: never its secret. */
export interface OauthClient {
  /** Its client_id: 32 lower-case hex digits. */
  id: string;
  name: string;
  confidential: boolean;
  redirectUris: string[];
  grantTypes: GrantType[];
  /** Normalised: sorted, single spaces. */
  scopes: string;
  /** Unix seconds of its registration. */
  created: number;
  /** Unix seconds of its last update or secret rotation. */
  updated: number;
}

/** A client with its new secret, shown only here (null for a public client). */
export interface NewOauthClient {
  client: OauthClient;
  secret: string | null;
}

/** One page of clients in id order; pass `next` as `after` for the next page (null after the last). */
export interface OauthClientPage {
  clients: OauthClient[];
  next: string | null;
}

/** Paging for `listClients`. */
export interface OauthClientPaging {
  /** The previous page's `next`; null or absent for the first page. */
  after?: string | null;
  /** 1..=100; default 100. */
  limit?: number;
}

/** How long what a grant issues lives, in seconds. Every field is required by `setOauthLifetimes`. */
export interface OauthLifetimes {
  /** An authorization code: 1..=600 (default 60). */
  code: number;
  /** An access token (default 3600). */
  access: number;
  /** A refresh token left unused (default 14 days). */
  refreshIdle: number;
  /** A grant's refresh tokens in all, however often refreshed (default 30 days). Each at most a year. */
  refresh: number;
  /** For how long after a refresh the refresh token it used may still be used, each use giving another live sibling, so refreshes racing with one token all succeed: 0..=300 whole seconds (default 0: a used token presented again revokes the grant). */
  refreshGrace: number;
}

/** An authorization request's parameters (RFC 6749 §4.1.1, RFC 7636); each optional one null or absent when the request left it out. */
export interface AuthorizationRequest {
  /** Must be 'code'. */
  responseType: string;
  clientId: string;
  /** May be left out when the client has exactly one. */
  redirectUri?: string | null;
  /** Left out: every scope the client may ask for. */
  scope?: string | null;
  /** Required for public clients. */
  codeChallenge?: string | null;
  /** 'S256'; 'plain' is refused. */
  codeChallengeMethod?: string | null;
}

/** A checked authorization request: what the user is asked to consent to. */
export interface Authorization {
  client: OauthClient;
  /** Where the answer goes. */
  redirectUri: string;
  /** The scopes asked for, space-separated. */
  scopes: string;
}

/** What the token endpoint answers (RFC 6749 §5.1; token_type is always Bearer). */
export interface TokenResponse {
  accessToken: string;
  expiresIn: number;
  /** null when the grant has no refresh token (client credentials, or a client without 'refresh-token'). */
  refreshToken: string | null;
  /** The scopes the access token carries, space-separated. */
  scopes: string;
}

/** An active token, as introspection tells it (RFC 7662 §2.2). */
export interface TokenInfo {
  /** An access token (else a refresh token). */
  access: boolean;
  clientId: string;
  /** null for a client acting for itself. */
  user: number | null;
  username: string | null;
  scopes: string;
  /** exp, Unix seconds. */
  expires: number;
  /** iat, Unix seconds. */
  issued: number;
}

/** Why a resource server refuses a bearer token (RFC 6750 §3.1). */
export type BearerError = 'invalid-token' | 'insufficient-scope';

/** What `authorizeBearer` answers: the token's info, or why it is refused. */
export type BearerCheck = { ok: TokenInfo } | { err: BearerError };

/** A user's consent to a client. */
export interface Consent {
  clientId: string;
  clientName: string;
  scopes: string;
  /** Unix seconds of the first consent since the last revocation. */
  since: number;
}

/** What `Moth.open` takes. */
export interface MothOptions {
  /** Default: a new MemoryStore. */
  store?: Store;
  /** Default: systemClock. */
  clock?: Clock;
  /** Stored first when given (every field). */
  settings?: Settings;
}

// ---------------------------------------------------------------------------
// Moth

/**
 * The moth:auth component over a store. Every method is synchronous and
 * fails with a MothError. A call that traps inside the component fails
 * with code 'component-trap'; the instance is replaced at once, so the
 * next call works.
 */
export declare class Moth {
  /** Use `Moth.open`. */
  private constructor();

  /** Load the component over `store` (default a new MemoryStore). */
  static open(options?: MothOptions): Promise<Moth>;

  // moth:auth/users
  /** Errors: 'user-exists', 'invalid-input' (including the password policy). */
  createUser(username: string, password: string, permissions?: string): User;
  deleteUser(id: number): void;
  getUser(id: number): User;
  /** Up to `limit` users (1..=1000, default 100) with ids greater than `after`, in id order. */
  listUsers(options?: { after?: number | null; limit?: number }): UserPage;
  setPassword(id: number, password: string): void;
  setPermissions(id: number, permissions: string): void;
  /** Whether `password` is the user's, without logging in (counted like a login). */
  checkPassword(username: string, password: string): boolean;

  // moth:auth/sessions
  /** Check the password and mint a token valid for `lifetime` seconds (the default lifetime when null or absent). */
  login(username: string, password: string, lifetime?: number | null): Session;
  /** The user and expiry behind a live token. Errors: 'invalid-token', 'token-expired'. */
  validate(token: string): Validation;
  logout(token: string): void;
  countTokens(id: number): number;
  /** Revoke every token of the user; returns how many were live. */
  deleteTokens(id: number): number;
  /** The user's live sessions, oldest first. */
  listSessions(id: number): SessionInfo[];
  /** End one of the user's sessions by its id (from `listSessions`). */
  revokeSession(id: number, session: string): void;
  /** End every session of the token's user but its own; returns how many. */
  revokeOtherSessions(token: string): number;
  /** Delete up to `limit` (1..=10000, default 1000) expired or revoked tokens. */
  sweep(limit?: number): SweepOutcome;

  // moth:auth/settings
  /** The settings in force: the stored ones, else the defaults. */
  getSettings(): Settings;
  /** Store new settings: every field (a missing or misspelt one is MothError 'invalid-input'). */
  setSettings(settings: Settings): void;

  // moth:auth/email-tokens
  createEmailToken(address: string, options?: EmailTokenOptions): EmailToken;
  /**
   * Use up `token` of `address` once; returns its retval, or null when it
   * has none. Errors: 'invalid-token', 'token-expired', 'ip-mismatch', 'invalid-input'.
   */
  authEmailToken(address: string, token: string, ip?: string | null): string | null;
  /** Replace the retval of one token (null: none). */
  setEmailTokenRetval(address: string, token: string, retval: string | null): void;
  removeEmailToken(address: string, token: string): void;
  /** The address's live tokens, oldest first. */
  listEmailTokens(address: string): EmailTokenInfo[];
  revokeEmailToken(address: string, id: string): void;
  /** Delete every token of the address; returns how many there were. */
  removeEmailAddress(address: string): number;

  // moth:auth/api-keys
  /** Create a key, valid for `lifetime` seconds, or until revoked when null or absent. */
  createApiKey(owner: KeyOwner, name: string, scopes?: string, lifetime?: number | null): NewApiKey;
  /** The metadata of a live key (records its use). */
  verifyApiKey(key: string): ApiKey;
  /** The metadata of a live key by its id, without using it. */
  getApiKey(id: string): ApiKey;
  listApiKeys(owner: KeyOwner): ApiKey[];
  revokeApiKey(id: string): void;
  /** Replace key `id` by a new one; the old one dies at once, or after `overlap` seconds (at most 604800). */
  rotateApiKey(id: string, overlap?: number): NewApiKey;
  /** Delete every key of the owner; returns how many there were. */
  revokeApiKeys(owner: KeyOwner): number;

  // moth:auth/one-time-tokens
  /** A single-use token for user `id` and `purpose` (default lifetime 4 hours). */
  issueOneTimeToken(id: number, purpose: OneTimeTokenPurpose, lifetime?: number | null): OneTimeToken;
  /** Use up a token of `purpose`; returns its user. */
  redeemOneTimeToken(token: string, purpose: OneTimeTokenPurpose): User;
  /** Use up a 'reset-password' token and set the new password; returns the user. */
  resetPassword(token: string, newPassword: string): User;

  // moth:auth/attempts
  /** `login` with a context, under the lockout rules. A lock refuses it with a 'locked-out' MothError (see `retryAfter`). */
  loginFrom(username: string, password: string, lifetime?: number | null, context?: LoginContext): LoginGrant;
  /** `checkPassword` with a context, under the lockout rules. */
  checkPasswordFrom(username: string, password: string, context?: LoginContext): boolean;
  /** Password checks matching `filter`, newest first. */
  listAttempts(filter?: LogFilter, paging?: CursorPaging): LogPage;
  /** Account events matching `filter`, newest first. */
  listEvents(filter?: LogFilter, paging?: CursorPaging): LogPage;
  /** Delete a bounded number of matching log entries; go on with `next` while it is not null. */
  purgeAttempts(options?: PurgeOptions): PurgeOutcome;
  /** `purgeAttempts` until nothing more matches; returns how many entries it deleted. */
  purgeAttemptsAll(options?: PurgeFilter): number;
  /** The locks in force. */
  listLocks(paging?: CursorPaging): LockPage;
  /** Lift the lock of `subject` and forget its failures; returns whether it was locked. */
  unlock(subject: LockSubject): boolean;

  // moth:auth/accounts
  getAccountState(id: number): AccountState;
  /** Replace user `id`'s account state: every field. Disabling revokes every session, API key and one-time token. */
  setAccountState(id: number, state: AccountState): void;

  // moth:auth/roles
  /** Define a permission. Errors: 'name-taken', 'limit-reached', 'invalid-input'. */
  createPermission(name: string, description?: string): Permission;
  listPermissions(): Permission[];
  /** false when there was none. */
  deletePermission(name: string): boolean;
  createBundle(name: string): void;
  listBundles(): Bundle[];
  /** false when there was none. */
  deleteBundle(name: string): boolean;
  createGroup(name: string): void;
  listGroups(): Group[];
  /** false when there was none. */
  deleteGroup(name: string): boolean;
  /** The ids of a group's members, ascending. */
  groupMembers(group: string): number[];
  /** Make `holder` hold `item`; false when it already did. */
  grantRole(holder: RoleHolder, item: RoleItem): boolean;
  /** Stop `holder` holding `item` directly; false when it did not. */
  revokeRole(holder: RoleHolder, item: RoleItem): boolean;
  /** What user `id` holds directly. */
  getUserRoles(id: number): UserRoles;
  /** User `id`'s effective permissions, sorted. */
  effectivePermissions(id: number): string[];
  /** Whether user `id` holds every one of `permissions` (true for none). */
  hasAll(id: number, permissions: readonly string[]): boolean;
  /** Whether user `id` holds at least one of `permissions` (false for none). */
  hasAny(id: number, permissions: readonly string[]): boolean;
  tokenHasAll(token: string, permissions: readonly string[]): boolean;
  tokenHasAny(token: string, permissions: readonly string[]): boolean;
  /** Validate the token and return its user's effective permissions with it. */
  validateWithPermissions(token: string): ValidationWithPermissions;

  // moth:auth/oauth. The token-endpoint functions take the client's
  // secret, null for a public client, and refuse with a MothError whose
  // code is an OauthErrorCode; checkAuthorization and issueCode with
  // 'no-redirect', or an OauthErrorCode with `redirectUri` (see MothError).
  /** Register a client; the secret is shown only here. Errors: 'invalid-input'. */
  registerClient(spec: ClientSpec): NewOauthClient;
  /** The client `id`, or null. */
  getClient(id: string): OauthClient | null;
  /** Up to `limit` clients with ids after `after`, in id order. */
  listClients(paging?: OauthClientPaging): OauthClientPage;
  /** Replace a client's name, redirect URIs, grant types and scopes (not its kind or secret); null when there is none. Errors: 'invalid-input'. */
  updateClient(id: string, spec: ClientSpec): OauthClient | null;
  /** A confidential client's new secret (the old one stops at once); null when there is no such client. Errors: 'invalid-input' for a public client. */
  rotateClientSecret(id: string): NewOauthClient | null;
  /** Delete a client, ending every grant it holds; false when there was none. */
  deleteClient(id: string): boolean;
  /** The lifetimes in force. */
  getOauthLifetimes(): OauthLifetimes;
  /** Set the lifetimes of what is issued from now on (every field). Errors: 'invalid-input'. */
  setOauthLifetimes(lifetimes: OauthLifetimes): void;
  /** Check an authorization request before asking the user. Errors: 'no-redirect', or an OauthErrorCode with `redirectUri`. */
  checkAuthorization(request: AuthorizationRequest): Authorization;
  /**
   * Check the request again, as user `user` consented to it, remember the
   * consent and issue a single-use code. Errors as checkAuthorization; an
   * unknown or disabled user is 'access-denied' with `redirectUri`.
   */
  issueCode(request: AuthorizationRequest, user: number): string;
  /** The client of a token-endpoint request. Errors: 'invalid-client'. */
  authenticateTokenClient(clientId: string, clientSecret: string | null): OauthClient;
  /** The authorization_code grant (any attempt spends the code; a second redemption revokes what the first issued). Errors: OauthErrorCode. */
  exchangeCode(
    clientId: string,
    clientSecret: string | null,
    code: string,
    redirectUri?: string | null,
    codeVerifier?: string | null,
  ): TokenResponse;
  /** The refresh_token grant: the refresh token rotates; a spent one presented again revokes the grant. `scope` may narrow, never widen. */
  refreshGrant(clientId: string, clientSecret: string | null, refreshToken: string, scope?: string | null): TokenResponse;
  /** The client_credentials grant: an access token, no refresh token. */
  clientCredentialsGrant(clientId: string, clientSecret: string | null, scope?: string | null): TokenResponse;
  /** Revoke a token of the authenticated client (a refresh token with its grant); others' and unknown tokens are left alone silently. */
  revokeOauthToken(clientId: string, clientSecret: string | null, token: string): void;
  /** What an active token is; null for anything else. */
  introspectToken(token: string): TokenInfo | null;
  /**
   * A resource server's check: `{ ok: info }` for an active access token
   * carrying every scope of `requiredScopes` ('' for none), else `{ err }`.
   * Errors: 'invalid-input' for malformed required scopes.
   */
  authorizeBearer(token: string, requiredScopes: string): BearerCheck;
  /** Whether user `user` has consented to every scope of `scopes` for the client. */
  consentCovers(user: number, clientId: string, scopes: string): boolean;
  /** The user's consents, clients since deleted left out. */
  listConsents(user: number): Consent[];
  /** Revoke the user's consent to a client, ending every grant it holds for them; false when there was none. */
  revokeConsent(user: number, clientId: string): boolean;
}

// ---------------------------------------------------------------------------
// AsyncMoth

/**
 * What `AsyncMoth.open` takes as `store`: a description the worker thread
 * makes the store from (a store object cannot cross threads). `faults:
 * true` allows `injectStoreFault` (for tests).
 */
export type StoreDescription = { kind: 'memory'; faults?: boolean } | { kind: 'file'; path: string; faults?: boolean };

/** What `AsyncMoth.open` takes as `clock`: the system clock, or a manual one at `at` (Unix seconds) moved by `advanceClock`. */
export type ClockDescription = { kind: 'system' } | { kind: 'manual'; at: number };

/** What `AsyncMoth.open` takes. */
export interface AsyncMothOptions {
  /** Default: `{ kind: 'memory' }`. */
  store?: StoreDescription;
  /** Default: `{ kind: 'system' }`. */
  clock?: ClockDescription;
  /** Stored first when given (every field). */
  settings?: Settings;
}

/** A store fault for `injectStoreFault`: trap the next store call, fail every one, or none. */
export type StoreFault = 'trap-next' | 'fail' | null;

/** Moth's methods, each returning a Promise of what Moth's returns. */
export type AsyncMothMethods = {
  [K in keyof Moth]: Moth[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never;
};

/**
 * Moth's API with every method returning a Promise; the component and its
 * store are owned by a worker thread, so no call blocks the event loop.
 * Calls run one at a time, in the order they were made. Errors are
 * MothErrors as Moth's are; an argument that cannot be structured-cloned
 * rejects with a DataCloneError.
 */
export declare class AsyncMoth {
  /** Use `AsyncMoth.open`. */
  private constructor();
  /** Start a worker and open a Moth in it over the described store and clock. */
  static open(options?: AsyncMothOptions): Promise<AsyncMoth>;
  /** Move a `{ kind: 'manual' }` clock forward (in order with the calls). */
  advanceClock(seconds: number): Promise<void>;
  /** For tests, on a store opened with `faults: true`. */
  injectStoreFault(fault: StoreFault): Promise<void>;
  /** Finish the calls already made, close the store and end the worker; later calls reject. */
  close(): Promise<void>;
}
export interface AsyncMoth extends AsyncMothMethods {}
