//! The `moth` command: create a database, serve the HTTP API, administer
//! users and tokens directly on a database (a sled directory, or PostgreSQL).

mod cli;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use ipnet::IpNet;
use moth::server::{self, ServerConfig};
use moth::{DEFAULT_TENANT, Moth, Options, StoreLocation};

/// moth: a sandboxed authentication core (users, passwords, login tokens).
#[derive(Parser)]
#[command(version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// The database: a sled directory's path, or a PostgreSQL URL
    /// (`postgres://user:password@host:port/database`). `MOTH_DB` is read
    /// too when `MOTH_STORE` is unset.
    #[arg(
        short = 'f',
        long = "store",
        visible_alias = "file",
        env = "MOTH_STORE",
        default_value = "moth.db",
        global = true
    )]
    store: String,
    /// The tenant that the administration commands (all but `create`,
    /// `run`, `tenant`, `component` and `compose`) act on.
    #[arg(
        short = 't',
        long,
        env = "MOTH_TENANT",
        default_value = "default",
        global = true
    )]
    tenant: String,
}

#[derive(Subcommand)]
enum Command {
    /// Create an empty database; refuses to touch an existing one.
    Create,
    /// Serve the HTTP API until SIGINT or SIGTERM.
    Run {
        /// TCP port.
        #[arg(short, long, default_value_t = 8080)]
        port: u16,
        /// Address to bind. Anything but loopback needs --admin-key-file
        /// (or --insecure-open).
        #[arg(long, default_value = "127.0.0.1")]
        host: IpAddr,
        /// File holding the admin key (at least 16 characters): admin
        /// routes then require `Authorization: Bearer <key>`.
        #[arg(long)]
        admin_key_file: Option<PathBuf>,
        /// Allow a non-loopback address without an admin key.
        #[arg(long)]
        insecure_open: bool,
        /// Also answer requests whose Host (or Origin) names NAME, a host
        /// name or IP address without a port; repeatable. Always allowed:
        /// localhost, loopback addresses and the address bound (every
        /// address when binding 0.0.0.0 or ::). Others get 403.
        #[arg(long = "allow-host", value_name = "NAME")]
        allow_hosts: Vec<String>,
        /// Believe X-Forwarded-For from peers in CIDR (a network such as
        /// 10.0.0.0/8, or one IP address), naming the client as the
        /// rightmost address there that is not such a proxy; repeatable.
        /// From other peers the header is ignored. Default: none.
        #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = trusted_proxy)]
        trusted_proxies: Vec<IpNet>,
        /// Seconds a client may take to send a request's line and headers.
        #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
        header_timeout: u64,
        /// Seconds a client may take to send a request's body.
        #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
        body_timeout: u64,
        /// Seconds a kept-alive connection may wait for its next request.
        #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
        idle_timeout: u64,
        /// Connections served at once; more wait in the listen backlog.
        #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 20))]
        max_connections: u64,
        /// The URL clients reach this server at (https://auth.example.com):
        /// the OAuth issuer of the default tenant, and with /t/TENANT of
        /// the others. Default: http:// and the request's Host.
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: cli::users::UserCommand,
    },
    /// Manage tokens.
    Token {
        #[command(subcommand)]
        command: cli::tokens::TokenCommand,
    },
    /// Manage API keys of users and services.
    ApiKey {
        #[command(subcommand)]
        command: cli::api_keys::ApiKeyCommand,
    },
    /// Manage the OAuth clients of the tenant.
    OauthClient {
        #[command(subcommand)]
        command: cli::oauth::OAuthClientCommand,
    },
    /// Show the tenant's OAuth lifetimes, after setting those given.
    OauthLifetimes {
        #[command(flatten)]
        set: moth::server::LifetimesPatch,
    },
    /// Manage email tokens (magic links) of addresses.
    EmailToken {
        #[command(subcommand)]
        command: cli::email_tokens::EmailTokenCommand,
    },
    /// Account states: enabled or disabled, email verified, superuser.
    Account {
        #[command(subcommand)]
        command: cli::accounts::AccountCommand,
    },
    /// The log of password checks: list or purge.
    Attempts {
        #[command(subcommand)]
        command: cli::attempts::AttemptsCommand,
    },
    /// The log of account events (lockouts, password changes, keys, …).
    Events(cli::attempts::LogArgs),
    /// Locked accounts and blocked sources: list, unlock.
    Lockout {
        #[command(subcommand)]
        command: cli::attempts::LockoutCommand,
    },
    /// Roles: permissions, bundles, groups, grants and checks.
    Role {
        #[command(subcommand)]
        command: cli::roles::RoleCommand,
    },
    /// Issue one-time tokens (password reset, email verification).
    OneTimeToken {
        #[command(subcommand)]
        command: cli::one_time_tokens::OneTimeTokenCommand,
    },
    /// Show or change the settings of the tenant (`--tenant`, else the
    /// default one): Argon2 costs, token lifetime and cap, password policy.
    Settings {
        #[command(subcommand)]
        command: cli::settings::SettingsCommand,
    },
    /// Manage tenants: isolated sets of users, tokens and settings.
    Tenant {
        #[command(subcommand)]
        command: cli::tenants::TenantCommand,
    },
    /// Write the embedded moth:auth component (.wasm) for other hosts.
    Component {
        /// Output file.
        #[arg(short, long, default_value = "moth.wasm")]
        out: PathBuf,
    },
    /// Compose a plugin component with moth's into one component whose
    /// only imports are moth's store, wall clock and random (see the
    /// README's plugin host section for when to compose and when to link).
    Compose {
        /// The plugin component: it imports moth:auth interfaces.
        plugin: PathBuf,
        /// Output file.
        #[arg(short, long, default_value = "composed.wasm")]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Run { .. }) {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_level.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let store = match std::env::var("MOTH_DB") {
        // The older variable, for a command line that names no store.
        Ok(db) if std::env::var_os("MOTH_STORE").is_none() && cli.store == "moth.db" => db,
        _ => cli.store,
    };
    match execute(cli.command, &StoreLocation::from(store), &cli.tenant) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("moth: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A `--trusted-proxy`: a network in CIDR notation, or a bare IP address
/// meaning just that address (an IPv4-mapped one taken as IPv4, as peers
/// are compared).
fn trusted_proxy(s: &str) -> Result<IpNet, String> {
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net);
    }
    s.parse::<IpAddr>()
        .map(|ip| IpNet::from(ip.to_canonical()))
        .map_err(|_| format!("{s:?} is not an IP address or a network like 10.0.0.0/8"))
}

