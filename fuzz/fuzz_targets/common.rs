use iam_notify::Notification;

/// What every notification must satisfy, whatever the input: the library's own checker,
/// the one the property tests use too.
pub fn check(n: &Notification) {
    if let Err(broken) = iam_notify::invariants::check(n) {
        panic!("{broken}");
    }
}
