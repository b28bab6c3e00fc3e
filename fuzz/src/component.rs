//! `component`: arbitrary sequences of calls through the real component
//! (`moth::Moth`, wasmtime). Each input runs on a tenant of its own (cheap
//! Argon2 costs), deleted after it, under a clock of the fuzzer's own that
//! starts at [`EPOCH`] and moves only when a call says so. No call may
//! trap, time out, hit the memory cap or fail in the store, and nothing may
//! panic. Oracles that hold whatever came before:
//!
//! - a login token just minted validates as its user;
//! - an email token just created is listed for its address; it
//!   authenticates for that address (and bound IP) with its retval, once
//!   when single-use, and is then invalid; another address's call is
//!   invalid-token, another IP's is ip-mismatch (and deletes it); at its
//!   expiry it is token-expired (and deleted), a second before it is valid;
//! - an API key just created (or rotated) has the metadata asked for, which
//!   `get_api_key` and `list_api_keys` show and `verify_api_key` returns; its
//!   name is then taken; it expires exactly at its lifetime; a rotation's
//!   old key dies at once without overlap and lives with one, and cannot be
//!   rotated again;
//! - a one-time token just issued redeems for its purpose, as its user,
//!   once; another purpose is refused and leaves it usable; a
//!   `reset-password` one sets the password (which then checks) and revokes
//!   the user's login tokens; it expires exactly at its lifetime;
//! - a secret that is not one minted (forged, another kind's, or a minted
//!   one changed in any way) never succeeds; an id that is not 16
//!   lower-case hex digits names nothing; listings hold only live entries of
//!   what was asked, at most the cap.
//!
//! Besides the raw calls, `Mint` calls mint a credential from valid
//! arguments only, so that these checks run often, and `Fill` calls bring
//! an address or owner to its cap of 100.
//!
//! Inputs run one at a time (a lock), so that the clock is theirs alone.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use moth::{
    ApiKey, Durability, EmailToken, EmailTokenOptions, Error, KeyOwner, Moth, Options, Settings,
};
use moth_core::{
    API_KEY_PREFIX, DEFAULT_EMAIL_TOKEN_LIFETIME, DEFAULT_ONE_TIME_LIFETIME, EMAIL_TOKEN_PREFIX,
    MAX_ADDRESS_BYTES, MAX_API_KEYS_PER_OWNER, MAX_EMAIL_TOKENS_PER_ADDRESS, MAX_KEY_NAME_BYTES,
    MAX_PASSWORD_BYTES, MAX_PURPOSE_BYTES, MAX_RETVAL_BYTES, MAX_SCOPES_BYTES,
    ONE_TIME_TOKEN_PREFIX, PURPOSE_RESET_PASSWORD, PURPOSE_VERIFY_EMAIL, TOKEN_PREFIX,
};

use crate::{cheap_settings, checksummed, forge_prefixed};

/// Where the clock of every input starts: 2027-01-15.
pub const EPOCH: u64 = 1_800_000_000;

/// The byte that lets a [`Call::Fill`] run.
pub const FILL: u8 = 0xA5;

#[derive(Arbitrary, Debug)]
pub enum Call {
    CreateUser(Name, Pw, String),
    DeleteUser(Id),
    GetUser(Id),
    ListUsers(Option<Id>, u32),
    AllUsers,
    SetPassword(Id, Pw),
    SetPermissions(Id, String),
    CheckPassword(Name, Pw),
    Login(Name, Pw, Option<u64>),
    Validate(Tok),
    Logout(Tok),
    CountTokens(Id),
    DeleteTokens(Id),
    Sweep(u32),
    SweepAll,
    GetSettings,
    SetSettings(Costs),
    // Email tokens. An address of `None` is that of the email token the
    // secret names (the first known address when it names none).
    CreateEmailToken(Addr, EmailOpts, EmailCheck),
    AuthEmailToken(Option<Addr>, Secret, Option<Str>),
    SetEmailTokenRetval(Option<Addr>, Secret, Option<Str>),
    RemoveEmailToken(Option<Addr>, Secret),
    ListEmailTokens(Addr),
    RevokeEmailToken(Option<Addr>, PubId),
    RemoveEmailAddress(Addr),
    // API keys.
    CreateApiKey(Owner, Str, Str, Option<Life>, KeyCheck),
    VerifyApiKey(Secret),
    GetApiKey(PubId),
    ListApiKeys(Owner),
    RevokeApiKey(PubId),
    RotateApiKey(PubId, Life, bool),
    RevokeApiKeys(Owner),
    // One-time tokens. A purpose of `None` is the token's own.
    IssueOneTimeToken(Id, Str, Option<Life>, OnceCheck),
    RedeemOneTimeToken(Secret, Option<Str>),
    ResetPassword(Secret, Pw),
    /// An email token, API key or one-time token from valid arguments
    /// only (so that the checks run often), then checked.
    Mint(Mint),
    /// Move the clock forward.
    Advance(Step),
    /// Bring an address or an owner to its cap and past it: about a hundred
    /// calls, so only when the byte is [`FILL`] (not the 0 an input cut
    /// short gives), and once an input.
    Fill(Fill, u8),
}

#[derive(Arbitrary, Debug)]
pub enum Name {
    Known(u8),
    Text(String),
    /// `n` times `c`.
    Long(u16, char),
}

#[derive(Arbitrary, Debug)]
pub enum Pw {
    Known(u8),
    Text(String),
    Long(u16, char),
}

#[derive(Arbitrary, Debug)]
pub enum Id {
    Small(u8),
    Any(u64),
    /// The id of a user this input created (`Small` when it made none).
    Made(u8),
}

#[derive(Arbitrary, Debug)]
pub enum Tok {
    Minted(u8),
    Forged([u8; 32]),
    Text(String),
}

/// A string: one of a list of known ones (per use), any, or `c` repeated
/// to a byte length at or around the use's bound (see [`around`]).
#[derive(Arbitrary, Debug)]
pub enum Str {
    Known(u8),
    /// One of the first three known ones, all valid.
    Common(u8),
    Text(String),
    Sized(u8, char),
}

/// An address: that of an email token minted earlier, or any.
#[derive(Arbitrary, Debug)]
pub enum Addr {
    Minted(u8),
    Given(Str),
}

#[derive(Arbitrary, Debug)]
pub struct EmailOpts {
    ip: Option<Str>,
    lifetime: Option<Life>,
    retval: Option<Str>,
    uses: Option<Uses>,
}

/// What to check of an email token just created (besides its listing).
#[derive(Arbitrary, Debug)]
pub enum EmailCheck {
    /// Nothing more: keep it for later calls.
    Keep,
    /// It authenticates with its retval; a single-use one then no more.
    Use,
    /// Another address is refused, then as `Use`.
    OtherAddress,
    /// Another IP: refused and deleted when bound, accepted when not.
    OtherIp,
    /// At its expiry: expired, then gone.
    Expire,
    /// A second before its expiry: valid.
    JustBefore,
}

/// Who an API key is for.
#[derive(Arbitrary, Debug)]
pub enum Owner {
    User(Id),
    Service(Str),
    /// The owner of a key minted earlier.
    OfKey(u8),
}

/// What to check of an API key just created (besides its metadata, as
/// `get_api_key` and `list_api_keys` show it).
#[derive(Arbitrary, Debug)]
pub enum KeyCheck {
    Keep,
    /// It verifies with its metadata and records the use.
    Verify,
    /// A second key of the same owner and name is refused.
    Twice,
    /// At its expiry (if any): expired, then gone.
    Expire,
    /// A second before its expiry (if any): valid.
    JustBefore,
}

/// What to check of a one-time token just issued.
#[derive(Arbitrary, Debug)]
pub enum OnceCheck {
    Keep,
    /// It redeems for its purpose, as its user, once.
    Redeem,
    /// Another purpose is refused and leaves it usable.
    OtherPurpose,
    /// `reset_password` with it: done (and once) for `reset-password`.
    Reset(Pw),
    Expire,
    JustBefore,
}

/// A secret: minted earlier (of the kind the call takes), minted and
/// changed, minted of another kind, well-formed but never minted, or any.
#[derive(Arbitrary, Debug)]
pub enum Secret {
    Minted(u8),
    Mutated(u8, Mutation),
    OtherKind(u8, u8),
    Forged([u8; 32]),
    Text(String),
}

#[derive(Arbitrary, Debug)]
pub enum Mutation {
    /// Replace a byte.
    Byte(u16, u8),
    /// Change a character of the random part and fix the checksum: a
    /// well-formed token never minted.
    Reforge(u8, u8),
    /// Another kind's prefix, checksum fixed.
    Prefix(u8),
    Truncate(u8),
    Append(String),
    Upper,
    Space,
    Twice,
}

/// A public id: minted earlier (of the kind the call takes), another
/// kind's, minted with a digit changed, upper-cased, any 16 hex digits, or
/// any text.
#[derive(Arbitrary, Debug)]
pub enum PubId {
    Minted(u8),
    OtherKind(u8),
    Mutated(u8, u8, u8),
    Upper(u8),
    Hex(u64),
    Text(String),
}

/// Seconds: a lifetime, an overlap or a clock step, at and around every
/// bound of every kind, or any.
#[derive(Arbitrary, Debug)]
pub enum Life {
    Pick(u8),
    Any(u64),
}

#[derive(Arbitrary, Debug)]
pub enum Uses {
    Pick(u8),
    Any(u32),
}

#[derive(Arbitrary, Debug)]
pub enum Step {
    Pick(u8),
    Small(u8),
    /// To `u64::MAX - n`, where every lifetime overflows.
    Far(u32),
}

