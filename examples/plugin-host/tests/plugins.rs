//! The example plugin host running real plugins: one written in Rust (built
//! here for wasm32 and made a component with wit-component) and one in
//! Python (built with componentize-py from PyPI), both knowing moth only
//! through its WIT. Each is run linked, with an allow-list, and composed
//! with moth into one component.
//!
//! componentize-py (`pip install componentize-py==0.25.1`) is needed for
//! the Python plugin: it is run as `$MOTH_COMPONENTIZE_PY`, or as
//! `componentize-py` from the PATH. Without it that plugin is skipped,
//! unless `MOTH_REQUIRE_COMPONENTIZE_PY` is set (as in CI), which makes its
//! absence a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use moth::plugin::{self, Grants};
use moth::wasmtime::component::Component;
use moth::{Moth, Options, RoleHolder, RoleItem};
use moth_plugin_host::PluginHost;

const PASSWORD: &str = "correct horse battery staple";

fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A cargo for building the plugin, rid of what the outer build set.
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for inherited in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(inherited);
    }
    cmd
}

/// The Rust plugin as a component, built once per test run.
fn rust_plugin() -> &'static [u8] {
    static PLUGIN: OnceLock<Vec<u8>> = OnceLock::new();
    PLUGIN.get_or_init(|| {
        let target_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-target");
        let status = cargo()
            .current_dir(here())
            .args([
                "build",
                "--locked",
                "--release",
                "--package",
                "moth-example-plugin",
                "--target",
                "wasm32-unknown-unknown",
                "--target-dir",
            ])
            .arg(&target_dir)
            .status()
            .expect("run cargo");
        assert!(status.success(), "building the Rust plugin failed");
        let module = std::fs::read(
            target_dir.join("wasm32-unknown-unknown/release/moth_example_plugin.wasm"),
        )
        .unwrap();
        wit_component::ComponentEncoder::default()
            .module(&module)
            .and_then(|e| e.validate(true).encode())
            .expect("componentize the Rust plugin")
    })
}

/// The Python plugin as a component, or `None` when componentize-py is not
/// installed and not required.
fn python_plugin() -> Option<&'static [u8]> {
    static PLUGIN: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    PLUGIN
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            let wasm = out.path().join("plugin.wasm");
            let program = std::env::var_os("MOTH_COMPONENTIZE_PY")
                .unwrap_or_else(|| "componentize-py".into());
            let run = Command::new(program)
                .arg("--wit-path")
                .arg(here().join("wit"))
                .args(["--world", "plugin", "componentize", "--stub-wasi", "app"])
                .arg("--python-path")
                .arg(here().join("plugins/python"))
                .arg("--output")
                .arg(&wasm)
                .output();
            match run {
                Ok(run) => {
                    assert!(
                        run.status.success(),
                        "componentize-py failed: {}",
                        String::from_utf8_lossy(&run.stderr)
                    );
                    Some(std::fs::read(&wasm).unwrap())
                }
                Err(e) if std::env::var_os("MOTH_REQUIRE_COMPONENTIZE_PY").is_some() => {
                    panic!("componentize-py is required but cannot be run: {e}")
                }
                Err(e) => {
                    eprintln!("skipping the Python plugin: componentize-py cannot be run: {e}");
                    None
                }
            }
        })
        .as_deref()
}

/// A database with tenant `acme`: ann may read reports, bob may not; and a
/// user of the default tenant, whose token `acme` must not accept.
struct World {
    _dir: tempfile::TempDir,
    root: Moth,
    acme: Moth,
    ann: String,
    bob: String,
    stranger: String,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let root = Options::new()
        .create(true)
        .open(dir.path().join("moth.db"))
        .unwrap();
    let acme = root.create_tenant("acme", None).unwrap();
    let ann = acme.create_user("ann", PASSWORD, "").unwrap();
    acme.create_user("bob", PASSWORD, "").unwrap();
    acme.create_permission("reports:read", "read reports")
        .unwrap();
    acme.grant_role(
        &RoleHolder::User(ann.id),
        &RoleItem::Permission("reports:read".into()),
    )
    .unwrap();
    root.create_user("zed", PASSWORD, "").unwrap();
    let token = |m: &Moth, who: &str| m.login(who, PASSWORD, None).unwrap().token;
    World {
        ann: token(&acme, "ann"),
        bob: token(&acme, "bob"),
        stranger: token(&root, "zed"),
        root,
        acme,
        _dir: dir,
    }
}

