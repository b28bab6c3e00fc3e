//! Connections to PostgreSQL: an r2d2 pool of clients, each with moth's
//! statements prepared once (so a read is one round trip, not a prepare
//! and an execute), and a way to block on them from any thread.

use std::str::FromStr;
use std::time::Duration;

use postgres::{Client, Config, NoTls, Statement};

use crate::error::{Error, Result};
use crate::store::Durability;

/// How long a call waits for a connection (or for the database to answer
/// a connect) before it fails: an unreachable database is a prompt
/// storage error, not a hang.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest one statement may run; a stuck one fails instead of holding
/// a connection (and the call on it) forever.
const STATEMENT_TIMEOUT: &str = "10s";

/// A client and its prepared statements.
pub(super) struct Conn {
    pub client: Client,
    pub st: Statements,
}

/// The statements every key-space call uses.
pub(super) struct Statements {
    pub get: Statement,
    pub scan: Statement,
    pub guards: Statement,
    pub upsert: Statement,
    pub delete: Statement,
    pub tenant_alive: Statement,
    pub count: Statement,
}

impl Statements {
    fn prepare(c: &mut Client) -> Result<Self, postgres::Error> {
        Ok(Statements {
            get: c.prepare("SELECT value FROM moth_kv WHERE space = $1 AND key = $2")?,
            scan: c.prepare(
                "SELECT key, value FROM moth_kv
                  WHERE space = $1 AND key >= $2 AND key < $3
                  ORDER BY key LIMIT $4",
            )?,
            guards: c
                .prepare("SELECT key, value FROM moth_kv WHERE space = $1 AND key = ANY($2)")?,
            upsert: c.prepare(
                "INSERT INTO moth_kv (space, key, value)
                 SELECT $1, w.k, w.v FROM unnest($2::bytea[], $3::bytea[]) AS w(k, v)
                 ON CONFLICT (space, key) DO UPDATE SET value = excluded.value",
            )?,
            delete: c.prepare("DELETE FROM moth_kv WHERE space = $1 AND key = ANY($2)")?,
            tenant_alive: c.prepare("SELECT 1 FROM moth_tenants WHERE space = $1")?,
            count: c.prepare("SELECT count(*) FROM moth_kv WHERE space = $1")?,
        })
    }
}

/// Makes [`Conn`]s for r2d2.
pub(super) struct Manager {
    config: Config,
    session: String,
}

impl Manager {
    /// Connections to `url`, committing with `durability`.
    pub fn new(url: &str, durability: Durability) -> Result<Self> {
        let mut config = Config::from_str(url)
            .map_err(|e| Error::InvalidInput(format!("the PostgreSQL URL is not valid: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.application_name("moth");
        let synchronous_commit = match durability {
            Durability::Flush => "on",
            Durability::Buffered => "off",
        };
        Ok(Manager {
            config,
            // Durability is the host's promise, so it is set on every
            // connection rather than trusted to the server's default.
            session: format!(
                "SET synchronous_commit = {synchronous_commit}; SET statement_timeout = '{STATEMENT_TIMEOUT}'"
            ),
        })
    }

    /// A plain client (no statements prepared: the schema may not exist).
    pub fn connect_plain(&self) -> Result<Client, postgres::Error> {
        let mut client = self.config.connect(NoTls)?;
        client.batch_execute(&self.session)?;
        Ok(client)
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Conn, postgres::Error> {
        let mut client = self.connect_plain()?;
        let st = Statements::prepare(&mut client)?;
        Ok(Conn { client, st })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(drop)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.client.is_closed()
    }
}

/// The pool of connections of one open database.
pub(super) type Pool = r2d2::Pool<Manager>;

/// A pool of at most `size` connections made by `manager`. Connections are
/// made on demand, so building it does not touch the database.
pub(super) fn pool(manager: Manager, size: u32) -> Pool {
    r2d2::Pool::builder()
        .max_size(size.max(1))
        .min_idle(Some(0))
        // A checkout must not cost a round trip; a broken connection is
        // noticed by its failing statement and dropped (`has_broken`).
        .test_on_check_out(false)
        .connection_timeout(CONNECT_TIMEOUT)
        .idle_timeout(Some(Duration::from_secs(300)))
        .build_unchecked(manager)
}

/// Run `f`, which blocks on the network, from whatever thread this is.
///
/// The synchronous client drives its own small runtime, which tokio
/// forbids inside an async worker: there the worker is first handed over
/// (`block_in_place`). On a current-thread runtime, which cannot do that,
/// `f` runs on a scoped thread of its own.
pub(super) fn blocking<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match tokio::runtime::Handle::try_current() {
        Err(_) => f(),
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        Ok(_) => std::thread::scope(|s| s.spawn(f).join().expect("a PostgreSQL call panicked")),
    }
}
