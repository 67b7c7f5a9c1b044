package fetch

import (
	"fmt"
	"strings"
)

// Code identifies why a fetch was blocked. The values are stable
// identifiers for JSON output and tests.
type Code string

// Failure codes. The CORS-check codes apply to a preflight response as well
// as to an actual one; [Failure.Preflight] tells which.
const (
	CodeMissingAllowOrigin     Code = "missing-allow-origin"
	CodeMultipleAllowOrigin    Code = "multiple-allow-origin"
	CodeInvalidAllowOrigin     Code = "invalid-allow-origin"
	CodeAllowOriginMismatch    Code = "allow-origin-mismatch"
	CodeWildcardOrigin         Code = "wildcard-origin-with-credentials"
	CodeInvalidAllowCredential Code = "invalid-allow-credentials"
	CodePreflightStatus        Code = "preflight-status"
	CodePreflightRedirect      Code = "preflight-redirect"
	CodeInvalidAllowMethods    Code = "invalid-allow-methods"
	CodeInvalidAllowHeaders    Code = "invalid-allow-headers"
	CodeMethodNotAllowed       Code = "method-not-allowed"
	CodeHeaderNotAllowed       Code = "header-not-allowed"
	CodeRedirectCredentials    Code = "redirect-credentials"
	CodeRedirectScheme         Code = "redirect-scheme"
	CodeRedirectLocation       Code = "redirect-location"
	CodeTooManyRedirects       Code = "too-many-redirects"
	// CodeTypeError: fetch() throws before sending anything (forbidden or
	// malformed method, malformed header, GET with a body, credentials in
	// the URL).
	CodeTypeError Code = "type-error"
)

// Failure explains a blocked fetch.
type Failure struct {
	Code Code `json:"code"`
	// Preflight is true when the failing response answered the preflight.
	Preflight bool `json:"preflight"`
	// URL is the URL whose response failed (or that fetch() refused).
	URL string `json:"url"`
	// Status is the failing response's status; 0 when there was none.
	Status int `json:"status,omitempty"`
	// Value is the offending value: a header value, a method or a header name.
	Value string `json:"value,omitempty"`
	// Message is the error as the selected browser's console prints it
	// (for fetch-spec, the standard's terms with a link).
	Message string `json:"message"`
	// Fix says what to change, most often on the server.
	Fix string `json:"fix"`
}

// failure is what a check returns: a Failure without the browser-specific
// wording, which the Session adds.
type failure struct {
	code  Code
	value string
	fix   string
}

const chromiumNoCORS = " Have the server send the header with a valid value, or, if an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled."

// chromiumText returns the part of Chromium's console message after
// "has been blocked by CORS policy: " (third_party/blink/renderer/platform/
// loader/cors/cors_error_string.cc), or the whole line for errors that are
// not CORS errors.
func chromiumText(f *Failure) string {
	var s string
	switch f.Code {
	case CodeMissingAllowOrigin:
		s = "No 'Access-Control-Allow-Origin' header is present on the requested resource. If an opaque response serves your needs, set the request's mode to 'no-cors' to fetch the resource with CORS disabled."
	case CodeMultipleAllowOrigin:
		s = "The 'Access-Control-Allow-Origin' header contains multiple values '" + f.Value + "', but only one is allowed." + chromiumNoCORS
	case CodeInvalidAllowOrigin:
		s = "The 'Access-Control-Allow-Origin' header contains the invalid value '" + f.Value + "'." + chromiumNoCORS
	case CodeAllowOriginMismatch:
		s = "The 'Access-Control-Allow-Origin' header has a value '" + f.Value + "' that is not equal to the supplied origin." + chromiumNoCORS
	case CodeWildcardOrigin:
		s = "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."
	case CodeInvalidAllowCredential:
		s = "The value of the 'Access-Control-Allow-Credentials' header in the response is '" + f.Value + "' which must be 'true' when the request's credentials mode is 'include'."
	case CodePreflightStatus:
		s = "It does not have HTTP ok status."
	case CodePreflightRedirect:
		s = "Redirect is not allowed for a preflight request."
	case CodeInvalidAllowMethods:
		return "Cannot parse Access-Control-Allow-Methods response header field in preflight response."
	case CodeInvalidAllowHeaders:
		return "Cannot parse Access-Control-Allow-Headers response header field in preflight response."
	case CodeMethodNotAllowed:
		return "Method " + f.Value + " is not allowed by Access-Control-Allow-Methods in preflight response."
	case CodeHeaderNotAllowed:
		return "Request header field " + f.Value + " is not allowed by Access-Control-Allow-Headers in preflight response."
	case CodeRedirectCredentials:
		return "Redirect location '" + f.Value + "' contains a username and password, which is disallowed for cross-origin requests."
	}
	if f.Preflight {
		s = "Response to preflight request doesn't pass access control check: " + s
	}
	return s
}

// firefoxReason returns the "(Reason: ...)" part of Firefox's
// "Cross-Origin Request Blocked" console message (MDN, CORS errors).
func firefoxReason(f *Failure) string {
	switch f.Code {
	case CodeMissingAllowOrigin:
		return "CORS header ‘Access-Control-Allow-Origin’ missing"
	case CodeMultipleAllowOrigin:
		return "Multiple CORS header ‘Access-Control-Allow-Origin’ not allowed"
	case CodeInvalidAllowOrigin, CodeAllowOriginMismatch:
		return "CORS header ‘Access-Control-Allow-Origin’ does not match ‘" + f.Value + "’"
	case CodeWildcardOrigin:
		return "Credential is not supported if the CORS header ‘Access-Control-Allow-Origin’ is ‘*’"
	case CodeInvalidAllowCredential:
		return "expected ‘true’ in CORS header ‘Access-Control-Allow-Credentials’"
	case CodePreflightStatus, CodePreflightRedirect:
		return "CORS preflight response did not succeed"
	case CodeInvalidAllowMethods:
		return "invalid token ‘" + f.Value + "’ in CORS header ‘Access-Control-Allow-Methods’"
	case CodeInvalidAllowHeaders:
		return "invalid token ‘" + f.Value + "’ in CORS header ‘Access-Control-Allow-Headers’"
	case CodeMethodNotAllowed:
		return "Did not find method in CORS header ‘Access-Control-Allow-Methods’"
	case CodeHeaderNotAllowed:
		return "missing token ‘" + f.Value + "’ in CORS header ‘Access-Control-Allow-Headers’ from CORS preflight channel"
	}
	return "CORS request did not succeed"
}

