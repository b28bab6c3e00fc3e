//! Account protection over HTTP: what a password check knows of its
//! request (the client's address, the device credential it presents), and
//! the admin routes over the attempt and event log and the locks:
//! `GET`/`DELETE /attempts`, `GET /events`, `GET`/`DELETE /locks`.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue};
use serde::{Deserialize, Serialize};

use crate::server::error::{ApiError, ApiResult};
use crate::server::extract::{ForTenant, Params, cookie};
use crate::server::source::Source;
use crate::{
    DEVICE_LIFETIME, EventKind, Lock, LockPage, LockSubject, LogEntry, LogFilter, LogPage,
    LoginContext,
};

/// The cookie that carries a device credential between a browser and
/// moth, for apps that let the browser talk to moth directly.
pub(super) const DEVICE_COOKIE: &str = "moth_device";

/// How many entries or locks a page has when the request names no limit.
const DEFAULT_PAGE: u32 = 100;

/// The context of a password check: the client's address, and the device
/// credential it presents as the `device` parameter or, failing that, in
/// the `moth_device` cookie.
pub(super) fn login_context(
    source: Source,
    device: Option<String>,
    headers: &HeaderMap,
) -> LoginContext {
    LoginContext {
        source: source.0.map(|ip| ip.to_string()),
        device: device
            .filter(|d| !d.is_empty())
            .or_else(|| device_cookie(headers)),
    }
}

/// The device credential of the request's `moth_device` cookie, if any.
fn device_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, DEVICE_COOKIE)
}

/// The `Set-Cookie` value that stores `device` in the browser: for a
/// year, never readable by scripts, sent only over HTTPS and only with
/// requests from moth's own site.
pub(super) fn set_device_cookie(device: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{DEVICE_COOKIE}={device}; Path=/; Max-Age={DEVICE_LIFETIME}; HttpOnly; Secure; SameSite=Strict"
    ))
    .ok()
}

/// The filters of `GET /attempts` and `GET /events`, and a page.
#[derive(Deserialize)]
pub(super) struct LogQuery {
    user: Option<u64>,
    username: Option<String>,
    source: Option<String>,
    kind: Option<String>,
    since: Option<u64>,
    until: Option<u64>,
    after: Option<String>,
    limit: Option<u32>,
}

/// An event kind named by a request, by its WIT name.
fn kind(name: Option<&str>) -> Result<Option<EventKind>, ApiError> {
    name.map(|n| {
        EventKind::from_name(n).ok_or_else(|| ApiError::invalid(format!("unknown kind {n:?}")))
    })
    .transpose()
}

impl LogQuery {
    fn filter(&self) -> Result<LogFilter, ApiError> {
        Ok(LogFilter {
            user: self.user,
            username: self.username.clone(),
            source: self.source.clone(),
            kind: kind(self.kind.as_deref())?,
            since: self.since,
            until: self.until,
        })
    }
}

/// A log entry as the HTTP API and the CLI show it.
#[derive(Debug, Serialize)]
pub struct LogEntryBody {
    id: String,
    time: u64,
    kind: &'static str,
    user: Option<u64>,
    username: String,
    source: Option<String>,
    success: bool,
    reason: String,
}

impl From<LogEntry> for LogEntryBody {
    fn from(e: LogEntry) -> Self {
        LogEntryBody {
            id: e.id,
            time: e.time,
            kind: e.kind.name(),
            user: e.user,
            username: e.username,
            source: e.source,
            success: e.success,
            reason: e.reason,
        }
    }
}

/// A page of log entries: `{"entries": [...], "next": cursor or null}`.
#[derive(Serialize)]
pub(super) struct LogPageBody {
    entries: Vec<LogEntryBody>,
    next: Option<String>,
}

impl From<LogPage> for LogPageBody {
    fn from(p: LogPage) -> Self {
        LogPageBody {
            entries: p.entries.into_iter().map(Into::into).collect(),
            next: p.next,
        }
    }
}

/// `GET /attempts` (admin): password checks, newest first.
pub(super) async fn list_attempts(
    t: ForTenant,
    Params(q): Params<LogQuery>,
) -> ApiResult<LogPageBody> {
    let filter = q.filter()?;
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    let page = t
        .read("list_attempts", move |m| {
            m.list_attempts(&filter, q.after.as_deref(), limit)
        })
        .await?;
    Ok(Json(page.into()))
}

