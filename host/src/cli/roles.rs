//! `moth role …`: permissions, bundles, groups, grants, a user's roles and
//! checks.

use anyhow::bail;
use clap::{Args, Subcommand};
use moth::server::{BundleBody, GroupBody, MembersBody, PermissionBody, UserRolesBody};
use moth::{GrantNames, Moth};
use serde_json::json;

use super::print_json;

#[derive(Subcommand)]
pub(crate) enum RoleCommand {
    /// Named permissions: create, list, delete.
    Permission {
        #[command(subcommand)]
        command: PermissionCommand,
    },
    /// Bundles (named sets of permissions): create, list, delete.
    Bundle {
        #[command(subcommand)]
        command: BundleCommand,
    },
    /// Groups (users join them; they carry permissions and bundles).
    Group {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// Grant: name two of --user, --group, --bundle, --permission; the
    /// first of them in that order holds the other (a user joins a group,
    /// a group gets a bundle, a bundle gets a permission, …).
    Grant(GrantArgs),
    /// Revoke a grant, named as for `grant`.
    Revoke(GrantArgs),
    /// What a user holds directly, and their effective permissions.
    Show { id: u64 },
    /// Whether a user holds all (`--all`) or any (`--any`) of the
    /// permissions named, comma-separated.
    Check {
        id: u64,
        #[arg(
            long,
            value_delimiter = ',',
            conflicts_with = "any",
            required_unless_present = "any"
        )]
        all: Option<Vec<String>>,
        #[arg(long, value_delimiter = ',')]
        any: Option<Vec<String>>,
    },
}

#[derive(Subcommand)]
pub(crate) enum PermissionCommand {
    /// Define a permission.
    Create {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Every permission.
    List,
    /// Delete a permission, taking it from every bundle, group and user.
    Delete { name: String },
}

#[derive(Subcommand)]
pub(crate) enum BundleCommand {
    /// Create an empty bundle.
    Create { name: String },
    /// Every bundle with its permissions.
    List,
    /// Delete a bundle, taking it from every group and user.
    Delete { name: String },
}

#[derive(Subcommand)]
pub(crate) enum GroupCommand {
    /// Create an empty group.
    Create { name: String },
    /// Every group with its permissions and bundles.
    List,
    /// Delete a group, removing its members.
    Delete { name: String },
    /// A group's member ids.
    Members { name: String },
}

/// The ends of a grant: two of these.
#[derive(Args)]
pub(crate) struct GrantArgs {
    #[arg(long)]
    user: Option<u64>,
    #[arg(long)]
    group: Option<String>,
    #[arg(long)]
    bundle: Option<String>,
    #[arg(long)]
    permission: Option<String>,
}

impl From<GrantArgs> for GrantNames {
    fn from(a: GrantArgs) -> Self {
        GrantNames {
            user: a.user,
            group: a.group,
            bundle: a.bundle,
            permission: a.permission,
        }
    }
}

/// `{"deleted": true}`, or an error naming what did not exist.
fn deleted(deleted: bool, what: &str, name: &str) -> anyhow::Result<()> {
    if !deleted {
        bail!("no {what} named {name:?}");
    }
    print_json(&json!({ "deleted": true }));
    Ok(())
}

/// Run one `role` command on `moth`.
pub(crate) fn run(command: RoleCommand, moth: &Moth) -> anyhow::Result<()> {
    match command {
        RoleCommand::Permission { command } => match command {
            PermissionCommand::Create { name, description } => {
                print_json(&PermissionBody::from(
                    moth.create_permission(&name, &description)?,
                ));
            }
            PermissionCommand::List => {
                for p in moth.list_permissions()? {
                    print_json(&PermissionBody::from(p));
                }
            }
            PermissionCommand::Delete { name } => {
                deleted(moth.delete_permission(&name)?, "permission", &name)?;
            }
        },
        RoleCommand::Bundle { command } => match command {
            BundleCommand::Create { name } => {
                moth.create_bundle(&name)?;
                print_json(&json!({ "name": name, "permissions": [] }));
            }
            BundleCommand::List => {
                for b in moth.list_bundles()? {
                    print_json(&BundleBody::from(b));
                }
            }
            BundleCommand::Delete { name } => {
                deleted(moth.delete_bundle(&name)?, "bundle", &name)?;
            }
        },
        RoleCommand::Group { command } => match command {
            GroupCommand::Create { name } => {
                moth.create_group(&name)?;
                print_json(&json!({ "name": name, "permissions": [], "bundles": [] }));
            }
            GroupCommand::List => {
                for g in moth.list_groups()? {
                    print_json(&GroupBody::from(g));
                }
            }
            GroupCommand::Delete { name } => {
                deleted(moth.delete_group(&name)?, "group", &name)?;
            }
            GroupCommand::Members { name } => {
                let members = moth.group_members(&name)?;
                print_json(&MembersBody::new(name, members));
            }
        },
        RoleCommand::Grant(args) => {
            let (holder, item) = GrantNames::from(args).ends()?;
            let changed = moth.grant_role(&holder, &item)?;
            print_json(&json!({ "changed": changed }));
        }
        RoleCommand::Revoke(args) => {
            let (holder, item) = GrantNames::from(args).ends()?;
            let changed = moth.revoke_role(&holder, &item)?;
            print_json(&json!({ "changed": changed }));
        }
        RoleCommand::Show { id } => {
            let roles = moth.get_user_roles(id)?;
            let effective = moth.effective_permissions(id)?;
            print_json(&UserRolesBody::new(id, roles, effective));
        }
        RoleCommand::Check { id, all, any } => {
            let allowed = match (all, any) {
                (Some(names), _) => moth.has_all(id, &names)?,
                (None, Some(names)) => moth.has_any(id, &names)?,
                (None, None) => bail!("give --all or --any"),
            };
            print_json(&json!({ "allowed": allowed }));
        }
    }
    Ok(())
}