/// A credential from valid arguments: each number picks from the valid
/// part of a list.
#[derive(Arbitrary, Debug)]
pub enum Mint {
    Email {
        /// A known address, or that of a token minted earlier.
        address: Option<u8>,
        ip: Option<u8>,
        lifetime: Option<u8>,
        retval: Option<u8>,
        uses: Option<u8>,
        check: EmailCheck,
    },
    Key {
        /// A user of the input (made if none), or a service.
        user: Option<u8>,
        name: u8,
        lifetime: Option<u8>,
        check: KeyCheck,
    },
    Once {
        user: u8,
        purpose: u8,
        lifetime: Option<u8>,
        check: OnceCheck,
    },
}

#[derive(Arbitrary, Debug)]
pub enum Fill {
    /// 96 to 103 default tokens for the address.
    Email(Addr, u8),
    /// 96 to 103 keys named `fill-{i}` for the owner.
    Keys(Owner, u8),
}

/// Argon2 costs from short lists, so that every valid choice is cheap.
#[derive(Arbitrary, Debug)]
pub struct Costs {
    memory: u8,
    iterations: u8,
    parallelism: u8,
    lifetime: Option<u64>,
    weak: bool,
}

const NAMES: &[&str] = &["ann", "bob", "é", "\u{202e}x", "a\tb"];
const PASSWORDS: &[&str] = &["pw", "pw2", "\0", "😀"];
const ADDRESSES: &[&str] = &[
    "ann@example.com",
    "ANN@example.com",
    "bob@example.com",
    "ann@example.com ",
    "é@例え.jp",
    "+15551234567",
    "a",
    "a\0b",
    "a\u{85}b",
    "\u{202e}moc.elpmaxe@nna",
];
const IPS: &[&str] = &[
    "192.0.2.1",
    "::ffff:192.0.2.1",
    "::FFFF:c000:0201",
    "2001:db8::1",
    "2001:DB8:0:0:0:0:0:1",
    "0.0.0.0",
    "::",
    "255.255.255.255",
    "256.1.1.1",
    "1.2.3",
    "192.0.2.1%eth0",
    " 192.0.2.1",
    "fe80::1%1",
    "01.2.3.4",
    "",
    "[::1]",
];
const RETVALS: &[&str] = &["", "https://example.com/welcome", "\0", "😀", "null"];
const KEY_NAMES: &[&str] = &["ci", "deploy", "CI", "é", "a b", "", "a\nb"];
const SERVICES: &[&str] = &["billing", "Billing", "billing ", "é", "", "a\0b"];
const SCOPES: &[&str] = &["", "read", "read write", "*", "\0\n"];
const PURPOSES: &[&str] = &[
    PURPOSE_RESET_PASSWORD,
    PURPOSE_VERIFY_EMAIL,
    "rotate-api-key",
    "invite",
    "x",
    "0-a-",
    "Reset-Password",
    "reset_password",
    "reset-password ",
    "",
    "é",
];
/// Every bound of every lifetime, overlap and cap in seconds, and either
/// side of it: email tokens (900 default, 30 days), one-time tokens (4 h
/// default, 7 days), rotation overlaps (7 days), API keys and logins (10
/// years), last-use resolution (1 h).
const SECONDS: &[u64] = &[
    0,
    1,
    2,
    59,
    60,
    899,
    900,
    901,
    3599,
    3600,
    3601,
    14_399,
    14_400,
    14_401,
    604_799,
    604_800,
    604_801,
    2_591_999,
    2_592_000,
    2_592_001,
    315_359_999,
    315_360_000,
    315_360_001,
    u64::MAX,
];
const USES: &[u32] = &[0, 1, 2, 3, 999, 1000, 1001, u32::MAX];
/// How many of the first entries of each list are valid.
const VALID_ADDRESSES: usize = 6;
const VALID_IPS: usize = 8;
const VALID_KEY_NAMES: usize = 5;
const VALID_PURPOSES: usize = 6;
/// Valid lifetimes, at and inside the bounds, of each kind.
const EMAIL_LIFETIMES: &[u64] = &[1, 2, 899, 900, 901, 2_591_999, 2_592_000];
const KEY_LIFETIMES: &[u64] = &[1, 2, 3599, 3600, 3601, 315_359_999, 315_360_000];
const ONCE_LIFETIMES: &[u64] = &[1, 2, 14_399, 14_400, 14_401, 604_799, 604_800];
const PREFIXES: &[&str] = &[
    TOKEN_PREFIX,
    EMAIL_TOKEN_PREFIX,
    API_KEY_PREFIX,
    ONE_TIME_TOKEN_PREFIX,
];
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[i as usize % list.len()]
}

fn pick_str(list: &[&str], i: u8) -> String {
    pick(list, i).to_owned()
}

/// A byte length at or around `bound`: 0, 1, one under, at, one over, far over.
fn around(bound: usize, i: u8) -> usize {
    [0, 1, bound - 1, bound, bound + 1, 2 * bound + 3][i as usize % 6]
}

/// `c` repeated, padded with `a`, to exactly `len` bytes.
fn sized(len: usize, c: char) -> String {
    let mut s = String::with_capacity(len);
    while s.len() + c.len_utf8() <= len {
        s.push(c);
    }
    while s.len() < len {
        s.push('a');
    }
    s
}

impl Name {
    fn make(&self) -> String {
        match self {
            Name::Known(i) => pick(NAMES, *i).to_owned(),
            Name::Text(s) => s.clone(),
            Name::Long(n, c) => c.to_string().repeat(*n as usize % 400),
        }
    }
}

impl Pw {
    fn make(&self) -> String {
        match self {
            Pw::Known(i) => pick(PASSWORDS, *i).to_owned(),
            Pw::Text(s) => s.clone(),
            Pw::Long(n, c) => c.to_string().repeat(*n as usize % 1400),
        }
    }
}

impl Id {
    fn make(&self, users: &[u64]) -> u64 {
        match self {
            Id::Made(i) if !users.is_empty() => users[*i as usize % users.len()],
            Id::Small(i) | Id::Made(i) => u64::from(*i % 8),
            Id::Any(v) => *v,
        }
    }
}

impl Str {
    fn make(&self, known: &[&str], bound: usize) -> String {
        match self {
            Str::Known(i) => pick(known, *i).to_owned(),
            Str::Common(i) => known[*i as usize % 3].to_owned(),
            Str::Text(s) => s.clone(),
            Str::Sized(i, c) => sized(around(bound, *i), *c),
        }
    }
}

impl Life {
    fn make(&self) -> u64 {
        match self {
            Life::Pick(i) => SECONDS[*i as usize % SECONDS.len()],
            Life::Any(v) => *v,
        }
    }
}

impl Uses {
    fn make(&self) -> u32 {
        match self {
            Uses::Pick(i) => USES[*i as usize % USES.len()],
            Uses::Any(v) => *v,
        }
    }
}

impl EmailOpts {
    fn make(&self) -> EmailTokenOptions {
        EmailTokenOptions {
            ip: self.ip.as_ref().map(|s| s.make(IPS, 45)),
            lifetime: self.lifetime.as_ref().map(Life::make),
            retval: self
                .retval
                .as_ref()
                .map(|s| s.make(RETVALS, MAX_RETVAL_BYTES)),
            uses: self.uses.as_ref().map(Uses::make),
        }
    }
}

impl Costs {
    fn make(&self) -> Settings {
        Settings {
            argon2_memory_kib: [0, 7, 8, 16, 64, 1024 * 1024 + 1, u32::MAX]
                [self.memory as usize % 7],
            argon2_iterations: [0, 1, 2, 65, u32::MAX][self.iterations as usize % 5],
            argon2_parallelism: [0, 1, 2, 17][self.parallelism as usize % 4],
            default_token_lifetime: self.lifetime.unwrap_or(60),
            allow_weak_hashing: self.weak,
            max_tokens_per_user: [0, 1, 3, 1000, 10_001][self.memory as usize % 5],
            min_password_length: [0, 1, 8, 128, 129][self.iterations as usize % 5],
            refuse_common_passwords: self.weak,
            // In and out of their ranges (0 turns lockout and the log off).
            lockout_threshold: [0, 1, 5, 1_000_001][self.parallelism as usize % 4],
            lockout_window: [0, 1, 900, 31_536_001][self.iterations as usize % 4],
            lockout_duration: [1, 900, 0][self.memory as usize % 3],
            lockout_max_duration: [86_400, 1, 0][self.parallelism as usize % 3],
            source_lockout_threshold: [0, 3, 50][self.iterations as usize % 3],
            source_lockout_window: 900,
            source_lockout_duration: [900, 0][usize::from(self.weak)],
            log_retention: [0, 60, 2_592_000, u64::MAX][self.memory as usize % 4],
        }
    }
}

/// The canonical text of an IP address, as moth compares them (an
/// IPv4-mapped IPv6 address is its IPv4 address).
fn canonical_ip(ip: &str) -> Option<String> {
    let parsed: IpAddr = ip.parse().ok()?;
    Some(
        match parsed {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        }
        .to_string(),
    )
}