/// What to say when there is no database at `store`.
fn no_database(store: &StoreLocation) -> anyhow::Error {
    anyhow::anyhow!("no moth database at {store} (create one with `moth create --store {store}`)")
}

fn open(store: &StoreLocation, tenant: &str) -> anyhow::Result<Moth> {
    // One-shot commands need no background sweeping.
    let moth = Options::new()
        .sweep_interval(None)
        .open(store)
        .map_err(|e| match e {
            moth::Error::NoDatabase(_) => no_database(store),
            e => e.into(),
        })?;
    if tenant == DEFAULT_TENANT {
        return Ok(moth);
    }
    moth.tenant(tenant)
        .with_context(|| format!("tenant {tenant:?}"))
}

fn execute(command: Command, file: &StoreLocation, tenant: &str) -> anyhow::Result<()> {
    match command {
        Command::Create => {
            match file {
                StoreLocation::Sled(path) if path.exists() => {
                    bail!(
                        "{} already exists; refusing to overwrite it",
                        path.display()
                    );
                }
                _ => {}
            }
            if !moth::make_db(file)? {
                bail!("{file} already holds a moth database; refusing to touch it");
            }
            println!("created {file}");
        }
        Command::Run {
            port,
            host,
            admin_key_file,
            insecure_open,
            allow_hosts,
            trusted_proxies,
            header_timeout,
            body_timeout,
            idle_timeout,
            max_connections,
            public_url,
        } => {
            let admin_key = match admin_key_file {
                Some(f) => Some(
                    std::fs::read_to_string(&f)
                        .with_context(|| format!("reading the admin key from {}", f.display()))?
                        .trim()
                        .to_owned(),
                ),
                None => None,
            };
            let config = ServerConfig {
                addr: SocketAddr::new(host, port),
                admin_key,
                insecure_open,
                allow_hosts,
                trusted_proxies,
                header_timeout: Duration::from_secs(header_timeout),
                body_timeout: Duration::from_secs(body_timeout),
                idle_timeout: Duration::from_secs(idle_timeout),
                max_connections: usize::try_from(max_connections)?,
                public_url,
            };
            config.check()?;
            let moth = Options::new().open(file).map_err(|e| match e {
                moth::Error::NoDatabase(_) => no_database(file),
                e => e.into(),
            })?;
            server::run(moth, config)?;
        }
        Command::User { command } => cli::users::run(command, &open(file, tenant)?)?,
        Command::Token { command } => cli::tokens::run(command, &open(file, tenant)?)?,
        Command::ApiKey { command } => cli::api_keys::run(command, &open(file, tenant)?)?,
        Command::OauthClient { command } => cli::oauth::run(command, &open(file, tenant)?)?,
        Command::OauthLifetimes { set } => cli::oauth::lifetimes(set, &open(file, tenant)?)?,
        Command::EmailToken { command } => cli::email_tokens::run(command, &open(file, tenant)?)?,
        Command::OneTimeToken { command } => {
            cli::one_time_tokens::run(command, &open(file, tenant)?)?
        }
        Command::Account { command } => cli::accounts::run(command, &open(file, tenant)?)?,
        Command::Attempts { command } => {
            cli::attempts::run_attempts(command, &open(file, tenant)?)?
        }
        Command::Events(args) => cli::attempts::run_events(args, &open(file, tenant)?)?,
        Command::Lockout { command } => cli::attempts::run_lockout(command, &open(file, tenant)?)?,
        Command::Role { command } => cli::roles::run(command, &open(file, tenant)?)?,
        Command::Settings { command } => cli::settings::run(command, &open(file, tenant)?)?,
        Command::Tenant { command } => cli::tenants::run(command, &open(file, DEFAULT_TENANT)?)?,
        Command::Component { out } => {
            std::fs::write(&out, moth::COMPONENT)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} ({} bytes)", out.display(), moth::COMPONENT.len());
        }
        Command::Compose { plugin, out } => {
            let bytes =
                std::fs::read(&plugin).with_context(|| format!("reading {}", plugin.display()))?;
            let composed = moth::plugin::compose(&bytes)?;
            std::fs::write(&out, &composed)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} ({} bytes)", out.display(), composed.len());
        }
    }
    Ok(())
}
