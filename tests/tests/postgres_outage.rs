//! A PostgreSQL server that goes away: calls fail promptly with a storage
//! error (HTTP 503), nothing is acknowledged that was not committed, and
//! moth recovers by itself when the database is back.
//!
//! The database is reached through a TCP relay in this test, which can
//! cut every connection and refuse new ones, as a crashed or partitioned
//! server would look from moth's side.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moth::server::{self, ServerConfig};
use moth::{Error, Options};
use moth_tests::{cheap_settings, http, postgres_schema, postgres_url};

/// A TCP relay to `upstream` that can be cut and restored.
struct Relay {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(upstream: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let live = Arc::new(Mutex::new(Vec::new()));
        let (up2, live2) = (up.clone(), live.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !up2.load(Ordering::SeqCst) {
                    // Down: the connection is closed at once.
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let mut live = live2.lock().unwrap();
                live.push(client.try_clone().unwrap());
                live.push(server.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(Shutdown::Both);
                    });
                }
            }
        });
        Relay { addr, up, live }
    }

    /// Cut every connection and refuse new ones.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[test]
fn an_unreachable_database_is_a_prompt_storage_error_and_moth_recovers() {
    let Some(url) = postgres_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let direct = postgres_schema(&url, dir.path()).reveal();
    let config = postgres::Config::from_str(&url).unwrap();
    let (postgres::config::Host::Tcp(host), Some(port)) =
        (&config.get_hosts()[0], config.get_ports().first())
    else {
        panic!("the test database must be reached over TCP");
    };
    let upstream: SocketAddr = format!("{host}:{port}").parse().unwrap();
    let relay = Relay::start(upstream);
    let relayed = direct.replacen(&format!("{host}:{port}"), &relay.addr.to_string(), 1);
    assert_ne!(relayed, direct, "the URL goes through the relay");

    let moth = Options::new()
        .create(true)
        .settings(cheap_settings())
        .sweep_interval(None)
        .open(relayed.as_str())
        .unwrap();
    let ann = moth.create_user("ann", "pw", "").unwrap();
    let token = moth.login("ann", "pw", None).unwrap().token;
    let srv = server::spawn(
        moth.clone(),
        ServerConfig {
            addr: "127.0.0.1:0".parse().unwrap(),
            ..ServerConfig::default()
        },
    )
    .unwrap();
    let validate = || {
        http(
            srv.addr(),
            "GET",
            "/validate",
            &[("Authorization", &format!("Bearer {token}"))],
            "",
        )
    };
    assert_eq!(validate().status, 200);

    relay.cut();
    let started = Instant::now();
    assert!(
        matches!(moth.validate(&token), Err(Error::Storage(_))),
        "a read fails as a storage error"
    );
    assert!(
        matches!(moth.create_user("bob", "pw", ""), Err(Error::Storage(_))),
        "a write fails as a storage error"
    );
    let r = validate();
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(
        r.json()["error"],
        "Storage unavailable; see the server log",
        "{r:?}"
    );
    assert!(r.json()["request_id"].is_string(), "{r:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "failures are prompt, not hangs: {:?}",
        started.elapsed()
    );

    relay.restore();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match moth.validate(&token) {
            Ok(v) => {
                assert_eq!(v.user, ann);
                break;
            }
            Err(Error::Storage(_)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("moth did not recover: {e:?}"),
        }
    }
    assert_eq!(validate().status, 200, "the server recovered too");
    // The refused write was not made: bob can be created now, once.
    let bob = moth.create_user("bob", "pw", "").unwrap();
    assert_eq!(bob.id, 2, "ids stay dense");
    assert_eq!(moth.all_users().unwrap().len(), 2);
    srv.shutdown().unwrap();
}
