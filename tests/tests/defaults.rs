//! The shipped defaults, unchanged: Argon2id m=19 MiB, t=2, p=1.

use moth::{Error, Options, Settings};

#[test]
fn default_argon2_parameters_hash_and_verify_through_the_component() {
    let dir = tempfile::tempdir().unwrap();
    let moth = Options::new()
        .create(true)
        .sweep_interval(None)
        .open(dir.path().join("moth.db"))
        .unwrap();
    assert_eq!(moth.settings(), Ok(Settings::default()));
    let d = Settings::default();
    assert_eq!(
        (
            d.argon2_memory_kib,
            d.argon2_iterations,
            d.argon2_parallelism
        ),
        (19456, 2, 1)
    );
    let ann = moth
        .new_user("ann", "correct horse battery staple", "")
        .unwrap();
    let s = moth
        .login("ann", "correct horse battery staple", None)
        .unwrap();
    assert_eq!(moth.validate(&s.token).unwrap().user, ann);
    assert_eq!(
        moth.login("ann", "Correct horse battery staple", None)
            .map(|_| ()),
        Err(Error::InvalidPassword)
    );
    assert_eq!(
        moth.login("nobody", "x", None).map(|_| ()),
        Err(Error::NoUser)
    );
}

#[test]
fn changed_costs_rehash_at_the_next_login() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("moth.db");
    let cheap = moth_tests::cheap_settings();
    let moth = Options::new()
        .create(true)
        .settings(cheap)
        .sweep_interval(None)
        .open(&path)
        .unwrap();
    moth.new_user("ann", "pw", "").unwrap();
    let stored_hash = |m: &moth::Moth| {
        let store = &m.env().store;
        let id = store.get(&moth_core::keys::name("ann")).unwrap().unwrap();
        let user = store
            .get(&moth_core::keys::user(u64::from_be_bytes(
                id.try_into().unwrap(),
            )))
            .unwrap()
            .unwrap();
        moth_core::record::UserRecord::decode(&user)
            .unwrap()
            .password_hash
    };
    assert!(stored_hash(&moth).starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
    drop(moth);
    let moth = Options::new()
        .settings(Settings::default())
        .sweep_interval(None)
        .open(&path)
        .unwrap();
    moth.login("ann", "pw", None).unwrap();
    assert!(
        stored_hash(&moth).starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        stored_hash(&moth)
    );
    assert_eq!(moth.password_valid("ann", "pw"), Ok(true));
}
