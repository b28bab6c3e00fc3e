//! `moth attempts …`, `moth events` and `moth lockout …`: the attempt and
//! event log, and the locks in force.

use anyhow::anyhow;
use clap::{Args, Subcommand};
use moth::server::{LockBody, LogEntryBody};
use moth::{EventKind, LockSubject, LogFilter, Moth};
use serde_json::json;

use super::print_json;

/// The most entries one page of the component holds.
const PAGE: u32 = 1000;

/// Which log entries to show, and how many.
#[derive(Args)]
pub(crate) struct LogArgs {
    /// Entries about this user id.
    #[arg(long)]
    user: Option<u64>,
    /// Entries about this username (or this unknown name).
    #[arg(long)]
    username: Option<String>,
    /// Entries from this source address.
    #[arg(long)]
    source: Option<String>,
    /// Entries of this kind (`login`, `check-password`, `account-locked`, …).
    #[arg(long, value_parser = event_kind)]
    kind: Option<EventKind>,
    /// Entries at or after this Unix time.
    #[arg(long)]
    since: Option<u64>,
    /// Entries at or before this Unix time.
    #[arg(long)]
    until: Option<u64>,
    /// The most entries to show, newest first.
    #[arg(long, default_value_t = 100)]
    limit: u64,
}

/// An event kind by its WIT name.
fn event_kind(name: &str) -> Result<EventKind, String> {
    EventKind::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
        format!("unknown kind {name:?}; one of {}", names.join(", "))
    })
}

#[derive(Subcommand)]
pub(crate) enum AttemptsCommand {
    /// Password checks (logins, password checks, resets), newest first.
    List(LogArgs),
    /// Delete password checks (or entries of `--kind`), optionally only
    /// those about one username or older than a time; with no filter, all.
    Purge {
        #[arg(long)]
        username: Option<String>,
        /// Only entries before this Unix time.
        #[arg(long)]
        older_than: Option<u64>,
        #[arg(long, value_parser = event_kind)]
        kind: Option<EventKind>,
    },
}

#[derive(Subcommand)]
pub(crate) enum LockoutCommand {
    /// Locked accounts and usernames, blocked sources and devices.
    List,
    /// Lift one lock and forget its failures.
    Unlock(UnlockArgs),
}

/// What to unlock: exactly one.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub(crate) struct UnlockArgs {
    /// An account, by user id.
    #[arg(long)]
    account: Option<u64>,
    /// A username that names no account.
    #[arg(long)]
    username: Option<String>,
    /// A source address (an IPv6 address's /64 as `x::/64`).
    #[arg(long)]
    source: Option<String>,
    /// A device credential, by its public id.
    #[arg(long)]
    device: Option<String>,
}

/// Which log a listing reads.
#[derive(Clone, Copy)]
enum Log {
    Attempts,
    Events,
}

/// Print up to `args.limit` entries of `log`, following pages.
fn list(moth: &Moth, log: Log, args: LogArgs) -> anyhow::Result<()> {
    let filter = LogFilter {
        user: args.user,
        username: args.username,
        source: args.source,
        kind: args.kind,
        since: args.since,
        until: args.until,
    };
    let mut left = args.limit;
    let mut after: Option<String> = None;
    while left > 0 {
        let want = u32::try_from(left.min(u64::from(PAGE))).unwrap_or(PAGE);
        let page = match log {
            Log::Attempts => moth.list_attempts(&filter, after.as_deref(), want)?,
            Log::Events => moth.list_events(&filter, after.as_deref(), want)?,
        };
        left -= page.entries.len() as u64;
        for entry in page.entries {
            print_json(&LogEntryBody::from(entry));
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(())
}

/// Run one `attempts` command on `moth`.
pub(crate) fn run_attempts(command: AttemptsCommand, moth: &Moth) -> anyhow::Result<()> {
    match command {
        AttemptsCommand::List(args) => list(moth, Log::Attempts, args)?,
        AttemptsCommand::Purge {
            username,
            older_than,
            kind,
        } => {
            let count = moth.purge_attempts_all(username.as_deref(), older_than, kind)?;
            println!("{}", json!({ "deleted": count > 0, "count": count }));
        }
    }
    Ok(())
}

/// Run `events` on `moth`.
pub(crate) fn run_events(args: LogArgs, moth: &Moth) -> anyhow::Result<()> {
    list(moth, Log::Events, args)
}

/// Run one `lockout` command on `moth`.
pub(crate) fn run_lockout(command: LockoutCommand, moth: &Moth) -> anyhow::Result<()> {
    match command {
        LockoutCommand::List => {
            let mut after: Option<String> = None;
            loop {
                let page = moth.list_locks(after.as_deref(), PAGE)?;
                for lock in page.locks {
                    print_json(&LockBody::from(lock));
                }
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        LockoutCommand::Unlock(a) => {
            let subject = match (a.account, a.username, a.source, a.device) {
                (Some(id), ..) => LockSubject::Account(id),
                (_, Some(name), ..) => LockSubject::Username(name),
                (_, _, Some(addr), _) => LockSubject::Source(addr),
                (.., Some(id)) => LockSubject::Device(id),
                _ => return Err(anyhow!("name what to unlock")),
            };
            println!("{}", json!({ "unlocked": moth.unlock(&subject)? }));
        }
    }
    Ok(())
}
