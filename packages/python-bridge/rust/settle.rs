//! Deciding how a promise ends without letting a panic escape: the Node-API
//! edge settles each call's promise in a callback Node invokes, where an
//! unwinding panic would abort the process and an early return would leave
//! the promise pending forever.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::ops::panic_message;

/// How a promise ends: `Ok` with what `attempt` produced; else `Err` with the
/// rejection `reject` builds from its error (or from its panic, described by
/// `panicked`); else, when `reject` gives nothing or panics itself,
/// `Err(last_resort())`. `last_resort` must not panic (a constant, or a
/// Node-API call that cannot fail).
pub fn settlement<V, E>(
    attempt: impl FnOnce() -> Result<V, E>,
    panicked: impl FnOnce(String) -> E,
    reject: impl FnOnce(E) -> Option<V>,
    last_resort: impl FnOnce() -> V,
) -> Result<V, V> {
    let error = match catch_unwind(AssertUnwindSafe(attempt)) {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) => error,
        Err(panic) => panicked(panic_message(&*panic)),
    };
    match catch_unwind(AssertUnwindSafe(|| reject(error))) {
        Ok(Some(rejection)) => Err(rejection),
        Ok(None) | Err(_) => Err(last_resort()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAST: &str = "last resort";

    fn reject_with(text: String) -> Option<String> {
        Some(format!("rejected: {text}"))
    }

    #[test]
    fn a_value_resolves() {
        let outcome = settlement(
            || Ok::<_, String>("value".to_string()),
            |p| p,
            reject_with,
            || LAST.into(),
        );
        assert_eq!(outcome, Ok("value".into()));
    }

    #[test]
    fn an_error_rejects_with_what_reject_builds() {
        let outcome = settlement(
            || Err("bad".to_string()),
            |p| p,
            reject_with,
            || LAST.into(),
        );
        assert_eq!(outcome, Err("rejected: bad".into()));
    }

    #[test]
    fn a_panic_rejects_with_its_message() {
        let outcome = settlement(
            || -> Result<String, String> { panic!("registry is empty") },
            |message| format!("panicked: {message}"),
            reject_with,
            || LAST.into(),
        );
        assert_eq!(outcome, Err("rejected: panicked: registry is empty".into()));
    }

    #[test]
    fn a_failing_or_panicking_rejection_falls_back_to_the_last_resort() {
        let none = settlement(
            || Err("bad".to_string()),
            |p| p,
            |_| None,
            || LAST.to_string(),
        );
        assert_eq!(none, Err(LAST.into()));
        let panics = settlement(
            || Err("bad".to_string()),
            |p| p,
            |_| -> Option<String> { panic!("cannot build the error") },
            || LAST.to_string(),
        );
        assert_eq!(panics, Err(LAST.into()));
    }
}