/// Whether `id` has the shape of a public id: 16 lower-case hex digits.
fn is_public_id(id: &str) -> bool {
    id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A token `t` (ASCII, prefix + 43 + 6 characters) changed by `m`.
fn mutate(t: &str, m: &Mutation) -> String {
    let prefix_len = PREFIXES
        .iter()
        .filter(|p| t.starts_with(**p))
        .map(|p| p.len())
        .max()
        .unwrap_or(0);
    match m {
        Mutation::Byte(at, b) => {
            let mut bytes = t.as_bytes().to_vec();
            if !bytes.is_empty() {
                let at = *at as usize % bytes.len();
                bytes[at] = *b;
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Mutation::Reforge(at, v) if t.len() >= prefix_len + 43 && t.is_ascii() => {
            let mut body = t.as_bytes()[..prefix_len + 43].to_vec();
            let at = prefix_len + *at as usize % 43;
            let mut c = B64[*v as usize % 64];
            if c == body[at] {
                c = B64[(*v as usize + 1) % 64];
            }
            body[at] = c;
            checksummed(String::from_utf8_lossy(&body).into_owned())
        }
        Mutation::Reforge(..) => format!("{t}="),
        Mutation::Prefix(k) if t.len() >= prefix_len + 43 && t.is_ascii() => {
            let mut other = PREFIXES[*k as usize % PREFIXES.len()];
            if t.starts_with(other) && other.len() == prefix_len {
                other = PREFIXES[(*k as usize + 1) % PREFIXES.len()];
            }
            checksummed(format!("{other}{}", &t[prefix_len..prefix_len + 43]))
        }
        Mutation::Prefix(_) => format!("x{t}"),
        Mutation::Truncate(n) => t.chars().take(*n as usize % t.len().max(1)).collect(),
        Mutation::Append(s) => format!("{t}{s}"),
        Mutation::Upper => t.to_ascii_uppercase(),
        Mutation::Space => format!("{t} "),
        Mutation::Twice => t.repeat(2),
    }
}

/// Advance `clock` by `secs`, saturating.
fn advance(clock: &AtomicU64, secs: u64) {
    let now = clock.load(Ordering::SeqCst);
    clock.store(now.saturating_add(secs), Ordering::SeqCst);
}

/// The fuzzer's clock: seconds in an atomic, moved only by [`Call::Advance`]
/// and the checks, and set back to [`EPOCH`] for each input (which has a
/// tenant of its own, so no record of another input sees it go back).
#[derive(Debug)]
struct FuzzClock(AtomicU64);

impl moth::Clock for FuzzClock {
    fn now(&self) -> std::io::Result<(u64, u32)> {
        Ok((self.0.load(Ordering::SeqCst), 0))
    }
}

struct Fixture {
    moth: Moth,
    clock: Arc<FuzzClock>,
    inputs: AtomicU64,
    /// Held by each input: the clock is shared.
    one_at_a_time: Mutex<()>,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let clock = Arc::new(FuzzClock(AtomicU64::new(EPOCH)));
        let moth = Options::new()
            .create(true)
            .settings(cheap_settings())
            .sweep_interval(None)
            // No fsync a commit: the fuzzer checks logic, not the disk,
            // and a disk shared with builds made it IO-bound.
            .durability(Durability::Buffered)
            .clock(clock.clone())
            .open(dir.path().join("moth.db"))
            .expect("open a database");
        Fixture {
            moth,
            clock,
            inputs: AtomicU64::new(0),
            one_at_a_time: Mutex::new(()),
            _dir: dir,
        }
    })
}

/// A result the component may give: anything but a failure of the
/// machinery.
fn fine<T: std::fmt::Debug>(call: &Call, r: &Result<T, Error>) {
    if let Err(e) = r {
        let ordinary = matches!(
            e,
            Error::NoUser
                | Error::InvalidPassword
                | Error::InvalidToken
                | Error::TokenExpired
                | Error::UserExists
                | Error::IpMismatch
                | Error::NameTaken
                | Error::LimitReached(_)
                | Error::InvalidInput(_)
        );
        assert!(ordinary, "{call:?} failed with {e:?}");
    }
}

/// An email token minted in this input.
struct EmailEntry {
    address: String,
    token: String,
    id: String,
}

/// An API key minted in this input, with the metadata it was minted with
/// and the lifetime a rotation gives its successor.
struct KeyEntry {
    key: String,
    info: ApiKey,
    lifetime: Option<u64>,
}

/// A one-time token issued in this input.
struct OnceEntry {
    token: String,
    purpose: String,
}

/// What an input has minted so far.
#[derive(Default)]
struct Minted {
    /// Users created.
    users: Vec<u64>,
    /// Login tokens, with their user.
    logins: Vec<(String, u64)>,
    emails: Vec<EmailEntry>,
    keys: Vec<KeyEntry>,
    once: Vec<OnceEntry>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Login,
    Email,
    Key,
    Once,
}

/// A secret as a call gets it: its text, the index of the entry it names
/// in its kind's list (when minted), and whether it is certainly not a
/// live secret of that kind (forged, another kind's, or changed).
struct Resolved {
    text: String,
    entry: Option<usize>,
    foreign: bool,
}

impl Minted {
    fn secrets(&self, kind: Kind) -> Vec<&str> {
        match kind {
            Kind::Login => self.logins.iter().map(|(t, _)| t.as_str()).collect(),
            Kind::Email => self.emails.iter().map(|e| e.token.as_str()).collect(),
            Kind::Key => self.keys.iter().map(|e| e.key.as_str()).collect(),
            Kind::Once => self.once.iter().map(|e| e.token.as_str()).collect(),
        }
    }

    fn secret(&self, s: &Secret, kind: Kind) -> Resolved {
        let prefix = match kind {
            Kind::Login => TOKEN_PREFIX,
            Kind::Email => EMAIL_TOKEN_PREFIX,
            Kind::Key => API_KEY_PREFIX,
            Kind::Once => ONE_TIME_TOKEN_PREFIX,
        };
        let own = self.secrets(kind);
        let (text, entry) = match s {
            Secret::Minted(i) if !own.is_empty() => {
                let i = *i as usize % own.len();
                (own[i].to_owned(), Some(i))
            }
            Secret::Minted(i) => (forge_prefixed(prefix, &[*i; 32]), None),
            Secret::Mutated(i, m) if !own.is_empty() => {
                let i = *i as usize % own.len();
                (mutate(own[i], m), Some(i))
            }
            Secret::Mutated(i, m) => (mutate(&forge_prefixed(prefix, &[*i; 32]), m), None),
            Secret::OtherKind(k, i) => {
                let others: Vec<&str> = [Kind::Login, Kind::Email, Kind::Key, Kind::Once]
                    .into_iter()
                    .filter(|k| *k != kind)
                    .flat_map(|k| self.secrets(k))
                    .collect();
                let text = if others.is_empty() {
                    forge_prefixed(PREFIXES[*k as usize % PREFIXES.len()], &[*i; 32])
                } else {
                    others[(*k as usize * 256 + *i as usize) % others.len()].to_owned()
                };
                (text, None)
            }
            Secret::Forged(r) => (forge_prefixed(prefix, r), None),
            Secret::Text(t) => (t.clone(), None),
        };
        let foreign = match s {
            Secret::Minted(_) if !own.is_empty() => false,
            Secret::Text(_) => false,
            _ => !own.contains(&text.as_str()),
        };
        Resolved {
            text,
            entry,
            foreign,
        }
    }

    /// The id `p` stands for, and the index of the entry it names in its
    /// kind's list when it is one minted unchanged.
    fn id(&self, p: &PubId, kind: Kind) -> (String, Option<usize>) {
        let ids: Vec<&str> = match kind {
            Kind::Email => self.emails.iter().map(|e| e.id.as_str()).collect(),
            _ => self.keys.iter().map(|e| e.info.id.as_str()).collect(),
        };
        let others: Vec<&str> = match kind {
            Kind::Email => self.keys.iter().map(|e| e.info.id.as_str()).collect(),
            _ => self.emails.iter().map(|e| e.id.as_str()).collect(),
        };
        let nth = |list: &[&str], i: u8| list[i as usize % list.len()].to_owned();
        match p {
            PubId::Minted(i) if !ids.is_empty() => {
                let i = *i as usize % ids.len();
                (ids[i].to_owned(), Some(i))
            }
            PubId::OtherKind(i) if !others.is_empty() => (nth(&others, *i), None),
            PubId::Mutated(i, at, v) if !ids.is_empty() => {
                let mut id = nth(&ids, *i).into_bytes();
                let at = *at as usize % id.len();
                id[at] = b"0123456789abcdef"[*v as usize % 16];
                (String::from_utf8_lossy(&id).into_owned(), None)
            }
            PubId::Upper(i) if !ids.is_empty() => (nth(&ids, *i).to_ascii_uppercase(), None),
            PubId::Text(t) => (t.clone(), None),
            PubId::Minted(i) | PubId::OtherKind(i) | PubId::Mutated(i, _, _) | PubId::Upper(i) => {
                (format!("{:016x}", u64::from(*i)), None)
            }
            PubId::Hex(v) => (format!("{v:016x}"), None),
        }
    }

    fn address(&self, a: &Addr) -> String {
        match a {
            Addr::Minted(i) if !self.emails.is_empty() => {
                self.emails[*i as usize % self.emails.len()].address.clone()
            }
            Addr::Minted(i) => pick(ADDRESSES, *i).to_owned(),
            Addr::Given(s) => s.make(ADDRESSES, MAX_ADDRESS_BYTES),
        }
    }

    /// The address a call on email token `r` names: `a`, or that of the
    /// token when `a` is `None`.
    fn address_for(&self, a: &Option<Addr>, r: &Resolved) -> String {
        match (a, r.entry) {
            (Some(a), _) => self.address(a),
            (None, Some(i)) => self.emails[i].address.clone(),
            (None, None) => ADDRESSES[0].to_owned(),
        }
    }

    fn owner(&self, o: &Owner) -> KeyOwner {
        match o {
            Owner::User(id) => KeyOwner::User(id.make(&self.users)),
            Owner::Service(s) => KeyOwner::Service(s.make(SERVICES, MAX_KEY_NAME_BYTES)),
            Owner::OfKey(i) if !self.keys.is_empty() => {
                self.keys[*i as usize % self.keys.len()].info.owner.clone()
            }
            Owner::OfKey(i) => KeyOwner::User(u64::from(*i % 8)),
        }
    }
}

/// Everything one input works with.
struct Run<'a> {
    moth: &'a Moth,
    clock: &'a AtomicU64,
    minted: Minted,
    /// Whether a `Fill` ran.
    filled: bool,
}

