package fetch

import (
	"fmt"
	"net/http"
)

// Kind says which of a fetch's HTTP requests a message belongs to.
type Kind uint8

const (
	// Actual is the request the script asked for (or one of its redirects).
	Actual Kind = iota
	// Preflight is the OPTIONS request the browser sends first.
	Preflight
)

// String returns "actual" or "preflight".
func (k Kind) String() string {
	if k == Preflight {
		return "preflight"
	}
	return "actual"
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Verdict is whether the page's script gets the response.
type Verdict uint8

const (
	// Blocked: fetch() rejects with a TypeError; the console says why.
	Blocked Verdict = iota
	// Allowed: the script can read the response's status and body, and the
	// headers listed in [Result.Readable].
	Allowed
)

// String returns "ALLOWED" or "BLOCKED".
func (v Verdict) String() string {
	if v == Allowed {
		return "ALLOWED"
	}
	return "BLOCKED"
}

// MarshalText implements encoding.TextMarshaler.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Outcome grades one [Step].
type Outcome uint8

const (
	// Info records what happened (a request built, a response received).
	Info Outcome = iota
	// Pass is a check the response passed.
	Pass
	// Warn is a passed check that deserves attention (a browser quirk, a
	// deprecation, a value the browser clamps).
	Warn
	// Fail is the check that blocked the request; it is the last step.
	Fail
)

var outcomeNames = [...]string{Info: "info", Pass: "pass", Warn: "warn", Fail: "fail"}

// String returns info, pass, warn or fail.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", o)
}

// MarshalText implements encoding.TextMarshaler.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// Check names what a [Step] is about. The values are stable identifiers
// (JSON output, tests).
type Check string

// The checks, in the order a fetch meets them.
const (
	CheckRequest        Check = "request"     // the script's request as fetch() normalises it
	CheckOrigin         Check = "same-origin" // whether CORS applies at all
	CheckPreflightNeed  Check = "preflight-needed"
	CheckSent           Check = "sent"            // a request went out
	CheckReceived       Check = "received"        // a response came back
	CheckRedirect       Check = "redirect"        // HTTP-redirect fetch rules
	CheckCORS           Check = "cors-check"      // Access-Control-Allow-Origin / -Credentials
	CheckOKStatus       Check = "ok-status"       // a preflight needs 200-299
	CheckAllowLists     Check = "allow-lists"     // parsing Access-Control-Allow-Methods / -Headers
	CheckMethod         Check = "method-check"    // Access-Control-Allow-Methods
	CheckHeaders        Check = "header-check"    // Access-Control-Allow-Headers
	CheckMaxAge         Check = "max-age"         // preflight cache lifetime
	CheckExposedHeaders Check = "exposed-headers" // what the script can read
)

// Step is one decision of a fetch, in order.
type Step struct {
	// Request is the number of HTTP requests sent when the step was
	// taken, counting the one a CheckSent step announces: the checks of a
	// response carry its request's number, steps before the first request 0.
	Request int     `json:"request"`
	Kind    Kind    `json:"kind"`
	Check   Check   `json:"check"`
	Outcome Outcome `json:"outcome"`
	Text    string  `json:"text"`
	// Header holds the headers the step shows: those sent (CheckSent) or
	// the CORS-relevant ones received (CheckReceived).
	Header http.Header `json:"header,omitempty"`
}

// Result is the outcome of a whole fetch.
type Result struct {
	Browser     Browser     `json:"browser"`
	Verdict     Verdict     `json:"verdict"`
	Method      string      `json:"method"` // after normalisation
	URL         string      `json:"url"`
	Origin      string      `json:"origin"`
	Credentials Credentials `json:"credentials"`
	// CrossOrigin is false when the page and the URL share an origin and
	// no redirect left it: CORS does not apply.
	CrossOrigin bool `json:"crossOrigin"`
	// Preflights counts the preflights sent (one per cross-origin hop that
	// needed one).
	Preflights int `json:"preflights"`
	Redirects  int `json:"redirects"`
	// FinalURL and Status describe the response the script gets (Allowed).
	FinalURL string `json:"finalUrl,omitempty"`
	Status   int    `json:"status,omitempty"`
	// PreflightCacheSeconds is how long the browser caches the last
	// successful preflight, after its cap.
	PreflightCacheSeconds *int64 `json:"preflightCacheSeconds,omitempty"`
	// Readable lists the response header names (lower case) the script can
	// read; Hidden those present that it cannot.
	Readable []string `json:"readableHeaders,omitempty"`
	Hidden   []string `json:"hiddenHeaders,omitempty"`
	Steps    []Step   `json:"steps"`
	// Warnings repeats the text of every Warn step.
	Warnings []string `json:"warnings,omitempty"`
	// Failure explains a Blocked verdict; nil when Allowed.
	Failure *Failure `json:"failure,omitempty"`
}