fn host() -> &'static PluginHost {
    static HOST: OnceLock<PluginHost> = OnceLock::new();
    HOST.get_or_init(|| PluginHost::new().unwrap())
}

/// Each plugin built here, compiled: (language, component bytes).
fn plugins() -> Vec<(&'static str, &'static [u8])> {
    let mut all = vec![("rust", rust_plugin())];
    all.extend(python_plugin().map(|p| ("python", p)));
    all
}

/// How many calls of `op` moth has served (its latency histogram's count).
fn served(moth: &Moth, op: &str) -> u64 {
    let mut metrics = String::new();
    moth.guest_metrics().render(&mut metrics);
    let line = format!("moth_guest_call_duration_seconds_count{{op=\"{op}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .map_or(0, |n| n.parse().unwrap())
}

fn grants(names: &[&str]) -> Grants {
    names
        .iter()
        .try_fold(Grants::none(), |g, n| g.allow(n))
        .unwrap()
}

#[test]
fn a_linked_plugin_calls_what_it_was_granted_on_its_tenant_only() {
    let w = world();
    for (language, bytes) in plugins() {
        let plugin = host().load(bytes).unwrap();
        let call = |grants: Grants, export: &str, args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            host()
                .call_linked(&plugin, w.acme.clone(), grants, export, &args)
                .unwrap()
        };
        let reader = || grants(&["validate", "token-has-all"]);
        assert_eq!(
            call(reader(), "handle", &[&w.ann]),
            "hello ann: you may read reports",
            "{language}"
        );
        assert_eq!(
            call(reader(), "handle", &[&w.bob]),
            "hello bob: you may not read reports",
            "{language}"
        );
        assert_eq!(
            call(reader(), "handle", &["not-a-token"]),
            "denied: invalid-token",
            "{language}"
        );
        // Another tenant's live token means nothing here.
        assert_eq!(
            call(reader(), "handle", &[&w.stranger]),
            "denied: invalid-token",
            "{language}"
        );
        // Not granted: a clear error, and nothing done (moth not even
        // called).
        let creations = served(&w.acme, "create-user");
        assert_eq!(
            call(reader(), "escalate", &[]),
            "refused: invalid-input: `create-user` is not granted to this plugin",
            "{language}"
        );
        assert_eq!(
            call(grants(&["validate"]), "handle", &[&w.ann]),
            "hello ann: invalid-input: `token-has-all` is not granted to this plugin",
            "{language}"
        );
        assert_eq!(
            call(Grants::none(), "handle", &[&w.ann]),
            "denied: invalid-input: `validate` is not granted to this plugin",
            "{language}"
        );
        assert_eq!(
            w.acme.list_users(None, 10).unwrap().users.len(),
            2,
            "{language}"
        );
        assert_eq!(served(&w.acme, "create-user"), creations, "{language}");

        // Granted, the same call does its work, on the plugin's tenant.
        let made = call(grants(&["users"]), "escalate", &[]);
        assert!(made.starts_with("created user "), "{language}: {made}");
        let mallory = w.acme.list_users(None, 10).unwrap().users;
        assert_eq!(mallory.len(), 3, "{language}");
        assert!(
            w.root
                .list_users(None, 10)
                .unwrap()
                .users
                .iter()
                .all(|u| u.username != "mallory")
        );
        let mallory = mallory.iter().find(|u| u.username == "mallory").unwrap();
        w.acme.delete_user(mallory.id).unwrap();
    }
    // The plugin's calls were served by moth's own instances and measured
    // like any call (nothing else here calls `token-has-all`).
    assert!(served(&w.acme, "token-has-all") > 0);
}

