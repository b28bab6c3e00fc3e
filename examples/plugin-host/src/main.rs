//! `moth-plugin-host`: run one export of a plugin component against a moth
//! database's tenant, linked with an allow-list or composed with moth.
//!
//! ```text
//! moth-plugin-host --db moth.db --tenant acme --grant validate --grant token-has-all \
//!     plugin.wasm handle "$TOKEN"
//! moth-plugin-host --db moth.db --composed composed.wasm handle "$TOKEN"
//! ```

use std::path::PathBuf;

use clap::Parser;
use moth::plugin::Grants;
use moth::wasmtime::Result;
use moth::wasmtime::error::Context;
use moth_plugin_host::PluginHost;

/// Run one export of a plugin component with moth's interfaces.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The moth database (a sled directory or a postgres:// URL).
    #[arg(long, env = "MOTH_DB")]
    db: String,
    /// The tenant whose users and tokens the plugin reaches.
    #[arg(long, default_value = moth::DEFAULT_TENANT)]
    tenant: String,
    /// An operation (WIT name, e.g. `validate`) or interface (`roles`) the
    /// plugin may call; repeat for more. Nothing is granted by default.
    #[arg(long = "grant", value_name = "OPERATION")]
    grants: Vec<String>,
    /// The plugin was composed with moth (`moth compose`): it reaches every
    /// operation it imports, and `--grant` does not apply.
    #[arg(long, conflicts_with = "grants")]
    composed: bool,
    /// The plugin component.
    plugin: PathBuf,
    /// The export to call.
    export: String,
    /// Its string arguments.
    args: Vec<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let moth = moth::Moth::open(args.db.as_str())?.tenant(&args.tenant)?;
    let host = PluginHost::new()?;
    let bytes =
        std::fs::read(&args.plugin).with_context(|| format!("read {}", args.plugin.display()))?;
    let plugin = host.load(&bytes)?;
    let out = if args.composed {
        host.call_composed(&plugin, &moth, &args.export, &args.args)?
    } else {
        let grants = args
            .grants
            .iter()
            .try_fold(Grants::none(), |g, name| g.allow(name))?;
        host.call_linked(&plugin, moth, grants, &args.export, &args.args)?
    };
    println!("{out}");
    Ok(())
}
