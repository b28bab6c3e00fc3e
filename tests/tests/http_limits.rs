//! The server's connection limits, through a real server: header, body and
//! idle timeouts, the connection cap, and graceful shutdown with requests
//! in flight and idle connections open.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use moth::server::{self, ServerConfig, ServerHandle};
use moth_tests::open;
use serde_json::{Value, json};

/// A server with these limits (and generous defaults for the rest).
fn start(dir: &std::path::Path, config: ServerConfig) -> ServerHandle {
    let (moth, _) = open(dir);
    let config = ServerConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        ..config
    };
    server::spawn(moth, config).unwrap()
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// A response read off a connection.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The next response on `r`, or `None` at a clean end of stream.
fn read_reply(r: &mut impl BufRead) -> io::Result<Option<Raw>> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line)? == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        head.extend_from_slice(&line);
        if line == b"\r\n" {
            break;
        }
    }
    let head = String::from_utf8(head).unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Some(Raw {
        status: status.parse().unwrap(),
        headers,
        body,
    }))
}

/// Whether the server has closed `s` (end of stream, or reset).
fn closed(s: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match (&*s).read(&mut byte) {
        Ok(0) => true,
        Ok(_) => panic!("unexpected data"),
        Err(e) if e.kind() == io::ErrorKind::ConnectionReset => true,
        Err(e) => panic!("still open: {e}"),
    }
}

fn get_healthz(addr: SocketAddr, keep_alive: bool) -> Vec<u8> {
    let connection = if keep_alive { "keep-alive" } else { "close" };
    format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: {connection}\r\n\r\n")
        .into_bytes()
}

#[test]
fn a_half_sent_request_head_is_answered_408_and_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(
        dir.path(),
        ServerConfig {
            header_timeout: Duration::from_millis(500),
            ..ServerConfig::default()
        },
    );
    let a = h.addr();
    let started = Instant::now();
    // Many at once, as a slowloris attack would: each sends half a head.
    let half: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = connect(a);
            s.write_all(format!("GET /healthz HTTP/1.1\r\nHost: {a}\r\nX-Slow: ").as_bytes())
                .unwrap();
            s
        })
        .collect();
    // And one that sends nothing at all.
    let silent = connect(a);
    for s in &half {
        let reply = read_reply(&mut BufReader::new(s)).unwrap().expect("a 408");
        assert_eq!(reply.status, 408, "{reply:?}");
        assert_eq!(reply.json(), json!({"error": "Request header timed out"}));
        assert_eq!(reply.header("connection"), Some("close"));
        assert!(closed(s));
    }
    assert!(closed(&silent), "a silent connection is closed too");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    // The server still serves.
    let mut s = connect(a);
    s.write_all(&get_healthz(a, false)).unwrap();
    assert_eq!(
        read_reply(&mut BufReader::new(&s)).unwrap().unwrap().status,
        200
    );
    h.shutdown().unwrap();
}

#[test]
fn a_slow_body_is_answered_408_and_closed_after_the_body_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(
        dir.path(),
        ServerConfig {
            body_timeout: Duration::from_millis(500),
            ..ServerConfig::default()
        },
    );
    let a = h.addr();
    let s = connect(a);
    let started = Instant::now();
    (&s).write_all(
        format!("PUT /new HTTP/1.1\r\nHost: {a}\r\nContent-Length: 100\r\n\r\n{{\"username\":")
            .as_bytes(),
    )
    .unwrap();
    let reply = read_reply(&mut BufReader::new(&s)).unwrap().expect("a 408");
    assert_eq!(reply.status, 408, "{reply:?}");
    assert_eq!(reply.json(), json!({"error": "Request body timed out"}));
    assert!(closed(&s));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout_not_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(
        dir.path(),
        ServerConfig {
            header_timeout: Duration::from_millis(300),
            idle_timeout: Duration::from_millis(1500),
            ..ServerConfig::default()
        },
    );
    let a = h.addr();
    let s = connect(a);
    let mut r = BufReader::new(&s);
    (&s).write_all(&get_healthz(a, true)).unwrap();
    assert_eq!(read_reply(&mut r).unwrap().unwrap().status, 200);
    // Idle for longer than the header timeout: still open.
    std::thread::sleep(Duration::from_millis(800));
    (&s).write_all(&get_healthz(a, true)).unwrap();
    assert_eq!(read_reply(&mut r).unwrap().unwrap().status, 200);
    // Idle for longer than the idle timeout: closed, without a word.
    let idle_from = Instant::now();
    assert!(read_reply(&mut r).unwrap().is_none());
    let idle = idle_from.elapsed();
    assert!(
        idle >= Duration::from_millis(1300) && idle < Duration::from_secs(5),
        "{idle:?}"
    );
}

