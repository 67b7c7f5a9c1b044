package policy

import "strconv"

// FieldError is one problem found by [Compile]. Field is the Spec field path
// in the Gateway API's JSON spelling ("allowOrigins[2]"); Value is the
// offending value as written; Reason says what is wrong and Fix what to do.
// Compile joins every FieldError it finds with errors.Join, so callers can
// list all of them (errors.As / an Unwrap() []error walk).
type FieldError struct {
	Field  string
	Value  string
	Reason string
	Fix    string
}

func (e *FieldError) Error() string {
	s := e.Field
	if e.Value != "" {
		s += " " + strconv.Quote(e.Value)
	}
	s += ": " + e.Reason
	if e.Fix != "" {
		s += "; " + e.Fix
	}
	return s
}

// WarningCode identifies a class of accepted-but-risky configuration.
type WarningCode string

const (
	// WarnReflectAnyOriginWithCredentials: allowOrigins ["*"] with
	// allowCredentials true. The Gateway API requires echoing every Origin
	// with credentials; corsgate accepts it for the HTTPRoute filter but
	// flags it everywhere (startup log, status, lint).
	WarnReflectAnyOriginWithCredentials WarningCode = "ReflectsAnyOriginWithCredentials"
	// WarnOriginNormalized: an origin was written with a path or trailing
	// slash (or upper case, or a default port) and was normalised.
	WarnOriginNormalized WarningCode = "OriginNormalized"
	// WarnInsecureOriginWithCredentials: an http:// origin is allowed with
	// credentials; any network attacker can impersonate it.
	WarnInsecureOriginWithCredentials WarningCode = "InsecureOriginWithCredentials"
	// WarnLookalikeOrigin: an origin prefix or regex also admits origins
	// on other sites that anyone can register ("https://example.com" as a
	// prefix admits "https://example.com.evil.net"). The message names one.
	WarnLookalikeOrigin WarningCode = "LookalikeOrigin"
	// WarnOriginNeverMatches: an origin prefix can never match an Origin
	// header a browser sends (upper case, a path or a trailing slash).
	WarnOriginNeverMatches WarningCode = "OriginNeverMatches"
)

// Warning is a finding on a configuration that compiled.
type Warning struct {
	Code    WarningCode
	Field   string
	Value   string
	Message string
}

func (w Warning) String() string {
	s := w.Field
	if w.Value != "" {
		s += " " + strconv.Quote(w.Value)
	}
	return s + ": " + w.Message
}
