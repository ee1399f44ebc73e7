//! The helper that lets a test skip locally but never in CI.

mod common;

use common::need;

#[test]
fn a_missing_need_fails_under_ci_and_skips_elsewhere() {
    assert!(std::panic::catch_unwind(|| need::missing_under(true, "a tool")).is_err());
    assert!(std::panic::catch_unwind(|| need::missing_under(false, "a tool")).is_ok());
}

#[test]
fn a_tool_that_does_not_exist_is_missing() {
    let name = "vpnwatch-test-no-such-tool";
    if need::in_ci() {
        assert!(std::panic::catch_unwind(|| need::tool(name, &[])).is_err());
    } else {
        assert!(!need::tool(name, &[]));
    }
}