#[test]
fn a_failure_of_moth_itself_traps_the_plugins_call() {
    let w = world();
    let plugin = host().load(rust_plugin()).unwrap();
    w.root.delete_tenant("acme").unwrap();
    let err = host()
        .call_linked(
            &plugin,
            w.acme.clone(),
            grants(&["validate"]),
            "handle",
            std::slice::from_ref(&w.ann),
        )
        .unwrap_err();
    let cause = err
        .chain()
        .find_map(|e| e.downcast_ref::<moth::Error>())
        .unwrap_or_else(|| panic!("no moth::Error in {err:?}"));
    assert_eq!(cause, &moth::Error::NoTenant);
}

#[test]
fn a_composed_plugin_imports_only_store_clock_and_random_and_runs_on_its_tenant() {
    let w = world();
    for (language, bytes) in plugins() {
        let composed = plugin::compose(bytes).unwrap();
        let component = host().load(&composed).unwrap();
        let moth = host().load(moth::COMPONENT).unwrap();
        assert_eq!(imports(&component), imports(&moth), "{language}");
        assert_eq!(imports(&moth).len(), 3, "store, wall clock, random");
        let call = |export: &str, args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            host()
                .call_composed(&component, &w.acme, export, &args)
                .unwrap()
        };
        assert_eq!(
            call("handle", &[&w.ann]),
            "hello ann: you may read reports",
            "{language}"
        );
        assert_eq!(
            call("handle", &[&w.bob]),
            "hello bob: you may not read reports",
            "{language}"
        );
        assert_eq!(
            call("handle", &[&w.stranger]),
            "denied: invalid-token",
            "{language}"
        );
        // No allow-list: a composed plugin reaches every operation it imports.
        let made = call("escalate", &[]);
        assert!(made.starts_with("created user "), "{language}: {made}");
        let users = w.acme.list_users(None, 10).unwrap().users;
        let mallory = users.iter().find(|u| u.username == "mallory").unwrap();
        w.acme.delete_user(mallory.id).unwrap();
    }
}

/// A component for `world` (in `wit`, a package using moth's WIT), with
/// a core module that does nothing: enough to compose, not to run.
fn dummy_plugin(wit: &str, world: &str) -> Vec<u8> {
    use wit_component::StringEncoding;
    use wit_parser::{ManglingAndAbi, Resolve};
    let mut resolve = Resolve::default();
    resolve.push_dir(here().join("wit/deps/moth")).unwrap();
    let pkg = resolve.push_str("test.wit", wit).unwrap();
    let world = resolve.select_world(&[pkg], Some(world)).unwrap();
    let mut module = wit_component::dummy_module(&resolve, world, ManglingAndAbi::Standard32);
    wit_component::embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)
        .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .and_then(|e| e.validate(true).encode())
        .unwrap()
}

fn compose_refusal(plugin: &[u8]) -> String {
    match plugin::compose(plugin) {
        Err(e @ moth::Error::Compose(..)) => e.to_string(),
        other => panic!("composed: {:?}", other.map(|b| b.len())),
    }
}

