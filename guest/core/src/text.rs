//! The one rule for every name-like input (usernames, addresses, key and
//! service names): bounded, non-empty, and free of control characters.
//! Beyond hygiene, the last part keeps keys self-delimiting: indexes end a
//! name with a `0` byte, so a name holding one could name a range inside
//! another's.

use crate::error::{Result, invalid};

/// Refuse `s` unless it is 1..=`max` bytes without control characters;
/// `what` names it in the error.
pub(crate) fn check_name(what: &str, s: &str, max: usize) -> Result<()> {
    if s.is_empty() {
        return Err(invalid(format!("{what} must not be empty")));
    }
    if s.len() > max {
        return Err(invalid(format!("{what} must be at most {max} bytes")));
    }
    if s.chars().any(char::is_control) {
        return Err(invalid(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(())
}