impl Run<'_> {
    fn now(&self) -> u64 {
        self.clock.load(Ordering::SeqCst)
    }

    /// An email token `t` just created for `address` with `options`, at `now`.
    fn email_created(
        &mut self,
        call: &Call,
        address: &str,
        options: &EmailTokenOptions,
        t: EmailToken,
        now: u64,
        check: &EmailCheck,
    ) {
        let m = self.moth;
        let lifetime = options.lifetime.unwrap_or(DEFAULT_EMAIL_TOKEN_LIFETIME);
        let uses = options.uses.unwrap_or(1);
        let retval = options.retval.clone();
        assert!(
            t.token.starts_with(EMAIL_TOKEN_PREFIX)
                && is_public_id(&t.id)
                && Some(t.expires) == now.checked_add(lifetime),
            "{call:?} at {now} made {t:?}"
        );
        let bound = options.ip.as_deref().map(|ip| {
            canonical_ip(ip).unwrap_or_else(|| panic!("{call:?}: {ip:?} was taken as an IP"))
        });
        let listed = m.list_email_tokens(address);
        assert!(
            matches!(&listed, Ok(l) if l.iter().any(|i| i.id == t.id
                && i.ip == bound
                && i.created == now
                && i.expires == t.expires
                && i.uses_left == uses)),
            "{call:?}: the new token {t:?} is not listed as made: {listed:?}"
        );
        let ip = options.ip.as_deref();
        let auth = |ip: Option<&str>| m.auth_email_token(address, &t.token, ip);
        let keep = match check {
            EmailCheck::Keep => true,
            EmailCheck::Use | EmailCheck::OtherAddress => {
                if matches!(check, EmailCheck::OtherAddress) {
                    for other in [format!("{address}x"), ADDRESSES[2].to_owned()] {
                        if other != address {
                            let r = m.auth_email_token(&other, &t.token, ip);
                            assert!(
                                matches!(r, Err(Error::InvalidToken)),
                                "{call:?}: the token authenticated for {other:?}: {r:?}"
                            );
                        }
                    }
                }
                let r = auth(ip);
                assert!(
                    matches!(&r, Ok(v) if *v == retval),
                    "{call:?}: the new token's first use gave {r:?}"
                );
                if uses == 1 {
                    let r = auth(ip);
                    assert!(
                        matches!(r, Err(Error::InvalidToken)),
                        "{call:?}: a single-use token's second use gave {r:?}"
                    );
                }
                uses > 1
            }
            EmailCheck::OtherIp => {
                let other = ["198.51.100.7", "2001:db8::7"]
                    .into_iter()
                    .find(|o| canonical_ip(o) != bound)
                    .expect("two different addresses");
                let r = auth(Some(other));
                if bound.is_some() {
                    assert!(
                        matches!(r, Err(Error::IpMismatch)),
                        "{call:?}: a token bound to {bound:?} gave {r:?} from {other}"
                    );
                    let r = auth(ip);
                    assert!(
                        matches!(r, Err(Error::InvalidToken)),
                        "{call:?}: a token refused for its IP still gave {r:?}"
                    );
                    false
                } else {
                    assert!(
                        matches!(&r, Ok(v) if *v == retval),
                        "{call:?}: an unbound token gave {r:?} from {other}"
                    );
                    uses > 1
                }
            }
            EmailCheck::Expire => {
                advance(self.clock, lifetime);
                let r = auth(ip);
                assert!(
                    matches!(r, Err(Error::TokenExpired)),
                    "{call:?}: at its expiry the token gave {r:?}"
                );
                let r = auth(ip);
                assert!(
                    matches!(r, Err(Error::InvalidToken)),
                    "{call:?}: after expiring the token gave {r:?}"
                );
                false
            }
            EmailCheck::JustBefore => {
                advance(self.clock, lifetime - 1);
                let r = auth(ip);
                assert!(
                    matches!(&r, Ok(v) if *v == retval),
                    "{call:?}: a second before its expiry the token gave {r:?}"
                );
                uses > 1
            }
        };
        if keep {
            self.minted.emails.push(EmailEntry {
                address: address.to_owned(),
                token: t.token,
                id: t.id,
            });
        }
    }

    /// An API key just created, or made by a rotation, with `expected`
    /// metadata.
    fn key_made(&mut self, call: &Call, key: String, expected: ApiKey, lifetime: Option<u64>) {
        let m = self.moth;
        assert!(
            key.starts_with(API_KEY_PREFIX) && is_public_id(&expected.id),
            "{call:?}: made the key {expected:?}"
        );
        let got = m.get_api_key(&expected.id);
        assert!(
            matches!(&got, Ok(k) if *k == expected),
            "{call:?}: made {expected:?}, but get_api_key gave {got:?}"
        );
        let listed = m.list_api_keys(&expected.owner);
        assert!(
            matches!(&listed, Ok(l) if l.contains(&expected)),
            "{call:?}: made {expected:?}, but list_api_keys gave {listed:?}"
        );
        self.minted.keys.push(KeyEntry {
            key,
            info: expected,
            lifetime,
        });
    }

    /// Check the API key just made, the last of `minted.keys`.
    fn key_check(&mut self, call: &Call, check: &KeyCheck) {
        let m = self.moth;
        let e = self.minted.keys.last().expect("a key just made");
        let (key, info) = (e.key.clone(), e.info.clone());
        let verified = |k: &str, now: u64| {
            let r = m.verify_api_key(k);
            let want = ApiKey {
                last_used: Some(now),
                ..info.clone()
            };
            assert!(
                matches!(&r, Ok(v) if *v == want),
                "{call:?}: verifying the key at {now} gave {r:?}, not {want:?}"
            );
            let got = m.get_api_key(&info.id);
            assert!(
                matches!(&got, Ok(v) if *v == want),
                "{call:?}: after verifying, get_api_key gave {got:?}, not {want:?}"
            );
        };
        match check {
            KeyCheck::Keep => {}
            KeyCheck::Verify => verified(&key, self.now()),
            KeyCheck::Twice => {
                let r = m.create_api_key(&info.owner, &info.name, &info.scopes, None);
                assert!(
                    matches!(r, Err(Error::NameTaken)),
                    "{call:?}: a second key named {:?} gave {r:?}",
                    info.name
                );
            }
            KeyCheck::Expire | KeyCheck::JustBefore => {
                let Some(expires) = info.expires else { return };
                let lifetime = expires - info.created;
                if matches!(check, KeyCheck::JustBefore) {
                    advance(self.clock, lifetime - 1);
                    verified(&key, self.now());
                    return;
                }
                advance(self.clock, lifetime);
                let r = m.verify_api_key(&key);
                assert!(
                    matches!(r, Err(Error::TokenExpired)),
                    "{call:?}: at its expiry the key gave {r:?}"
                );
                for r in [m.verify_api_key(&key), m.get_api_key(&info.id)] {
                    assert!(
                        matches!(r, Err(Error::InvalidToken)),
                        "{call:?}: after expiring the key gave {r:?}"
                    );
                }
                self.minted.keys.pop();
            }
        }
    }

    /// A one-time token `token` just issued to `user` for `purpose`.
    fn once_issued(
        &mut self,
        call: &Call,
        user: u64,
        purpose: &str,
        lifetime: u64,
        token: String,
        check: &OnceCheck,
    ) {
        let m = self.moth;
        let redeems = |t: &str, p: &str, what: &str| {
            let r = m.redeem_one_time_token(t, p);
            assert!(
                matches!(&r, Ok(u) if u.id == user),
                "{call:?}: {what} gave {r:?}"
            );
        };
        let refused = |r: Result<moth::User, Error>, e: Error, what: &str| {
            assert!(
                failed_with(&r, &e),
                "{call:?}: {what} gave {r:?}, not {e:?}"
            );
        };
        let keep = match check {
            OnceCheck::Keep => true,
            OnceCheck::Redeem => {
                redeems(&token, purpose, "redeeming the new token");
                refused(
                    m.redeem_one_time_token(&token, purpose),
                    Error::InvalidToken,
                    "redeeming it twice",
                );
                false
            }
            OnceCheck::OtherPurpose => {
                let other = if purpose == PURPOSE_VERIFY_EMAIL {
                    PURPOSE_RESET_PASSWORD
                } else {
                    PURPOSE_VERIFY_EMAIL
                };
                refused(
                    m.redeem_one_time_token(&token, other),
                    Error::InvalidToken,
                    "redeeming it for another purpose",
                );
                redeems(&token, purpose, "redeeming it after another purpose");
                false
            }
            OnceCheck::Reset(pw) => {
                let pw = pw.make();
                let valid_pw = !pw.is_empty() && pw.len() <= MAX_PASSWORD_BYTES;
                let r = m.reset_password(&token, &pw);
                if !valid_pw {
                    assert!(
                        matches!(r, Err(Error::InvalidInput(_))),
                        "{call:?}: a reset to an invalid password gave {r:?}"
                    );
                    true
                } else if purpose != PURPOSE_RESET_PASSWORD {
                    refused(
                        r,
                        Error::InvalidToken,
                        "a reset with another purpose's token",
                    );
                    true
                } else {
                    let u = match r {
                        Ok(u) if u.id == user => u,
                        r => panic!("{call:?}: resetting the password gave {r:?}"),
                    };
                    let c = m.check_password(&u.username, &pw);
                    assert!(
                        matches!(c, Ok(true)),
                        "{call:?}: the password reset does not check: {c:?}"
                    );
                    refused(
                        m.reset_password(&token, &pw),
                        Error::InvalidToken,
                        "resetting twice",
                    );
                    // Every login token of the user is revoked.
                    for (t, _) in self.minted.logins.iter().filter(|(_, u)| *u == user) {
                        let v = m.validate(t);
                        assert!(
                            matches!(v, Err(Error::InvalidToken | Error::TokenExpired)),
                            "{call:?}: a login token survived the reset: {v:?}"
                        );
                    }
                    false
                }
            }
            OnceCheck::Expire => {
                advance(self.clock, lifetime);
                refused(
                    m.redeem_one_time_token(&token, purpose),
                    Error::TokenExpired,
                    "redeeming at its expiry",
                );
                refused(
                    m.redeem_one_time_token(&token, purpose),
                    Error::InvalidToken,
                    "redeeming after it expired",
                );
                false
            }
            OnceCheck::JustBefore => {
                advance(self.clock, lifetime - 1);
                redeems(&token, purpose, "redeeming a second before its expiry");
                false
            }
        };
        if keep {
            self.minted.once.push(OnceEntry {
                token,
                purpose: purpose.to_owned(),
            });
        }
    }
}