#[test]
fn composing_refuses_what_is_not_a_plugin_of_moth() {
    // Not a component at all.
    let why = compose_refusal(b"\0asm\x01\0\0\0");
    assert!(why.contains("not a readable component"), "{why}");
    // A plugin that imports moth's store would reach the tenant's data
    // around moth's rules.
    let why = compose_refusal(&dummy_plugin(
        "package test:sneaky;
         world sneaky {
             import moth:auth/store@0.2.0;
             import moth:auth/sessions@0.2.0;
             export handle: func(token: string) -> string;
         }",
        "sneaky",
    ));
    assert!(why.contains("imports moth:auth/store"), "{why}");
    // Moth's own component imports the store too.
    let why = compose_refusal(moth::COMPONENT);
    assert!(why.contains("imports moth:auth/store"), "{why}");
    // Anything moth does not supply would be left for the host to supply.
    let why = compose_refusal(&dummy_plugin(
        "package test:needy;
         interface extra { f: func(); }
         world needy {
             import extra;
             import moth:auth/sessions@0.2.0;
             export handle: func(token: string) -> string;
         }",
        "needy",
    ));
    assert!(why.contains("imports test:needy/extra"), "{why}");
    // A plugin built against another `moth:auth` WIT gets nothing plugged.
    let why = compose_refusal(&dummy_plugin(
        "package test:other;
         interface sessions { validate: func(token: string) -> u32; }
         world other {
             import sessions;
             export handle: func(token: string) -> string;
         }",
        "other",
    ));
    assert!(why.contains("none of moth's interfaces"), "{why}");
    // The same WIT as moth's composes.
    let fine = dummy_plugin(
        "package test:fine;
         world fine {
             import moth:auth/sessions@0.2.0;
             export handle: func(token: string) -> string;
         }",
        "fine",
    );
    plugin::compose(&fine).unwrap();
}

#[test]
fn moths_limits_hold_for_a_plugins_calls() {
    let w = world();
    let ann = w.ann.clone();
    let dir = w._dir;
    drop((w.root, w.acme));
    // The same database, served with a 10 ms deadline per call: a short
    // call passes, an Argon2 hash (create-user) is stopped by moth.
    let runtime = moth::Runtime::new(&moth::RuntimeOptions {
        call_deadline: std::time::Duration::from_millis(10),
        ..Default::default()
    })
    .unwrap();
    let acme = Options::new()
        .runtime(std::sync::Arc::new(runtime))
        .open(dir.path().join("moth.db"))
        .unwrap()
        .tenant("acme")
        .unwrap();
    let plugin = host().load(rust_plugin()).unwrap();
    let everything = Grants::all();
    let out = host()
        .call_linked(&plugin, acme.clone(), everything.clone(), "handle", &[ann])
        .unwrap();
    assert_eq!(out, "hello ann: you may read reports");
    let err = host()
        .call_linked(&plugin, acme.clone(), everything, "escalate", &[])
        .unwrap_err();
    let cause = err.chain().find_map(|e| e.downcast_ref::<moth::Error>());
    assert!(matches!(cause, Some(moth::Error::Timeout(_))), "{err:?}");
    assert!(
        acme.list_users(None, 10)
            .unwrap()
            .users
            .iter()
            .all(|u| u.username != "mallory")
    );
}

#[test]
fn the_example_binary_runs_a_plugin() {
    let World {
        _dir: dir,
        root,
        acme,
        ann,
        ..
    } = world();
    // The binary opens the database itself.
    drop((root, acme));
    let wasm = dir.path().join("plugin.wasm");
    std::fs::write(&wasm, rust_plugin()).unwrap();
    let composed = dir.path().join("composed.wasm");
    std::fs::write(&composed, plugin::compose(rust_plugin()).unwrap()).unwrap();
    let run = |grants: &[&str], export: &str, args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_moth-plugin-host"));
        cmd.arg("--db").arg(dir.path().join("moth.db"));
        cmd.args(["--tenant", "acme"]);
        match grants {
            ["--composed"] => cmd.arg("--composed").arg(&composed),
            _ => {
                for g in grants {
                    cmd.args(["--grant", g]);
                }
                cmd.arg(&wasm)
            }
        };
        let out = cmd.arg(export).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        run(&["validate", "token-has-all"], "handle", &[&ann]),
        "hello ann: you may read reports\n"
    );
    assert_eq!(
        run(&["validate"], "escalate", &[]),
        "refused: invalid-input: `create-user` is not granted to this plugin\n"
    );
    assert_eq!(
        run(&["--composed"], "handle", &[&ann]),
        "hello ann: you may read reports\n"
    );
}

fn imports(component: &Component) -> Vec<String> {
    let engine = moth::wasmtime::Engine::default();
    let mut names: Vec<String> = component
        .component_type()
        .imports(&engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    names.sort();
    names
}