#[test]
fn connections_beyond_the_cap_wait_until_one_closes() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(
        dir.path(),
        ServerConfig {
            max_connections: 2,
            ..ServerConfig::default()
        },
    );
    let a = h.addr();
    // Two kept-alive connections, each served once: both slots taken.
    let first = connect(a);
    let second = connect(a);
    for s in [&first, &second] {
        let mut w = s;
        w.write_all(&get_healthz(a, true)).unwrap();
        assert_eq!(
            read_reply(&mut BufReader::new(s)).unwrap().unwrap().status,
            200
        );
    }
    // The third connects (the kernel's backlog takes it) but is not served.
    let third = connect(a);
    (&third).write_all(&get_healthz(a, false)).unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(700)))
        .unwrap();
    let mut byte = [0u8; 1];
    let waited = (&third).read(&mut byte);
    assert!(
        matches!(&waited, Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)),
        "the third connection was served while two held every slot: {waited:?}"
    );
    // One closes: the third is served.
    drop(first);
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let reply = read_reply(&mut BufReader::new(&third)).unwrap().unwrap();
    assert_eq!(reply.status, 200);
    drop(second);
}

#[test]
fn shutdown_finishes_requests_in_flight_and_closes_idle_connections() {
    let dir = tempfile::tempdir().unwrap();
    let h = start(dir.path(), ServerConfig::default());
    let a = h.addr();
    // An idle connection (never sent a byte) and a kept-alive one between
    // requests: neither may hold up shutdown, though both have 10 s and
    // 60 s to go before their timeouts.
    let silent = connect(a);
    let idle = connect(a);
    (&idle).write_all(&get_healthz(a, true)).unwrap();
    let mut idle_reader = BufReader::new(&idle);
    assert_eq!(read_reply(&mut idle_reader).unwrap().unwrap().status, 200);
    // A request in flight: its head is in, its body half-sent.
    let body = r#"{"username":"ann","password":"pw","permissions":""}"#;
    let (first, rest) = body.split_at(10);
    let busy = connect(a);
    (&busy)
        .write_all(
            format!(
                "PUT /new HTTP/1.1\r\nHost: {a}\r\nContent-Length: {}\r\n\r\n{first}",
                body.len()
            )
            .as_bytes(),
        )
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let stopping = std::thread::spawn(move || h.shutdown());
    std::thread::sleep(Duration::from_millis(300));
    assert!(!stopping.is_finished(), "shutdown waits for the request");
    (&busy).write_all(rest.as_bytes()).unwrap();
    let reply = read_reply(&mut BufReader::new(&busy)).unwrap().unwrap();
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.json()["username"], "ann");
    stopping.join().unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "idle connections did not hold up shutdown"
    );
    assert!(closed(&silent));
    assert!(read_reply(&mut idle_reader).unwrap().is_none());
}

#[test]
fn limits_must_be_usable() {
    let zero = ServerConfig {
        header_timeout: Duration::ZERO,
        ..ServerConfig::default()
    };
    assert!(matches!(
        zero.check(),
        Err(server::ServerError::InvalidConfig(_))
    ));
    let none = ServerConfig {
        max_connections: 0,
        ..ServerConfig::default()
    };
    assert!(matches!(
        none.check(),
        Err(server::ServerError::InvalidConfig(_))
    ));
}