/// Whether `r` failed with an error of the kind of `e`.
fn failed_with<T>(r: &Result<T, Error>, e: &Error) -> bool {
    matches!(r, Err(x) if std::mem::discriminant(x) == std::mem::discriminant(e))
}

impl Run<'_> {
    /// A secret that is no live secret of its kind must not succeed.
    fn never<T: std::fmt::Debug>(call: &Call, s: &Resolved, r: &Result<T, Error>) {
        assert!(
            !s.foreign || r.is_err(),
            "{call:?}: {:?} was never minted, but gave {r:?}",
            s.text
        );
    }

    /// An id that is not one names nothing.
    fn no_such<T: std::fmt::Debug>(call: &Call, id: &str, r: &Result<T, Error>) {
        assert!(
            is_public_id(id) || matches!(r, Err(Error::InvalidToken)),
            "{call:?}: {id:?} is no public id, but gave {r:?}"
        );
    }

    fn call(&mut self, call: &Call) {
        let m = self.moth;
        match call {
            Call::CreateUser(n, p, perms) => {
                let r = m.create_user(&n.make(), &p.make(), perms);
                fine(call, &r);
                if let Ok(u) = r {
                    self.minted.users.push(u.id);
                }
            }
            Call::DeleteUser(id) => {
                let id = id.make(&self.minted.users);
                let r = m.delete_user(id);
                fine(call, &r);
                if r.is_ok() {
                    // Its API keys went with it.
                    for e in &self.minted.keys {
                        if e.info.owner == KeyOwner::User(id) {
                            let v = m.verify_api_key(&e.key);
                            assert!(
                                matches!(v, Err(Error::InvalidToken)),
                                "{call:?}: a key of the deleted user gave {v:?}"
                            );
                        }
                    }
                    let l = m.list_api_keys(&KeyOwner::User(id));
                    assert!(
                        matches!(l, Err(Error::NoUser)),
                        "{call:?}: listing a deleted user's keys gave {l:?}"
                    );
                }
            }
            Call::GetUser(id) => fine(call, &m.get_user(id.make(&self.minted.users))),
            Call::ListUsers(after, limit) => fine(
                call,
                &m.list_users(after.as_ref().map(|a| a.make(&self.minted.users)), *limit),
            ),
            Call::AllUsers => fine(call, &m.all_users()),
            Call::SetPassword(id, p) => fine(
                call,
                &m.set_password(id.make(&self.minted.users), &p.make()),
            ),
            Call::SetPermissions(id, perms) => {
                fine(call, &m.set_permissions(id.make(&self.minted.users), perms))
            }
            Call::CheckPassword(n, p) => fine(call, &m.check_password(&n.make(), &p.make())),
            Call::Login(n, p, lifetime) => {
                let r = m.login(&n.make(), &p.make(), lifetime.map(Duration::from_secs));
                fine(call, &r);
                if let Ok(s) = r {
                    let v = m.validate(&s.token);
                    let now = self.now();
                    assert!(
                        matches!(&v, Ok(v) if v.user == s.user && v.expires == s.expires)
                            || matches!(v, Err(Error::TokenExpired) if s.expires <= now),
                        "{call:?}: the new token gave {v:?}"
                    );
                    self.minted.logins.push((s.token, s.user.id));
                }
            }
            Call::Validate(t) | Call::Logout(t) => {
                let s = self.minted.secret(
                    &match t {
                        Tok::Minted(i) => Secret::Minted(*i),
                        Tok::Forged(r) => Secret::Forged(*r),
                        Tok::Text(s) => Secret::Text(s.clone()),
                    },
                    Kind::Login,
                );
                if matches!(call, Call::Validate(_)) {
                    let r = m.validate(&s.text);
                    fine(call, &r);
                    Self::never(call, &s, &r);
                } else {
                    let r = m.logout(&s.text);
                    fine(call, &r);
                    Self::never(call, &s, &r);
                }
            }
            Call::CountTokens(id) => fine(call, &m.count_tokens(id.make(&self.minted.users))),
            Call::DeleteTokens(id) => fine(call, &m.delete_tokens(id.make(&self.minted.users))),
            Call::Sweep(limit) => fine(call, &m.sweep(*limit)),
            Call::SweepAll => fine(call, &m.sweep_all()),
            Call::GetSettings => fine(call, &m.get_settings()),
            Call::SetSettings(c) => fine(call, &m.set_settings(c.make())),

            Call::CreateEmailToken(a, o, check) => {
                let address = self.minted.address(a);
                self.create_email(call, &address, &o.make(), check);
            }
            Call::AuthEmailToken(a, s, ip) => {
                let s = self.minted.secret(s, Kind::Email);
                let address = self.minted.address_for(a, &s);
                let ip = ip.as_ref().map(|i| i.make(IPS, 45));
                let r = m.auth_email_token(&address, &s.text, ip.as_deref());
                fine(call, &r);
                Self::never(call, &s, &r);
            }
            Call::SetEmailTokenRetval(a, s, retval) => {
                let s = self.minted.secret(s, Kind::Email);
                let address = self.minted.address_for(a, &s);
                let retval = retval.as_ref().map(|r| r.make(RETVALS, MAX_RETVAL_BYTES));
                let r = m.set_email_token_retval(&address, &s.text, retval.as_deref());
                fine(call, &r);
                Self::never(call, &s, &r);
            }
            Call::RemoveEmailToken(a, s) => {
                let s = self.minted.secret(s, Kind::Email);
                let address = self.minted.address_for(a, &s);
                let r = m.remove_email_token(&address, &s.text);
                fine(call, &r);
                Self::never(call, &s, &r);
                if r.is_ok() {
                    let again = m.auth_email_token(&address, &s.text, None);
                    assert!(
                        matches!(again, Err(Error::InvalidToken)),
                        "{call:?}: the removed token gave {again:?}"
                    );
                }
            }
            Call::ListEmailTokens(a) => {
                let address = self.minted.address(a);
                let r = m.list_email_tokens(&address);
                fine(call, &r);
                let now = self.now();
                if let Ok(l) = &r {
                    assert!(
                        l.len() <= MAX_EMAIL_TOKENS_PER_ADDRESS as usize
                            && l.iter().all(|i| i.expires > now
                                && i.uses_left >= 1
                                && i.created <= now
                                && is_public_id(&i.id)),
                        "{call:?} at {now} gave {r:?}"
                    );
                }
            }
            Call::RevokeEmailToken(a, p) => {
                let (id, entry) = self.minted.id(p, Kind::Email);
                let address = match (a, entry) {
                    (Some(a), _) => self.minted.address(a),
                    (None, Some(i)) => self.minted.emails[i].address.clone(),
                    (None, None) => ADDRESSES[0].to_owned(),
                };
                let r = m.revoke_email_token(&address, &id);
                fine(call, &r);
                Self::no_such(call, &id, &r);
            }
            Call::RemoveEmailAddress(a) => {
                let address = self.minted.address(a);
                let r = m.remove_email_address(&address);
                fine(call, &r);
                if r.is_ok() {
                    let l = m.list_email_tokens(&address);
                    assert!(
                        matches!(&l, Ok(l) if l.is_empty()),
                        "{call:?}: the address still lists {l:?}"
                    );
                }
            }

            Call::CreateApiKey(o, name, scopes, life, check) => {
                let owner = self.minted.owner(o);
                let name = name.make(KEY_NAMES, MAX_KEY_NAME_BYTES);
                let scopes = scopes.make(SCOPES, MAX_SCOPES_BYTES);
                let lifetime = life.as_ref().map(Life::make);
                self.create_key(call, owner, name, scopes, lifetime, check);
            }
            Call::VerifyApiKey(s) => {
                let s = self.minted.secret(s, Kind::Key);
                let r = m.verify_api_key(&s.text);
                fine(call, &r);
                Self::never(call, &s, &r);
                if let (Ok(k), Some(i), false) = (&r, s.entry, s.foreign) {
                    let e = &self.minted.keys[i].info;
                    assert!(
                        (&k.id, &k.owner, &k.name, &k.scopes, k.created)
                            == (&e.id, &e.owner, &e.name, &e.scopes, e.created),
                        "{call:?}: the key minted as {e:?} verified as {k:?}"
                    );
                }
            }
            Call::GetApiKey(p) => {
                let (id, entry) = self.minted.id(p, Kind::Key);
                let r = m.get_api_key(&id);
                fine(call, &r);
                Self::no_such(call, &id, &r);
                if let Ok(k) = &r {
                    let same = entry.is_none_or(|i| {
                        let e = &self.minted.keys[i].info;
                        (&k.owner, &k.name, &k.scopes, k.created)
                            == (&e.owner, &e.name, &e.scopes, e.created)
                    });
                    assert!(k.id == id && same, "{call:?}: {id:?} gave {k:?}");
                }
            }
            Call::ListApiKeys(o) => {
                let owner = self.minted.owner(o);
                let r = m.list_api_keys(&owner);
                fine(call, &r);
                let now = self.now();
                if let Ok(l) = &r {
                    let mut ids: Vec<&str> = l.iter().map(|k| k.id.as_str()).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    assert!(
                        l.len() <= MAX_API_KEYS_PER_OWNER as usize
                            && ids.len() == l.len()
                            && l.iter().all(|k| k.owner == owner
                                && k.created <= now
                                && k.expires.is_none_or(|e| e > now)),
                        "{call:?} at {now} gave {r:?}"
                    );
                }
            }
            Call::RevokeApiKey(p) => {
                let (id, _) = self.minted.id(p, Kind::Key);
                let r = m.revoke_api_key(&id);
                fine(call, &r);
                Self::no_such(call, &id, &r);
                if r.is_ok() {
                    let g = m.get_api_key(&id);
                    assert!(
                        matches!(g, Err(Error::InvalidToken)),
                        "{call:?}: the revoked key gave {g:?}"
                    );
                }
            }
            Call::RotateApiKey(p, overlap, check) => self.rotate(call, p, overlap.make(), *check),
            Call::RevokeApiKeys(o) => {
                let owner = self.minted.owner(o);
                let r = m.revoke_api_keys(&owner);
                fine(call, &r);
                if r.is_ok() {
                    let l = m.list_api_keys(&owner);
                    assert!(
                        matches!(&l, Ok(l) if l.is_empty()),
                        "{call:?}: the owner still lists {l:?}"
                    );
                }
            }

            Call::IssueOneTimeToken(id, purpose, life, check) => {
                let user = id.make(&self.minted.users);
                let purpose = purpose.make(PURPOSES, MAX_PURPOSE_BYTES);
                let lifetime = life.as_ref().map(Life::make);
                self.issue(call, user, &purpose, lifetime, check);
            }
            Call::Mint(mint) => self.mint(call, mint),
            Call::RedeemOneTimeToken(s, purpose) => {
                let s = self.minted.secret(s, Kind::Once);
                let purpose = match (purpose, s.entry) {
                    (Some(p), _) => p.make(PURPOSES, MAX_PURPOSE_BYTES),
                    (None, Some(i)) => self.minted.once[i].purpose.clone(),
                    (None, None) => PURPOSE_RESET_PASSWORD.to_owned(),
                };
                let r = m.redeem_one_time_token(&s.text, &purpose);
                fine(call, &r);
                Self::never(call, &s, &r);
            }
            Call::ResetPassword(s, pw) => {
                let s = self.minted.secret(s, Kind::Once);
                let r = m.reset_password(&s.text, &pw.make());
                fine(call, &r);
                Self::never(call, &s, &r);
            }

            Call::Advance(step) => match step {
                Step::Pick(i) => advance(self.clock, SECONDS[*i as usize % SECONDS.len()]),
                Step::Small(n) => advance(self.clock, u64::from(*n)),
                Step::Far(n) => {
                    let far = u64::MAX - u64::from(*n);
                    self.clock.fetch_max(far, Ordering::SeqCst);
                }
            },
            Call::Fill(_, gate) if *gate != FILL || self.filled => {}
            Call::Fill(Fill::Email(a, n), _) => {
                self.filled = true;
                let address = self.minted.address(a);
                for _ in 0..96 + n % 8 {
                    let r = m.create_email_token(&address, &EmailTokenOptions::default());
                    fine(call, &r);
                    if r.is_err() {
                        break;
                    }
                }
                let l = m.list_email_tokens(&address);
                fine(call, &l);
                assert!(
                    l.as_ref()
                        .is_ok_and(|l| l.len() <= MAX_EMAIL_TOKENS_PER_ADDRESS as usize)
                        || l.is_err(),
                    "{call:?}: the address lists {} tokens",
                    l.map_or(0, |l| l.len())
                );
            }
            Call::Fill(Fill::Keys(o, n), _) => {
                self.filled = true;
                let owner = self.minted.owner(o);
                for i in 0..96 + n % 8 {
                    let r = m.create_api_key(&owner, &format!("fill-{i}"), "", None);
                    fine(call, &r);
                    if matches!(r, Err(ref e) if !matches!(e, Error::NameTaken)) {
                        break;
                    }
                }
                let l = m.list_api_keys(&owner);
                fine(call, &l);
                assert!(
                    l.as_ref()
                        .map_or(true, |l| l.len() <= MAX_API_KEYS_PER_OWNER as usize),
                    "{call:?}: the owner lists {} keys",
                    l.map_or(0, |l| l.len())
                );
            }
        }
    }

    fn create_email(
        &mut self,
        call: &Call,
        address: &str,
        options: &EmailTokenOptions,
        check: &EmailCheck,
    ) {
        let now = self.now();
        let r = self.moth.create_email_token(address, options);
        fine(call, &r);
        if let Ok(t) = r {
            self.email_created(call, address, options, t, now, check);
        }
    }

    fn create_key(
        &mut self,
        call: &Call,
        owner: KeyOwner,
        name: String,
        scopes: String,
        lifetime: Option<u64>,
        check: &KeyCheck,
    ) {
        let now = self.now();
        let r = self
            .moth
            .create_api_key(&owner, &name, &scopes, lifetime.map(Duration::from_secs));
        fine(call, &r);
        if let Ok(k) = r {
            let expected = ApiKey {
                id: k.info.id.clone(),
                owner,
                name,
                scopes,
                created: now,
                expires: lifetime.map(|l| now.saturating_add(l)),
                last_used: None,
            };
            assert!(
                k.info == expected,
                "{call:?} at {now} made {k:?}, not {expected:?}"
            );
            self.key_made(call, k.key, expected, lifetime);
            self.key_check(call, check);
        }
    }

    fn issue(
        &mut self,
        call: &Call,
        user: u64,
        purpose: &str,
        lifetime: Option<u64>,
        check: &OnceCheck,
    ) {
        let now = self.now();
        let r = self
            .moth
            .issue_one_time_token(user, purpose, lifetime.map(Duration::from_secs));
        fine(call, &r);
        if let Ok(t) = r {
            let lifetime = lifetime.unwrap_or(DEFAULT_ONE_TIME_LIFETIME);
            assert!(
                t.token.starts_with(ONE_TIME_TOKEN_PREFIX)
                    && Some(t.expires) == now.checked_add(lifetime),
                "{call:?} at {now} made {t:?}"
            );
            self.once_issued(call, user, purpose, lifetime, t.token, check);
        }
    }

    /// A user of this input, made (`mint-user`) when it has none.
    fn some_user(&mut self, i: u8) -> Option<u64> {
        if self.minted.users.is_empty() {
            let u = self.moth.create_user("mint-user", "pw", "").ok()?;
            self.minted.users.push(u.id);
        }
        let users = &self.minted.users;
        Some(users[i as usize % users.len()])
    }

    /// A credential minted with valid arguments only, then checked.
    fn mint(&mut self, call: &Call, mint: &Mint) {
        let pick = |list: &[u64], i: u8| list[i as usize % list.len()];
        match mint {
            Mint::Email {
                address,
                ip,
                lifetime,
                retval,
                uses,
                check,
            } => {
                let address = match address {
                    Some(i) if !self.minted.emails.is_empty() => {
                        self.minted.address(&Addr::Minted(*i))
                    }
                    a => ADDRESSES[a.unwrap_or(0) as usize % VALID_ADDRESSES].to_owned(),
                };
                let options = EmailTokenOptions {
                    ip: ip.map(|i| IPS[i as usize % VALID_IPS].to_owned()),
                    lifetime: lifetime.map(|i| pick(EMAIL_LIFETIMES, i)),
                    retval: retval.map(|i| pick_str(RETVALS, i)),
                    uses: uses.map(|i| [1, 2, 3, 999, 1000][i as usize % 5]),
                };
                self.create_email(call, &address, &options, check);
            }
            Mint::Key {
                user,
                name,
                lifetime,
                check,
            } => {
                let owner = match user {
                    Some(i) => match self.some_user(*i) {
                        Some(u) => KeyOwner::User(u),
                        None => return,
                    },
                    None => KeyOwner::Service(SERVICES[0].to_owned()),
                };
                let name = format!("{}{name}", KEY_NAMES[*name as usize % VALID_KEY_NAMES]);
                let lifetime = lifetime.map(|i| pick(KEY_LIFETIMES, i));
                self.create_key(call, owner, name, SCOPES[2].to_owned(), lifetime, check);
            }
            Mint::Once {
                user,
                purpose,
                lifetime,
                check,
            } => {
                let Some(user) = self.some_user(*user) else {
                    return;
                };
                let purpose = PURPOSES[*purpose as usize % VALID_PURPOSES];
                let lifetime = lifetime.map(|i| pick(ONCE_LIFETIMES, i));
                self.issue(call, user, purpose, lifetime, check);
            }
        }
    }

    /// `rotate_api_key` of the key `p` names, with `overlap`; with `check`,
    /// the old key's fate and a second rotation too.
    fn rotate(&mut self, call: &Call, p: &PubId, overlap: u64, check: bool) {
        let m = self.moth;
        let (id, entry) = self.minted.id(p, Kind::Key);
        let now = self.now();
        let r = m.rotate_api_key(&id, Duration::from_secs(overlap));
        fine(call, &r);
        assert!(
            is_public_id(&id) || matches!(r, Err(Error::InvalidToken | Error::InvalidInput(_))),
            "{call:?}: {id:?} is no public id, but gave {r:?}"
        );
        let Ok(new) = r else { return };
        let Some(i) = entry else {
            // Not a key this input minted (it cannot guess one): keep it.
            let lifetime = new.info.expires.map(|e| e - now);
            let info = new.info.clone();
            self.key_made(call, new.key, info, lifetime);
            return;
        };
        let old = &self.minted.keys[i];
        let (old_key, old, lifetime) = (old.key.clone(), old.info.clone(), old.lifetime);
        let expected = ApiKey {
            id: new.info.id.clone(),
            owner: old.owner.clone(),
            name: old.name.clone(),
            scopes: old.scopes.clone(),
            created: now,
            expires: lifetime.map(|l| now.saturating_add(l)),
            last_used: None,
        };
        assert!(
            new.info == expected && new.info.id != old.id && new.key != old_key,
            "{call:?} at {now}: rotating {old:?} made {new:?}, not {expected:?}"
        );
        self.key_made(call, new.key.clone(), expected, lifetime);
        if !check {
            return;
        }
        let v = m.verify_api_key(&new.key);
        assert!(
            matches!(&v, Ok(k) if k.id == new.info.id),
            "{call:?}: the new key gave {v:?}"
        );
        let v = m.verify_api_key(&old_key);
        if overlap == 0 {
            assert!(
                matches!(v, Err(Error::InvalidToken)),
                "{call:?}: the old key outlived a rotation without overlap: {v:?}"
            );
        } else {
            let until = now.saturating_add(overlap);
            let ends = old.expires.map_or(until, |e| e.min(until));
            assert!(
                matches!(&v, Ok(k) if k.id == old.id && k.expires == Some(ends)),
                "{call:?}: in the overlap, until {ends}, the old key gave {v:?}"
            );
        }
        let again = m.rotate_api_key(&old.id, Duration::from_secs(overlap));
        assert!(
            matches!(again, Err(Error::InvalidToken)),
            "{call:?}: the old key rotated again: {again:?}"
        );
    }
}

