//! Who a tenant is as an OAuth issuer (RFC 8414 §2): the server's public
//! URL (`--public-url`; else `http://` and the request's `Host`, which the
//! host policy has already checked), then `/t/{tenant}` for every tenant
//! but `default`. Every endpoint URL is the issuer's, plus its path.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use crate::server::error::ApiError;
use crate::server::extract::ForTenant;
use crate::server::routes::AppState;

/// The issuer identifier of the tenant a request is for.
#[derive(Clone, Debug)]
pub(in crate::server) struct Issuer {
    url: String,
    /// Whether it is served over HTTPS (cookies are then `Secure`).
    https: bool,
    /// The path part of `url` (`""` or `/t/acme` behind the public URL's
    /// own path): where the tenant's cookies belong.
    path: String,
}

impl Issuer {
    /// The issuer of tenant `tenant` under `base` (no trailing slash).
    pub fn new(base: &str, tenant: &str) -> Issuer {
        let base = base.trim_end_matches('/');
        let url = if tenant == crate::DEFAULT_TENANT {
            base.to_owned()
        } else {
            format!("{base}/t/{tenant}")
        };
        let https = url.starts_with("https://");
        let after_scheme = url.split_once("://").map_or("", |(_, rest)| rest);
        let path = after_scheme
            .find('/')
            .map_or(String::new(), |i| after_scheme[i..].to_owned());
        Issuer { url, https, path }
    }

    /// The issuer identifier.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The URL of the issuer's endpoint at `path` (`/oauth2/token`).
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The issuer's own path (`""` for a host's root).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the issuer is served over HTTPS.
    pub fn https(&self) -> bool {
        self.https
    }
}

impl FromRequestParts<Arc<AppState>> for Issuer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let t = ForTenant::from_request_parts(parts, state).await?;
        let tenant = t.handle().tenant_name();
        if let Some(base) = &state.public_url {
            return Ok(Issuer::new(base, tenant));
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .ok_or_else(|| ApiError::invalid("the request names no Host"))?;
        Ok(Issuer::new(&format!("http://{host}"), tenant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tenant_is_its_own_issuer() {
        let d = Issuer::new("https://auth.example/", crate::DEFAULT_TENANT);
        assert_eq!(d.as_str(), "https://auth.example");
        assert_eq!(
            d.endpoint("/oauth2/token"),
            "https://auth.example/oauth2/token"
        );
        assert_eq!(d.path(), "");
        assert!(d.https());
        let t = Issuer::new("http://127.0.0.1:8080", "acme");
        assert_eq!(t.as_str(), "http://127.0.0.1:8080/t/acme");
        assert_eq!(t.path(), "/t/acme");
        assert!(!t.https());
        let proxied = Issuer::new("https://example.com/auth", "acme");
        assert_eq!(proxied.path(), "/auth/t/acme");
    }
}
