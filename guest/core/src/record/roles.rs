//! The roles records: a permission (`w` + name) and a bundle or group
//! (`x` / `y` + name). Links between them are empty-valued keys (see
//! [`crate::keys::ROLE_LINK`]).
//!
//! Version 1 of a permission: its version as `u64`, then its description
//! as a length-prefixed string. Version 1 of a bundle or group: its
//! version as `u64`.

use super::{Reader, Writer, corrupt};
use crate::error::Result;

/// A permission as stored under `w` + name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PermissionRecord {
    /// Bumped by every link made to the permission, so that a deletion
    /// guarded on the record it read conflicts with a grant made after
    /// that read instead of leaving the grant behind.
    pub version: u64,
    /// The caller's description.
    pub description: String,
}

impl PermissionRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        Writer::new(1).u64(self.version).str(&self.description).0
    }

    /// Parse stored bytes of version 1; anything else is
    /// [`crate::Error::Storage`], never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if version != 1 {
            return Err(corrupt());
        }
        let v = r.u64()?;
        let description = r.str()?;
        r.end()?;
        Ok(PermissionRecord {
            version: v,
            description,
        })
    }
}

/// A bundle or group as stored under `x` / `y` + name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleRecord {
    /// Bumped by every link made from or to it (see
    /// [`PermissionRecord::version`]).
    pub version: u64,
}

impl RoleRecord {
    /// The stored bytes (version 1).
    pub fn encode(&self) -> Vec<u8> {
        Writer::new(1).u64(self.version).0
    }

    /// Parse stored bytes of version 1; anything else is
    /// [`crate::Error::Storage`], never a panic.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, mut r) = Reader::new(bytes)?;
        if version != 1 {
            return Err(corrupt());
        }
        let v = r.u64()?;
        r.end()?;
        Ok(RoleRecord { version: v })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_records_round_trip_and_reject_garbage() {
        let p = PermissionRecord {
            version: 7,
            description: "read the things".into(),
        };
        assert_eq!(PermissionRecord::decode(&p.encode()).unwrap(), p);
        let r = RoleRecord { version: u64::MAX };
        assert_eq!(RoleRecord::decode(&r.encode()).unwrap(), r);
        for bad in [&[][..], &[2, 0, 0, 0, 0, 0, 0, 0, 0], &[1, 0, 0]] {
            assert!(PermissionRecord::decode(bad).is_err());
            assert!(RoleRecord::decode(bad).is_err());
        }
        let mut long = r.encode();
        long.push(0);
        assert!(RoleRecord::decode(&long).is_err());
    }
}