/// `GET /events` (admin): account events, newest first.
pub(super) async fn list_events(
    t: ForTenant,
    Params(q): Params<LogQuery>,
) -> ApiResult<LogPageBody> {
    let filter = q.filter()?;
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    let page = t
        .read("list_events", move |m| {
            m.list_events(&filter, q.after.as_deref(), limit)
        })
        .await?;
    Ok(Json(page.into()))
}

/// keg_auth's purge filters, all optional.
#[derive(Deserialize)]
pub(super) struct PurgeQuery {
    username: Option<String>,
    older_than: Option<u64>,
    kind: Option<String>,
}

/// `DELETE /attempts` (admin): purge password checks (or entries of
/// `kind`) about `username`, older than `older_than`; with no filter, the
/// whole attempt log.
pub(super) async fn purge_attempts(
    t: ForTenant,
    Params(q): Params<PurgeQuery>,
) -> ApiResult<super::DeletedCount> {
    let kind = kind(q.kind.as_deref())?;
    let count = t
        .blocking("purge_attempts", move |m| {
            m.purge_attempts_all(q.username.as_deref(), q.older_than, kind)
        })
        .await?;
    Ok(Json(super::DeletedCount {
        deleted: count > 0,
        count,
    }))
}

/// A lock as the HTTP API and the CLI show it: what it holds back
/// (`{"account": id}`, `{"username": name}`, `{"source": address}` or
/// `{"device": id}`), until when, after how many lockouts in a row.
#[derive(Debug, Serialize)]
pub struct LockBody {
    subject: SubjectBody,
    until: u64,
    lockouts: u32,
}

/// What a lock holds back, tagged by its WIT case name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
enum SubjectBody {
    Account(u64),
    Username(String),
    Source(String),
    Device(String),
}

impl From<Lock> for LockBody {
    fn from(l: Lock) -> Self {
        LockBody {
            subject: match l.subject {
                LockSubject::Account(id) => SubjectBody::Account(id),
                LockSubject::Username(name) => SubjectBody::Username(name),
                LockSubject::Source(addr) => SubjectBody::Source(addr),
                LockSubject::Device(id) => SubjectBody::Device(id),
            },
            until: l.until,
            lockouts: l.lockouts,
        }
    }
}

/// A page of locks: `{"locks": [...], "next": cursor or null}`.
#[derive(Serialize)]
pub(super) struct LockPageBody {
    locks: Vec<LockBody>,
    next: Option<String>,
}

impl From<LockPage> for LockPageBody {
    fn from(p: LockPage) -> Self {
        LockPageBody {
            locks: p.locks.into_iter().map(Into::into).collect(),
            next: p.next,
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Page {
    after: Option<String>,
    limit: Option<u32>,
}

/// `GET /locks` (admin): locked accounts and usernames, blocked sources
/// and devices.
pub(super) async fn list_locks(t: ForTenant, Params(p): Params<Page>) -> ApiResult<LockPageBody> {
    let limit = p.limit.unwrap_or(DEFAULT_PAGE);
    let page = t
        .read("list_locks", move |m| {
            m.list_locks(p.after.as_deref(), limit)
        })
        .await?;
    Ok(Json(page.into()))
}

/// What `DELETE /locks` lifts: exactly one of these.
#[derive(Deserialize)]
pub(super) struct UnlockQuery {
    account: Option<u64>,
    username: Option<String>,
    source: Option<String>,
    device: Option<String>,
}

impl UnlockQuery {
    /// The one subject the request names.
    pub(super) fn subject(self) -> Result<LockSubject, ApiError> {
        match (self.account, self.username, self.source, self.device) {
            (Some(id), None, None, None) => Ok(LockSubject::Account(id)),
            (None, Some(name), None, None) => Ok(LockSubject::Username(name)),
            (None, None, Some(addr), None) => Ok(LockSubject::Source(addr)),
            (None, None, None, Some(id)) => Ok(LockSubject::Device(id)),
            (None, None, None, None) => Err(ApiError::missing()),
            _ => Err(ApiError::invalid(
                "give one of account, username, source, device",
            )),
        }
    }
}

#[derive(Serialize)]
pub(super) struct Unlocked {
    unlocked: bool,
}

/// `DELETE /locks` (admin): lift a lock and forget its failures;
/// `{"unlocked": false}` when it was not locked.
pub(super) async fn unlock(t: ForTenant, Params(q): Params<UnlockQuery>) -> ApiResult<Unlocked> {
    let subject = q.subject()?;
    let unlocked = t.blocking("unlock", move |m| m.unlock(&subject)).await?;
    Ok(Json(Unlocked { unlocked }))
}