/// Run `calls` on a fresh tenant, the clock at [`EPOCH`].
pub fn calls(calls: &[Call]) {
    let fx = fixture();
    let _turn = fx.one_at_a_time.lock().unwrap_or_else(|p| p.into_inner());
    fx.clock.0.store(EPOCH, Ordering::SeqCst);
    let name = format!("fz{}", fx.inputs.fetch_add(1, Ordering::Relaxed));
    let moth = fx
        .moth
        .create_tenant(&name, Some(cheap_settings()))
        .expect("create the input's tenant");
    let mut run = Run {
        moth: &moth,
        clock: &fx.clock.0,
        minted: Minted::default(),
        filled: false,
    };
    for call in calls {
        run.call(call);
    }
    fx.moth
        .delete_tenant(&name)
        .expect("delete the input's tenant");
}

/// One input: up to 32 calls.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(list) = u
        .arbitrary_iter::<Call>()
        .and_then(|it| it.take(32).collect::<Result<Vec<_>, _>>())
    else {
        return;
    };
    calls(&list);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{budget, generator};

    #[test]
    fn a_session_and_the_limits() {
        let ann = || Name::Known(0);
        let pw = || Pw::Known(0);
        calls(&[
            Call::CreateUser(ann(), pw(), "r".into()),
            Call::CreateUser(
                Name::Long(256, 'a'),
                Pw::Long(1024, 'x'),
                "é".repeat(32 * 1024),
            ),
            Call::CreateUser(Name::Long(257, 'a'), pw(), String::new()),
            Call::CreateUser(ann(), Pw::Long(1025, 'x'), String::new()),
            Call::Login(ann(), pw(), Some(1)),
            Call::Login(ann(), pw(), None),
            Call::Login(ann(), pw(), Some(0)),
            Call::Login(ann(), pw(), Some(u64::MAX)),
            Call::Validate(Tok::Minted(1)),
            Call::CountTokens(Id::Small(1)),
            Call::ListUsers(None, 0),
            Call::ListUsers(Some(Id::Any(u64::MAX)), 1000),
            Call::AllUsers,
            Call::SetSettings(Costs {
                memory: 2,
                iterations: 1,
                parallelism: 1,
                lifetime: Some(0),
                weak: true,
            }),
            Call::SetSettings(Costs {
                memory: 5,
                iterations: 1,
                parallelism: 1,
                lifetime: None,
                weak: true,
            }),
            Call::SetSettings(Costs {
                memory: 3,
                iterations: 2,
                parallelism: 2,
                lifetime: Some(5),
                weak: true,
            }),
            // Cheap costs without the opt-in: refused.
            Call::SetSettings(Costs {
                memory: 3,
                iterations: 1,
                parallelism: 1,
                lifetime: None,
                weak: false,
            }),
            Call::Login(ann(), pw(), None),
            Call::Sweep(0),
            Call::Sweep(u32::MAX),
            Call::SweepAll,
            Call::SetPassword(Id::Small(1), Pw::Known(1)),
            Call::Validate(Tok::Minted(0)),
            Call::Logout(Tok::Minted(0)),
            Call::Logout(Tok::Forged([1; 32])),
            Call::Validate(Tok::Text("moth_é".into())),
            Call::DeleteTokens(Id::Small(1)),
            Call::DeleteUser(Id::Small(1)),
            Call::GetUser(Id::Any(0)),
            Call::GetSettings,
        ]);
    }

    fn opts(
        ip: Option<u8>,
        lifetime: Option<u8>,
        retval: Option<u8>,
        uses: Option<u8>,
    ) -> EmailOpts {
        EmailOpts {
            ip: ip.map(Str::Known),
            lifetime: lifetime.map(Life::Pick),
            retval: retval.map(Str::Known),
            uses: uses.map(Uses::Pick),
        }
    }

    fn email_checks() -> Vec<EmailCheck> {
        vec![
            EmailCheck::Keep,
            EmailCheck::Use,
            EmailCheck::OtherAddress,
            EmailCheck::OtherIp,
            EmailCheck::Expire,
            EmailCheck::JustBefore,
        ]
    }

    /// Each check of each capability, over options at and around their
    /// bounds (lifetimes, uses, overlaps, lengths, IP forms, purposes).
    #[test]
    fn every_check_at_the_bounds() {
        let mut seq = vec![
            Call::CreateUser(Name::Known(0), Pw::Known(0), "r".into()),
            Call::CreateUser(Name::Known(1), Pw::Known(0), String::new()),
            Call::Login(Name::Known(0), Pw::Known(0), None),
        ];
        // Email tokens: IPs 192.0.2.1, its mapped form, 2001:db8::1, an
        // invalid one; lifetimes default, 1, 30 days, one over; uses
        // default, 2, 0; retvals none, empty, a URL.
        for (n, check) in email_checks().into_iter().enumerate() {
            let n = n as u8;
            for ip in [None, Some(0), Some(1), Some(4), Some(8)] {
                for (lifetime, uses) in [
                    (None, None),
                    (Some(1), Some(2)),
                    (Some(18), Some(1)),
                    (Some(19), None),
                    (Some(0), None),
                    (None, Some(0)),
                    (None, Some(5)),
                    (None, Some(6)),
                ] {
                    seq.push(Call::CreateEmailToken(
                        Addr::Given(Str::Known(n)),
                        opts(ip, lifetime, Some(n % 3), uses),
                        match check {
                            EmailCheck::Keep => EmailCheck::Keep,
                            EmailCheck::Use => EmailCheck::Use,
                            EmailCheck::OtherAddress => EmailCheck::OtherAddress,
                            EmailCheck::OtherIp => EmailCheck::OtherIp,
                            EmailCheck::Expire => EmailCheck::Expire,
                            EmailCheck::JustBefore => EmailCheck::JustBefore,
                        },
                    ));
                }
            }
        }
        for len in 0..6 {
            seq.push(Call::CreateEmailToken(
                Addr::Given(Str::Sized(len, 'é')),
                EmailOpts {
                    ip: None,
                    lifetime: None,
                    retval: Some(Str::Sized(len, '😀')),
                    uses: None,
                },
                EmailCheck::Use,
            ));
        }
        let mutations = || {
            vec![
                Mutation::Byte(7, b'A'),
                Mutation::Reforge(3, 9),
                Mutation::Reforge(42, 1),
                Mutation::Prefix(0),
                Mutation::Prefix(2),
                Mutation::Truncate(40),
                Mutation::Append("\0".into()),
                Mutation::Upper,
                Mutation::Space,
                Mutation::Twice,
            ]
        };
        for (i, m) in mutations().into_iter().enumerate() {
            seq.push(Call::AuthEmailToken(
                None,
                Secret::Mutated(i as u8, m),
                None,
            ));
        }
        seq.extend([
            Call::AuthEmailToken(None, Secret::OtherKind(0, 0), None),
            Call::AuthEmailToken(None, Secret::Forged([7; 32]), Some(Str::Known(0))),
            Call::AuthEmailToken(None, Secret::Minted(0), Some(Str::Known(9))),
            Call::AuthEmailToken(Some(Addr::Minted(1)), Secret::Minted(0), None),
            Call::SetEmailTokenRetval(None, Secret::Minted(1), Some(Str::Sized(3, 'x'))),
            Call::SetEmailTokenRetval(None, Secret::Minted(1), Some(Str::Sized(4, 'x'))),
            Call::SetEmailTokenRetval(None, Secret::Minted(1), None),
            Call::AuthEmailToken(None, Secret::Minted(1), None),
            Call::ListEmailTokens(Addr::Minted(2)),
            Call::RevokeEmailToken(None, PubId::Minted(2)),
            Call::RevokeEmailToken(None, PubId::Upper(3)),
            Call::RevokeEmailToken(None, PubId::Mutated(3, 15, 1)),
            Call::RevokeEmailToken(None, PubId::OtherKind(0)),
            Call::RevokeEmailToken(Some(Addr::Given(Str::Known(7))), PubId::Hex(0)),
            Call::RemoveEmailToken(None, Secret::Minted(4)),
            Call::RemoveEmailToken(None, Secret::Mutated(4, Mutation::Space)),
            Call::RemoveEmailAddress(Addr::Minted(5)),
            Call::RemoveEmailAddress(Addr::Given(Str::Known(7))),
            Call::Fill(Fill::Email(Addr::Given(Str::Known(0)), 7), FILL),
            Call::CreateEmailToken(
                Addr::Given(Str::Known(0)),
                opts(None, None, None, None),
                EmailCheck::Use,
            ),
        ]);
        // Rotations: overlaps 0, 1 s, 7 days, one over and the most, of
        // keys that never expire, expire in 10 years and in 4 hours.
        // (A successful rotation adds its key to the list: the keys made
        // here are the 0th, 2nd, 4th, 6th and 7th.)
        for (i, name, lifetime, overlap) in [
            (0, Str::Known(0), None, 0u8),
            (2, Str::Sized(1, 'r'), Some(21u8), 1),
            (4, Str::Sized(2, 'r'), Some(12), 15),
            (6, Str::Sized(3, 'r'), None, 16),
            (7, Str::Known(1), Some(12), 23),
        ] {
            seq.push(Call::CreateApiKey(
                Owner::Service(Str::Known(0)),
                name,
                Str::Known(2),
                lifetime.map(Life::Pick),
                KeyCheck::Keep,
            ));
            seq.push(Call::RotateApiKey(
                PubId::Minted(i),
                Life::Pick(overlap),
                true,
            ));
        }
        // The key of the first rotation, rotated in turn.
        seq.push(Call::RotateApiKey(PubId::Minted(1), Life::Pick(2), true));
        // API keys: a user's and services' (names at their bound), with
        // lifetimes none, 1 s, 10 years, one over, 0.
        let owners = || {
            vec![
                Owner::User(Id::Small(1)),
                Owner::Service(Str::Known(0)),
                Owner::Service(Str::Sized(3, 'é')),
                Owner::Service(Str::Sized(4, 'é')),
                Owner::User(Id::Small(7)),
            ]
        };
        for (n, owner) in owners().into_iter().enumerate() {
            for (k, lifetime) in [None, Some(1), Some(21), Some(22), Some(0)]
                .into_iter()
                .enumerate()
            {
                let check = match (n + k) % 5 {
                    0 => KeyCheck::Keep,
                    1 => KeyCheck::Verify,
                    2 => KeyCheck::Twice,
                    3 => KeyCheck::Expire,
                    _ => KeyCheck::JustBefore,
                };
                let owner = match &owner {
                    Owner::User(Id::Small(i)) => Owner::User(Id::Small(*i)),
                    Owner::Service(Str::Known(i)) => Owner::Service(Str::Known(*i)),
                    Owner::Service(Str::Sized(i, c)) => Owner::Service(Str::Sized(*i, *c)),
                    _ => unreachable!(),
                };
                seq.push(Call::CreateApiKey(
                    owner,
                    Str::Sized(k as u8 % 4 + 1, 'k'),
                    Str::Sized(k as u8, 's'),
                    lifetime.map(Life::Pick),
                    check,
                ));
            }
        }
        for (i, m) in mutations().into_iter().enumerate() {
            seq.push(Call::VerifyApiKey(Secret::Mutated(i as u8, m)));
        }
        seq.extend([
            Call::VerifyApiKey(Secret::Minted(0)),
            Call::VerifyApiKey(Secret::OtherKind(1, 0)),
            Call::GetApiKey(PubId::Minted(1)),
            Call::GetApiKey(PubId::Upper(1)),
            Call::GetApiKey(PubId::Text("".into())),
            Call::ListApiKeys(Owner::OfKey(0)),
            Call::ListApiKeys(Owner::Service(Str::Known(4))),
            Call::RevokeApiKey(PubId::Minted(2)),
            Call::RevokeApiKey(PubId::Mutated(2, 0, 0)),
            Call::Advance(Step::Pick(9)),
            Call::VerifyApiKey(Secret::Minted(3)),
            // Skipped: one fill an input.
            Call::Fill(Fill::Keys(Owner::Service(Str::Known(1)), 7), FILL),
            Call::RevokeApiKeys(Owner::User(Id::Small(6))),
        ]);
        // One-time tokens: every purpose; lifetimes default, 1 s, 7 days,
        // one over.
        for p in 0..11u8 {
            for (k, lifetime) in [None, Some(1), Some(15), Some(16)].into_iter().enumerate() {
                let check = match (p as usize + k) % 6 {
                    0 => OnceCheck::Keep,
                    1 => OnceCheck::Redeem,
                    2 => OnceCheck::OtherPurpose,
                    3 => OnceCheck::Reset(Pw::Known(k as u8)),
                    4 => OnceCheck::Expire,
                    _ => OnceCheck::JustBefore,
                };
                seq.push(Call::IssueOneTimeToken(
                    Id::Small(1 + (k as u8 % 2)),
                    Str::Known(p),
                    lifetime.map(Life::Pick),
                    check,
                ));
            }
        }
        seq.extend([
            Call::IssueOneTimeToken(
                Id::Small(1),
                Str::Known(0),
                None,
                OnceCheck::Reset(Pw::Long(1025, 'x')),
            ),
            Call::IssueOneTimeToken(Id::Small(1), Str::Sized(3, 'a'), None, OnceCheck::Redeem),
            Call::IssueOneTimeToken(Id::Small(1), Str::Sized(4, 'a'), None, OnceCheck::Redeem),
            Call::IssueOneTimeToken(Id::Small(7), Str::Known(0), None, OnceCheck::Redeem),
            Call::RedeemOneTimeToken(Secret::Minted(0), None),
            Call::RedeemOneTimeToken(Secret::Mutated(0, Mutation::Upper), None),
            Call::RedeemOneTimeToken(Secret::OtherKind(2, 0), Some(Str::Known(1))),
            Call::ResetPassword(Secret::Minted(1), Pw::Known(1)),
            Call::ResetPassword(Secret::Forged([1; 32]), Pw::Known(1)),
            Call::Login(Name::Known(0), Pw::Known(1), None),
            Call::DeleteUser(Id::Small(1)),
            Call::Sweep(u32::MAX),
            Call::Advance(Step::Pick(23)),
            Call::SweepAll,
            Call::Advance(Step::Far(0)),
            Call::CreateEmailToken(
                Addr::Given(Str::Known(0)),
                opts(None, None, None, None),
                EmailCheck::Use,
            ),
            Call::CreateApiKey(
                Owner::User(Id::Small(2)),
                Str::Known(0),
                Str::Known(0),
                Some(Life::Pick(1)),
                KeyCheck::Verify,
            ),
            Call::CreateApiKey(
                Owner::User(Id::Small(2)),
                Str::Known(1),
                Str::Known(0),
                None,
                KeyCheck::Verify,
            ),
            Call::IssueOneTimeToken(Id::Small(2), Str::Known(1), None, OnceCheck::Redeem),
            Call::Login(Name::Known(1), Pw::Known(0), None),
            Call::SweepAll,
        ]);
        calls(&seq);
        // Credentials from valid arguments: every check, a user made for
        // the keys and one-time tokens of users.
        let mut seq = Vec::new();
        for i in 0..6u8 {
            seq.push(Call::Mint(Mint::Email {
                address: (i % 2 == 0).then_some(i),
                ip: (i % 3 != 0).then_some(i),
                lifetime: Some(i),
                retval: Some(i),
                uses: (i % 2 == 1).then_some(i),
                check: email_checks().swap_remove(i as usize),
            }));
            seq.push(Call::Mint(Mint::Key {
                user: (i % 2 == 0).then_some(i),
                name: i,
                lifetime: (i % 3 != 0).then_some(i),
                check: Vec::from([
                    KeyCheck::Keep,
                    KeyCheck::Verify,
                    KeyCheck::Twice,
                    KeyCheck::Expire,
                    KeyCheck::JustBefore,
                    KeyCheck::Verify,
                ])
                .swap_remove(i as usize),
            }));
            seq.push(Call::Mint(Mint::Once {
                user: i,
                purpose: i,
                lifetime: Some(i),
                check: Vec::from([
                    OnceCheck::Keep,
                    OnceCheck::Redeem,
                    OnceCheck::OtherPurpose,
                    OnceCheck::Reset(Pw::Known(1)),
                    OnceCheck::Expire,
                    OnceCheck::JustBefore,
                ])
                .swap_remove(i as usize),
            }));
        }
        calls(&seq);
        // An owner at the cap of 100 keys: a key more is refused (with a
        // lifetime too); a second fill in the input is skipped.
        calls(&[
            Call::Fill(Fill::Keys(Owner::Service(Str::Known(1)), 7), FILL),
            Call::CreateApiKey(
                Owner::Service(Str::Known(1)),
                Str::Known(0),
                Str::Known(0),
                Some(Life::Pick(1)),
                KeyCheck::Expire,
            ),
            Call::RevokeApiKey(PubId::Hex(0)),
            Call::Fill(Fill::Email(Addr::Given(Str::Known(0)), 7), FILL),
            Call::RevokeApiKeys(Owner::Service(Str::Known(1))),
        ]);
        calls(&[
            Call::CreateUser(Name::Known(0), Pw::Known(0), String::new()),
            Call::Fill(Fill::Keys(Owner::User(Id::Small(1)), 4), FILL),
            Call::CreateApiKey(
                Owner::User(Id::Small(1)),
                Str::Known(0),
                Str::Known(0),
                None,
                KeyCheck::Verify,
            ),
            Call::DeleteUser(Id::Small(1)),
            Call::RevokeApiKeys(Owner::Service(Str::Known(1))),
        ]);
    }

    #[test]
    fn generated_inputs() {
        let mut g = generator(4);
        for _ in 0..budget(200) {
            run(&g.input(512));
        }
    }
}
