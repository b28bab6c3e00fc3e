//! The `moth` command: create a database, serve the HTTP API, administer
//! users and tokens directly on a database (a sled directory, or PostgreSQL).

use std::io::{BufRead, IsTerminal};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use moth::server::{self, ServerConfig};
use moth::{DEFAULT_TENANT, Moth, Options, SettingsOverrides, StoreLocation};
use serde_json::json;

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
    /// The tenant that `user`, `token`, `api-key`, `email-token` and
    /// `one-time-token` commands act on.
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
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage API keys of users and services.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Manage email tokens (magic links) of addresses.
    EmailToken {
        #[command(subcommand)]
        command: EmailTokenCommand,
    },
    /// Issue one-time tokens (password reset, email verification).
    OneTimeToken {
        #[command(subcommand)]
        command: OneTimeTokenCommand,
    },
    /// Show or change the settings of the tenant (`--tenant`, else the
    /// default one): Argon2 costs, token lifetime and cap, password policy.
    Settings {
        #[command(subcommand)]
        command: SettingsCommand,
    },
    /// Manage tenants: isolated sets of users, tokens and settings.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Write the embedded moth:auth component (.wasm) for other hosts.
    Component {
        /// Output file.
        #[arg(short, long, default_value = "moth.wasm")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from a prompt or from stdin.
    Add {
        username: String,
        /// The user's permissions string.
        #[arg(long, default_value = "")]
        perms: String,
    },
    /// List every user, one JSON object per line.
    List,
    /// Show one user.
    Show { id: u64 },
    /// Delete a user and revoke their tokens.
    Del { id: u64 },
    /// Set a new password (prompt or stdin); revokes the user's tokens.
    Passwd { id: u64 },
    /// Replace a user's permissions string.
    Perms { id: u64, perms: String },
}

#[derive(Subcommand)]
enum SettingsCommand {
    /// Print the settings in force.
    Show,
    /// Change the settings named; the others stay. Prints them all.
    Set {
        #[command(flatten)]
        settings: SettingsOverrides,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant.
    Add {
        name: String,
        #[command(flatten)]
        settings: SettingsOverrides,
    },
    /// List tenants, `default` first.
    List,
    /// Delete a tenant and all its data.
    Del { name: String },
}

/// An API key's owner on the command line: a user or a service.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct OwnerArgs {
    /// The user's id.
    #[arg(long)]
    user: Option<u64>,
    /// The service's name.
    #[arg(long)]
    service: Option<String>,
}

impl OwnerArgs {
    fn owner(self) -> moth::KeyOwner {
        match (self.user, self.service) {
            (Some(id), _) => moth::KeyOwner::User(id),
            (None, name) => moth::KeyOwner::Service(name.unwrap_or_default()),
        }
    }
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key; prints it once, with its metadata.
    Create {
        #[command(flatten)]
        owner: OwnerArgs,
        /// The key's name, unique for its owner.
        #[arg(long)]
        name: String,
        /// The scopes string the key carries.
        #[arg(long, default_value = "")]
        scopes: String,
        /// Seconds until it expires; without it, until revoked.
        #[arg(long, value_name = "SECS")]
        lifetime: Option<u64>,
    },
    /// List an owner's keys (metadata only), one JSON object per line.
    List {
        #[command(flatten)]
        owner: OwnerArgs,
    },
    /// Show one live key's metadata by its id.
    Show { id: String },
    /// Revoke a key by its id.
    Revoke { id: String },
    /// Replace a key by a new one; prints the new key once.
    Rotate {
        id: String,
        /// Seconds the old key keeps working (at most 604800).
        #[arg(long, value_name = "SECS", default_value_t = 0)]
        overlap: u64,
    },
    /// Revoke every key of an owner.
    RevokeAll {
        #[command(flatten)]
        owner: OwnerArgs,
    },
}

