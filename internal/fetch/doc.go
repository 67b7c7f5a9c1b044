// Package fetch is the browser side of the CORS protocol: what a browser's
// fetch() does with a cross-origin request and with each response it gets,
// as the Fetch standard defines it and as Chromium and Firefox implement it.
//
// It decides whether a request needs a CORS preflight (CORS-safelisted
// methods and request headers, with their value rules), builds the
// preflight, applies the CORS check, the ok-status rule, the method and
// header checks, the redirect rules (a redirected preflight fails; after a
// cross-origin redirect the Origin becomes "null"), and computes which
// response headers a script can read. Every decision is recorded as a
// [Step]; a blocked request carries a [Failure] with the message the
// browser's console would print and a concrete fix.
//
// The package is pure: no I/O, no clock, no logging. The caller performs
// each HTTP exchange and feeds the response back ([Session.Next],
// [Session.Receive], or [Run] with a callback), so the same rules judge a
// live server (internal/probe, `corsgate check`), the gateway's own answer
// (a policy.Decision through [FromDecision], `corsgate explain`) and the
// expectations of the headless-Chromium suite.
//
// Browser profiles ([Browser]) capture where real browsers differ from the
// standard: Chromium caps Access-Control-Max-Age at 7200 s and still lets
// "*" in Access-Control-Allow-Headers cover Authorization (with a
// deprecation warning); Firefox caps it at 86400 s; [FetchSpec] applies the
// standard as written.
//
// Specs followed:
//   - Fetch standard, CORS protocol: https://fetch.spec.whatwg.org/#http-cors-protocol
//   - CORS-safelisted request-header: https://fetch.spec.whatwg.org/#cors-safelisted-request-header
//   - CORS-preflight fetch: https://fetch.spec.whatwg.org/#cors-preflight-fetch
//   - CORS check: https://fetch.spec.whatwg.org/#cors-check
//   - HTTP-redirect fetch: https://fetch.spec.whatwg.org/#http-redirect-fetch
//   - CORS-filtered response: https://fetch.spec.whatwg.org/#concept-filtered-response-cors
package fetch
