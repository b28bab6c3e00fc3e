//! Tests of what ends a grant: revocation by its client, and the end of
//! its user, of the user's consent or of its client.

use super::*;
use crate::AccountState;

#[test]
fn revoking_a_refresh_token_revokes_its_access_tokens_and_only_for_its_client() {
    let w = world();
    let c = code(&w, &w.web, CB);
    let t = exchange(&w, &w.web, &c).unwrap();
    let r = t.refresh_token.unwrap();
    // Another client's revocation does nothing (and says nothing).
    w.a.revoke_oauth_token_as(&w.public, &r).unwrap();
    assert!(active(&w, &r));
    // An access token alone.
    w.a.revoke_oauth_token_as(&w.web, &t.access_token).unwrap();
    assert!(!active(&w, &t.access_token));
    assert!(active(&w, &r));
    let again =
        w.a.refresh_grant_as(&w.web, &r, None, &lifetimes())
            .unwrap();
    w.a.revoke_oauth_token_as(&w.web, again.refresh_token.as_deref().unwrap())
        .unwrap();
    assert!(!active(&w, &again.access_token));
    // Unknown and malformed tokens: fine, nothing happens.
    w.a.revoke_oauth_token_as(&w.web, "nonsense").unwrap();
    w.a.revoke_oauth_token_as(&w.web, &r).unwrap();
}

#[test]
fn deleting_disabling_or_revoking_the_user_revokes_the_grants() {
    for end in ["delete", "disable", "revoke sessions"] {
        let w = world();
        let c = code(&w, &w.web, CB);
        let t = exchange(&w, &w.web, &c).unwrap();
        let pending = code(&w, &w.web, CB);
        match end {
            "delete" => w.a.delete_user(w.ann).unwrap(),
            "disable" => {
                w.a.set_account_state(
                    w.ann,
                    &AccountState {
                        enabled: false,
                        ..AccountState::default()
                    },
                )
                .unwrap()
            }
            _ => {
                w.a.delete_tokens(w.ann).unwrap();
            }
        }
        assert!(!active(&w, &t.access_token), "{end}");
        let r = t.refresh_token.as_deref().unwrap();
        assert!(
            w.a.refresh_grant_as(&w.web, r, None, &lifetimes()).is_err(),
            "{end}"
        );
        assert!(exchange(&w, &w.web, &pending).is_err(), "{end}");
    }
}

#[test]
fn issuing_a_code_remembers_consent_which_the_user_can_revoke() {
    let w = world();
    let read = Scopes::parse("read").unwrap();
    let both = Scopes::parse("read write").unwrap();
    assert!(!w.a.consent_covers(w.ann, &w.web.id, &read).unwrap());
    let c = code(&w, &w.web, CB);
    assert!(w.a.consent_covers(w.ann, &w.web.id, &read).unwrap());
    assert!(!w.a.consent_covers(w.ann, &w.web.id, &both).unwrap());
    let listed = w.a.list_consents(w.ann).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].client_name, "Web");
    assert_eq!(listed[0].scopes, read);
    let t = exchange(&w, &w.web, &c).unwrap();
    let c2 = code(&w, &w.web, CB);
    let untouched = exchange(&w, &w.web, &c2).unwrap();
    let pending = code(&w, &w.web, CB);
    // Another client's grant is not touched by this revocation.
    let pc = code(&w, &w.public, "http://127.0.0.1/cb");
    let other =
        w.a.exchange_code_as(
            &w.public,
            &pc,
            Some("http://127.0.0.1/cb"),
            Some(VERIFIER),
            &lifetimes(),
        )
        .unwrap();
    assert!(w.a.revoke_consent(w.ann, &w.web.id).unwrap());
    assert!(!w.a.revoke_consent(w.ann, &w.web.id).unwrap());
    assert!(!active(&w, &t.access_token));
    let r = t.refresh_token.as_deref().unwrap();
    assert!(w.a.refresh_grant_as(&w.web, r, None, &lifetimes()).is_err());
    assert!(exchange(&w, &w.web, &pending).is_err());
    assert!(active(&w, &other.access_token));
    // Consenting again starts afresh: old grants stay dead, new ones live.
    let c = code(&w, &w.web, CB);
    let fresh = exchange(&w, &w.web, &c).unwrap();
    assert!(active(&w, &fresh.access_token));
    assert!(!active(&w, &t.access_token));
    // Even a grant nothing touched since, made in the same second as the
    // new consent: it was made under the revoked one.
    assert!(!active(&w, &untouched.access_token));
    assert!(!active(&w, untouched.refresh_token.as_deref().unwrap()));
}

#[test]
fn deleting_a_client_ends_its_grants() {
    let w = world();
    let t =
        w.a.client_credentials_grant_as(&w.machine, None, &lifetimes())
            .unwrap();
    assert!(active(&w, &t.access_token));
    assert!(w.a.delete_client(&w.machine.id).unwrap());
    assert!(!active(&w, &t.access_token));
}

#[test]
fn deleting_a_user_deletes_their_consents() {
    let w = world();
    code(&w, &w.web, CB);
    w.a.delete_user(w.ann).unwrap();
    let consents =
        w.a.env()
            .dump()
            .into_iter()
            .filter(|(k, _)| k[0] == keys::OAUTH_CONSENT)
            .count();
    assert_eq!(consents, 0);
}

#[test]
fn a_code_issued_before_a_consent_revocation_stays_dead_after_consenting_again() {
    let w = world();
    let pending = code(&w, &w.web, CB);
    assert!(w.a.revoke_consent(w.ann, &w.web.id).unwrap());
    let fresh = code(&w, &w.web, CB);
    assert_eq!(
        exchange(&w, &w.web, &pending).unwrap_err().code(),
        "invalid_grant"
    );
    assert!(exchange(&w, &w.web, &fresh).is_ok());
}
