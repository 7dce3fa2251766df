//! `Secret`: a string that never shows itself.
//!
//! `Debug` and `Display` print a fixed redaction, so a secret cannot leak through `{:?}`,
//! `format!`, logs or panic messages. The only way to the value is [`Secret::expose`], and
//! callers of it are the few places that must write or send the value.

use std::fmt;

/// A secret value (client secret, password, account key, encryption key).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value. Call only where the value must be written or sent.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `••••` plus the last four characters when the secret is long enough for that to
    /// reveal little (≥ 16 characters), else `••••` alone.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// Masks a secret for display: `••••last4` for values of 16+ characters, else `••••`.
pub fn mask(value: &str) -> String {
    let count = value.chars().count();
    if count == 0 {
        return "(empty)".to_owned();
    }
    if count >= 16 {
        let tail: String = value.chars().skip(count - 4).collect();
        format!("••••{tail}")
    } else {
        "••••".to_owned()
    }
}

/// A new encryption key: `len` (≥ 40) random characters from `[A-Za-z0-9]`, starting with a
/// letter so Lakekeeper's config parser can never read it as a number.
pub fn generate_key(len: usize) -> Secret {
    use rand::distr::{Alphanumeric, SampleString};
    let len = len.max(40);
    loop {
        let key = Alphanumeric.sample_string(&mut rand::rng(), len);
        if key.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Secret(key);
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("fake-super-secret-value-1234");
        assert!(!format!("{s:?}").contains("fake"));
        assert!(!format!("{s}").contains("fake"));
        assert_eq!(s.expose(), "fake-super-secret-value-1234");
    }

    #[test]
    fn generated_keys_are_long_alphanumeric_letter_first_and_distinct() {
        let a = generate_key(48);
        let b = generate_key(10);
        assert_eq!(a.expose().len(), 48);
        assert_eq!(b.expose().len(), 40, "never shorter than 40");
        assert!(a.expose().bytes().all(|c| c.is_ascii_alphanumeric()));
        assert!(a.expose().starts_with(|c: char| c.is_ascii_alphabetic()));
        assert_ne!(a, generate_key(48));
    }

    #[test]
    fn masking_shows_last_four_only_for_long_values() {
        assert_eq!(mask("fake-super-secret-value-1234"), "••••1234");
        assert_eq!(mask("short"), "••••");
        assert_eq!(mask(""), "(empty)");
    }
}
