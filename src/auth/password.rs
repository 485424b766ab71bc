//! bcrypt, as Zou stores it, so a hash copied from a Zou database keeps working.

use rand::distributions::Alphanumeric;
use rand::Rng;

/// bcrypt reads at most 72 bytes; Zou truncates the same way.
fn truncated(password: &str) -> &[u8] {
    let bytes = password.as_bytes();
    &bytes[..bytes.len().min(72)]
}

pub fn hash(password: &str, cost: u32) -> String {
    // Only an out-of-range cost can fail, and the configuration bounds it.
    bcrypt::hash(truncated(password), cost).expect("bcrypt cost between 4 and 31")
}

/// False for a wrong password and for a stored value that is not a bcrypt hash.
pub fn verify(password: &str, stored_hash: &str) -> bool {
    bcrypt::verify(truncated(password), stored_hash).unwrap_or(false)
}

/// A random string of ASCII letters and digits, for generated passwords and keys.
pub fn random_token(length: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_a_hash_made_by_zou() {
        // Made by Python bcrypt (what flask_bcrypt wraps) for the password "mysecretpassword".
        let zou_hash = "$2b$04$.sLQKbx4NP54ScKOyoVscOq2d3IcZsq7SYFs.NMLRCfWEAhuBxQ8i";
        assert!(verify("mysecretpassword", zou_hash));
        assert!(!verify("wrong", zou_hash));
        assert!(!verify("mysecretpassword", "not a hash"));
    }

    #[test]
    fn passwords_longer_than_72_bytes_are_truncated_like_zou() {
        let long = "x".repeat(80);
        let hashed = hash(&long, 4);
        assert!(verify(&"x".repeat(72), &hashed));
    }
}
