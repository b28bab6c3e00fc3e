//! The OAuth 2 authorization server's rules that hold whatever is stored:
//! what a redirect URI may be and when one matches (RFC 6749 §3.1.2,
//! RFC 8252 §7, RFC 9700 §2.1), what a scope is (RFC 6749 §3.3), and PKCE
//! (RFC 7636, `S256` only); and the registry of clients (`clients`).
//! Codes and tokens build on these.

mod clients;
mod consents;
mod grants;
mod pkce;
mod redirect;
mod scope;

pub use clients::{
    Client, ClientPage, ClientSpec, GrantType, MAX_CLIENT_NAME_BYTES, MAX_CLIENT_PAGE,
    MAX_REDIRECT_URIS, NewClient,
};
pub use consents::{Consent, MAX_CONSENTS};
pub use grants::{
    Authorization, AuthorizationRequest, AuthorizeError, BearerError, DEFAULT_ACCESS_LIFETIME,
    DEFAULT_CODE_LIFETIME, DEFAULT_REFRESH_IDLE_LIFETIME, DEFAULT_REFRESH_LIFETIME,
    MAX_CODE_LIFETIME, MAX_OAUTH_LIFETIME, MAX_REFRESH_GRACE, OAuthError, OAuthLifetimes,
    TOKEN_TYPE, TokenInfo, TokenResponse,
};
pub use pkce::{
    CODE_CHALLENGE_LEN, MAX_CODE_VERIFIER_LEN, MIN_CODE_VERIFIER_LEN, PkceChallenge,
    check_code_verifier,
};
pub use redirect::{MAX_REDIRECT_URI_BYTES, RedirectUri};
pub use scope::{MAX_SCOPE_TOKEN_BYTES, MAX_SCOPES, Scopes};
