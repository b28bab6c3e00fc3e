//! [`Grants`]: which of moth's operations a plugin may call.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::ops::{self, Op};

/// The operations a plugin may call, by WIT name. Nothing is granted
/// unless named: start from [`Grants::none`] and [`allow`](Grants::allow)
/// what the plugin needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    ops: BTreeSet<&'static str>,
}

impl Grants {
    /// No operation.
    pub fn none() -> Grants {
        Grants::default()
    }

    /// Every operation of every interface, administrative ones included
    /// (`create-user`, `delete-user`, `grant-role`: full power over the
    /// tenant's data). For trusted plugins only.
    pub fn all() -> Grants {
        Grants {
            ops: ops::ALL.iter().map(|op| op.name).collect(),
        }
    }

    /// Also allow `name`: an operation's WIT name (`validate`), or an
    /// interface's (`sessions`) for all of its operations. An unknown name
    /// is [`Error::InvalidInput`], so a typo never silently grants nothing.
    pub fn allow(mut self, name: &str) -> Result<Grants> {
        let matched: Vec<&Op> = ops::ALL
            .iter()
            .filter(|op| op.name == name || op.interface == name)
            .collect();
        if matched.is_empty() {
            return Err(Error::InvalidInput(format!(
                "`{name}` is neither an operation nor an interface of moth:auth"
            )));
        }
        self.ops.extend(matched.iter().map(|op| op.name));
        Ok(self)
    }

    /// Whether the operation with WIT name `name` is granted.
    pub fn allows(&self, name: &str) -> bool {
        self.ops.contains(name)
    }

    /// The granted operations' WIT names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.ops.iter().copied()
    }

    /// Every operation's WIT name that can be granted, in the WIT's order.
    pub fn grantable() -> impl Iterator<Item = &'static str> {
        ops::ALL.iter().map(|op| op.name)
    }
}

#[cfg(test)]
mod tests {
    use super::Grants;
    use crate::Error;

    #[test]
    fn nothing_is_granted_unless_named() {
        let g = Grants::none();
        assert!(Grants::grantable().all(|name| !g.allows(name)));
    }

    #[test]
    fn an_operation_or_a_whole_interface_can_be_granted() {
        let g = Grants::none().allow("validate").unwrap();
        assert!(g.allows("validate"));
        assert!(!g.allows("login"));
        let g = g.allow("roles").unwrap();
        assert!(g.allows("has-all") && g.allows("grant-role"));
        assert!(!g.allows("create-user"));
    }

    #[test]
    fn unknown_names_are_refused() {
        for bad in ["", "valid", "Validate", "sessions/validate", "store", "get"] {
            assert!(
                matches!(Grants::none().allow(bad), Err(Error::InvalidInput(_))),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn all_grants_every_operation() {
        let g = Grants::all();
        assert!(Grants::grantable().all(|name| g.allows(name)));
        assert_eq!(g.names().count(), Grants::grantable().count());
    }
}
