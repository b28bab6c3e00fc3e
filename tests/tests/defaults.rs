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
    assert_eq!(moth.get_settings(), Ok(Settings::default()));
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
        .create_user("ann", "correct horse battery staple", "")
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
    moth.create_user("ann", "pw", "").unwrap();
    // The one Argon2id PHC string in the tenant's store, found without
    // knowing the guest's key or record layout.
    let stored_hash = |m: &moth::Moth| {
        const PREFIX: &[u8] = b"$argon2id$";
        let phc = |b: &u8| b.is_ascii_alphanumeric() || b"$=,+/.-".contains(b);
        let entries = moth_tests::dump(m);
        let hashes: Vec<String> = entries
            .iter()
            .flat_map(|(_, v)| {
                (0..v.len())
                    .filter(move |&i| v[i..].starts_with(PREFIX))
                    .map(move |i| {
                        let len = v[i..].iter().take_while(|b| phc(b)).count();
                        String::from_utf8_lossy(&v[i..i + len]).into_owned()
                    })
            })
            .collect();
        assert_eq!(hashes.len(), 1, "one user, one stored hash: {hashes:?}");
        hashes.into_iter().next().unwrap()
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
    assert_eq!(moth.check_password("ann", "pw"), Ok(true));
}
