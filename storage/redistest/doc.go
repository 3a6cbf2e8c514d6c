// Package redistest starts a throwaway redis-server for tests: Start gives a test (or
// a whole test package, when called once from a parent test) a real Redis on a free
// loopback port, with nothing persisted, stopped when the test ends.
//
// It owns nothing but that process. Tests that need Redis skip when redis-server is
// not installed, unless OKTA_CHATOPS_REQUIRE_REDIS=1 (CI sets it), which makes a
// missing server a failure rather than a silent skip.
package redistest