// specText words a failure in the Fetch standard's terms.
func specText(f *Failure) (string, string) {
	const base = "https://fetch.spec.whatwg.org/#"
	switch f.Code {
	case CodeMissingAllowOrigin:
		return "the CORS check failed: the response has no `Access-Control-Allow-Origin` header", base + "cors-check"
	case CodeMultipleAllowOrigin, CodeInvalidAllowOrigin, CodeAllowOriginMismatch:
		return "the CORS check failed: `Access-Control-Allow-Origin` is `" + f.Value + "`, not byte for byte the request's serialized origin", base + "cors-check"
	case CodeWildcardOrigin:
		return "the CORS check failed: `Access-Control-Allow-Origin: *` does not match a request whose credentials mode is \"include\"", base + "cors-check"
	case CodeInvalidAllowCredential:
		return "the CORS check failed: the credentials mode is \"include\" and `Access-Control-Allow-Credentials` is `" + f.Value + "`, not `true`", base + "cors-check"
	case CodePreflightStatus:
		return fmt.Sprintf("the preflight response's status %d is not an ok status (200-299)", f.Status), base + "cors-preflight-fetch"
	case CodePreflightRedirect:
		return fmt.Sprintf("the preflight response is a redirect (%d), not an ok status; preflights never follow redirects", f.Status), base + "cors-preflight-fetch"
	case CodeInvalidAllowMethods:
		return "`Access-Control-Allow-Methods` is not a list of methods (`" + f.Value + "`)", base + "cors-preflight-fetch"
	case CodeInvalidAllowHeaders:
		return "`Access-Control-Allow-Headers` is not a list of header names (`" + f.Value + "`)", base + "cors-preflight-fetch"
	case CodeMethodNotAllowed:
		return "the method `" + f.Value + "` is neither CORS-safelisted nor allowed by `Access-Control-Allow-Methods`", base + "cors-preflight-fetch"
	case CodeHeaderNotAllowed:
		return "the request header `" + f.Value + "` is not allowed by `Access-Control-Allow-Headers`", base + "cors-preflight-fetch"
	case CodeRedirectCredentials:
		return "the redirect location `" + f.Value + "` includes credentials", base + "http-redirect-fetch"
	case CodeRedirectScheme:
		return "the redirect location `" + f.Value + "` is not an HTTP(S) URL", base + "http-redirect-fetch"
	case CodeRedirectLocation:
		return "the redirect location `" + f.Value + "` does not parse as a URL", base + "http-redirect-fetch"
	case CodeTooManyRedirects:
		return "more than 20 redirects", base + "http-redirect-fetch"
	}
	return f.Value, base + "fetch-method"
}

// networkError is Chromium's net:: error for failures that are not CORS
// errors, or "".
func networkError(c Code) string {
	switch c {
	case CodeRedirectScheme:
		return "net::ERR_UNSAFE_REDIRECT"
	case CodeRedirectLocation:
		return "net::ERR_INVALID_REDIRECT"
	case CodeTooManyRedirects:
		return "net::ERR_TOO_MANY_REDIRECTS"
	}
	return ""
}

// consoleMessage words f as browser b prints it. initialURL is the URL the
// script fetched, origin the page's serialized origin and method the
// request's method.
func consoleMessage(b Browser, f *Failure, initialURL, origin, method string) string {
	if f.Code == CodeTypeError {
		switch b {
		case Chromium:
			return "TypeError: Failed to execute 'fetch' on 'Window': " + f.Value
		case Firefox:
			return "TypeError: Window.fetch: " + f.Value
		}
		return "TypeError: " + f.Value + " (https://fetch.spec.whatwg.org/#dom-request)"
	}
	switch b {
	case Chromium:
		if ne := networkError(f.Code); ne != "" {
			return method + " " + f.URL + " " + ne + " (TypeError: Failed to fetch)"
		}
		var s strings.Builder
		s.WriteString("Access to fetch at '" + f.URL + "' ")
		if f.URL != initialURL {
			s.WriteString("(redirected from '" + initialURL + "') ")
		}
		s.WriteString("from origin '" + origin + "' has been blocked by CORS policy: ")
		s.WriteString(chromiumText(f))
		return s.String()
	case Firefox:
		if networkError(f.Code) != "" {
			return "TypeError: NetworkError when attempting to fetch resource."
		}
		msg := "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at " + f.URL + ". (Reason: " + firefoxReason(f) + ")."
		if f.Status != 0 {
			msg += fmt.Sprintf(" Status code: %d.", f.Status)
		}
		return msg
	}
	text, link := specText(f)
	where := "CORS check"
	if f.Preflight {
		where = "CORS-preflight fetch"
	} else if networkError(f.Code) != "" || f.Code == CodeRedirectCredentials {
		where = "HTTP-redirect fetch"
	}
	return "network error (" + where + "): " + text + " (" + link + ")"
}
