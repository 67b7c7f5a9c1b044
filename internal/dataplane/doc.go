// Package dataplane serves an [ir.Snapshot]: it binds one HTTP or HTTPS
// server per [ir.Listener], routes each request (listener port → virtual
// host → first matching route), answers CORS preflights itself and proxies
// everything else to the chosen backend endpoint.
//
// # Request flow
//
// Each request loads the active snapshot once and finishes on it, even when
// [Gateway.Apply] swaps in a new one meanwhile. Routing follows the Gateway
// API: virtual hosts are tried most specific first and a request falls
// through to the next host when no route of a more specific one matches;
// within a host the first route whose match fits wins. PathPrefix matches
// whole path segments ("/foo" matches "/foo" and "/foo/bar", never
// "/foobar").
//
// # CORS
//
// The policy of a request is the chosen backendRef's policy when it has one,
// else the rule's. With a policy:
//
//   - A preflight (OPTIONS with Origin and Access-Control-Request-Method,
//     as the Fetch standard defines it) is answered by the gateway and never
//     forwarded: 204 with the policy's headers, or 403 with a one-line
//     text/plain reason and no Access-Control-* header at all. It is
//     answered even when the route's backends are invalid or down. When the
//     OPTIONS request itself matches no route with a policy, it is routed
//     with the announced method instead, so a rule matching only PUT answers
//     the preflight for its PUT.
//   - Any other request is forwarded. On the upstream response the gateway
//     first applies the ResponseHeaderModifier filters, then deletes every
//     Access-Control-* header ([policy.ResponseHeaderNames]) and sets its
//     own. That order makes the gateway the single authority: neither the
//     upstream nor a header filter can add, forge or duplicate a CORS header.
//   - Vary tokens from the engine are merged into the upstream's Vary without
//     duplicates ("Vary: *" is left alone), so shared caches never serve one
//     origin's answer to another.
//   - Responses the gateway makes itself (404 without a route, 500 invalid
//     rule, 502, 503, 504) carry Vary: Origin, and for an allowed origin the
//     same Access-Control-* headers as a proxied response, so browser code can
//     read the error.
//
// Without a policy the route is a plain proxy: preflights are forwarded and
// upstream headers pass through unchanged.
//
// # Requests refused before routing
//
// CONNECT gets 405 (the gateway is never a tunnel). A path with a "." or
// ".." segment, after percent-decoding and with "\" counted as a separator,
// gets 400, so that "/public/../admin" or "/public/%2e%2e/admin" cannot
// reach a backend that normalises paths through a PathPrefix /public route;
// browsers resolve dot segments before sending, so they never see this. An
// absolute-form target ("GET http://host/x HTTP/1.1") is routed by its host,
// as RFC 9112 requires, and goes to the configured backends only (a scheme
// other than http or https gets 400). None of these answers, nor the 404,
// echoes the client's host or path.
//
// # Passive health
//
// An endpoint whose connection fails is skipped by the round robin for
// [Options.EndpointBackoff], doubling with each consecutive failure up to
// 30 times that, while its backend has another endpoint to try; a completed
// exchange ends the back-off. The request that met the failure gets 502.
//
// # Observability
//
// With [Options.Metrics] every request is counted by listener, route,
// method, status class and CORS outcome (see metrics.Outcome for how the
// engine's reasons map to outcomes), upstream exchanges are timed per
// backend, and open connections are counted per listener. The counters of
// each route are resolved when a snapshot is applied, so counting costs no
// allocation. With [Options.AccessLog] each request gets one Info line;
// each denied origin also gets a rate-limited "origin not allowed" Warn
// line on [Options.Logger].
//
// Specs followed: the Fetch standard's CORS protocol
// (https://fetch.spec.whatwg.org/#http-cors-protocol) and Gateway API
// HTTPRoute matching and GEP-1767
// (https://gateway-api.sigs.k8s.io/geps/gep-1767/).
package dataplane