#[derive(Subcommand)]
enum EmailTokenCommand {
    /// Create a token for an address; prints it once.
    Create {
        address: String,
        /// Bind the token to this client IP address.
        #[arg(long)]
        ip: Option<String>,
        /// Seconds until it expires (default 900, at most 2592000).
        #[arg(long, value_name = "SECS")]
        lifetime: Option<u64>,
        /// How many times it can be used (default 1).
        #[arg(long)]
        uses: Option<u32>,
        /// What a successful check returns.
        #[arg(long)]
        retval: Option<String>,
    },
    /// List an address's live tokens (metadata only).
    List { address: String },
    /// Delete one token of an address by its id.
    Revoke { address: String, id: String },
    /// Delete every token of an address.
    RemoveAddress { address: String },
}

#[derive(Subcommand)]
enum OneTimeTokenCommand {
    /// Issue a single-use token for a user and a purpose (`reset-password`,
    /// `verify-email`, or your own); prints it once.
    Issue {
        id: u64,
        purpose: String,
        /// Seconds until it expires (default 14400, at most 604800).
        #[arg(long, value_name = "SECS")]
        lifetime: Option<u64>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// How many live tokens a user has.
    Count { id: u64 },
    /// Revoke all of a user's tokens.
    RevokeAll { id: u64 },
    /// A user's live sessions (never their tokens), oldest first.
    List { id: u64 },
    /// End one of a user's sessions by its id (from `token list`).
    Revoke { id: u64, session: String },
    /// Delete every expired token now.
    Sweep,
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
            header_timeout,
            body_timeout,
            idle_timeout,
            max_connections,
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
                header_timeout: Duration::from_secs(header_timeout),
                body_timeout: Duration::from_secs(body_timeout),
                idle_timeout: Duration::from_secs(idle_timeout),
                max_connections: usize::try_from(max_connections)?,
            };
            config.check()?;
            let moth = Options::new().open(file).map_err(|e| match e {
                moth::Error::NoDatabase(_) => no_database(file),
                e => e.into(),
            })?;
            server::run(moth, config)?;
        }
        Command::User { command } => {
            let moth = open(file, tenant)?;
            match command {
                UserCommand::Add { username, perms } => {
                    let password = read_password(true)?;
                    print_user(&moth.create_user(&username, &password, &perms)?);
                }
                UserCommand::List => {
                    for u in moth.all_users()? {
                        print_user(&u);
                    }
                }
                UserCommand::Show { id } => print_user(&moth.get_user(id)?),
                UserCommand::Del { id } => {
                    moth.delete_user(id)?;
                    println!("{}", json!({ "deleted": true }));
                }
                UserCommand::Passwd { id } => {
                    moth.get_user(id)?;
                    let password = read_password(true)?;
                    moth.set_password(id, &password)?;
                    println!("{}", json!({ "updated": true }));
                }
                UserCommand::Perms { id, perms } => {
                    moth.set_permissions(id, &perms)?;
                    println!("{}", json!({ "updated": true }));
                }
            }
        }
        Command::Token { command } => {
            let moth = open(file, tenant)?;
            match command {
                TokenCommand::Count { id } => {
                    println!("{}", json!({ "count": moth.count_tokens(id)? }))
                }
                TokenCommand::RevokeAll { id } => {
                    let count = moth.delete_tokens(id)?;
                    println!("{}", json!({ "deleted": count > 0, "count": count }));
                }
                TokenCommand::List { id } => {
                    for s in moth.list_sessions(id)? {
                        print_json(&server::SessionBody::from(s));
                    }
                }
                TokenCommand::Revoke { id, session } => {
                    moth.revoke_session(id, &session)?;
                    println!("{}", json!({ "deleted": true }));
                }
                TokenCommand::Sweep => println!("{}", json!({ "deleted": moth.sweep_all()? })),
            }
        }
        Command::ApiKey { command } => {
            let moth = open(file, tenant)?;
            match command {
                ApiKeyCommand::Create {
                    owner,
                    name,
                    scopes,
                    lifetime,
                } => {
                    let lifetime = lifetime.map(Duration::from_secs);
                    let key = moth.create_api_key(&owner.owner(), &name, &scopes, lifetime)?;
                    print_json(&server::NewApiKeyBody::from(key));
                }
                ApiKeyCommand::List { owner } => {
                    for key in moth.list_api_keys(&owner.owner())? {
                        print_json(&server::ApiKeyBody::from(key));
                    }
                }
                ApiKeyCommand::Show { id } => {
                    print_json(&server::ApiKeyBody::from(moth.get_api_key(&id)?));
                }
                ApiKeyCommand::Revoke { id } => {
                    moth.revoke_api_key(&id)?;
                    println!("{}", json!({ "deleted": true }));
                }
                ApiKeyCommand::Rotate { id, overlap } => {
                    let key = moth.rotate_api_key(&id, Duration::from_secs(overlap))?;
                    print_json(&server::NewApiKeyBody::from(key));
                }
                ApiKeyCommand::RevokeAll { owner } => {
                    let count = moth.revoke_api_keys(&owner.owner())?;
                    println!("{}", json!({ "deleted": count > 0, "count": count }));
                }
            }
        }
        Command::EmailToken { command } => {
            let moth = open(file, tenant)?;
            match command {
                EmailTokenCommand::Create {
                    address,
                    ip,
                    lifetime,
                    uses,
                    retval,
                } => {
                    let options = moth::EmailTokenOptions {
                        ip,
                        lifetime,
                        retval,
                        uses,
                    };
                    let t = moth.create_email_token(&address, &options)?;
                    println!(
                        "{}",
                        json!({ "token": t.token, "id": t.id, "expires": t.expires })
                    );
                }
                EmailTokenCommand::List { address } => {
                    for info in moth.list_email_tokens(&address)? {
                        print_json(&server::EmailTokenBody::from(info));
                    }
                }
                EmailTokenCommand::Revoke { address, id } => {
                    moth.revoke_email_token(&address, &id)?;
                    println!("{}", json!({ "deleted": true }));
                }
                EmailTokenCommand::RemoveAddress { address } => {
                    let count = moth.remove_email_address(&address)?;
                    println!("{}", json!({ "deleted": count > 0, "count": count }));
                }
            }
        }
        Command::OneTimeToken { command } => {
            let moth = open(file, tenant)?;
            match command {
                OneTimeTokenCommand::Issue {
                    id,
                    purpose,
                    lifetime,
                } => {
                    let lifetime = lifetime.map(Duration::from_secs);
                    let t = moth.issue_one_time_token(id, &purpose, lifetime)?;
                    println!("{}", json!({ "token": t.token, "expires": t.expires }));
                }
            }
        }
        Command::Settings { command } => {
            let moth = open(file, tenant)?;
            let settings = match command {
                SettingsCommand::Show => moth.get_settings()?,
                SettingsCommand::Set { settings } => {
                    let s = settings.apply(moth.get_settings()?);
                    moth.set_settings(s)?;
                    s
                }
            };
            print_json(&server::SettingsBody::from(settings));
        }
        Command::Tenant { command } => {
            let moth = open(file, DEFAULT_TENANT)?;
            match command {
                TenantCommand::Add { name, settings } => {
                    let settings = settings.apply(moth::Settings::default());
                    moth.create_tenant(&name, Some(settings))?;
                    println!("{}", json!({ "tenant": name }));
                }
                TenantCommand::List => {
                    for name in moth.tenants()? {
                        println!("{}", json!({ "tenant": name }));
                    }
                }
                TenantCommand::Del { name } => {
                    moth.delete_tenant(&name)?;
                    println!("{}", json!({ "deleted": true }));
                }
            }
        }
        Command::Component { out } => {
            std::fs::write(&out, moth::COMPONENT)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} ({} bytes)", out.display(), moth::COMPONENT.len());
        }
    }
    Ok(())
}

/// One user as a JSON line, in MOTH's shape (the same as `GET /getuser`).
fn print_user(u: &moth::User) {
    print_json(&server::UserBody::from(u.clone()));
}

/// One value as a JSON line, in the shape the HTTP API gives it.
fn print_json(body: &impl serde::Serialize) {
    println!("{}", serde_json::to_string(body).unwrap_or_default());
}

/// A password from an interactive prompt (typed twice, not echoed), or the
/// first line of stdin when it is not a terminal. Never from argv, where
/// other users could read it in the process list.
fn read_password(confirm: bool) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        if confirm && rpassword::prompt_password("Repeat password: ")? != first {
            bail!("the passwords do not match");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    Ok(password.to_owned())
}
