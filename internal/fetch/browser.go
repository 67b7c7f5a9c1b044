package fetch

import "fmt"

// Browser selects whose behaviour a [Session] reproduces where browsers and
// the Fetch standard differ. The zero value is [Chromium].
type Browser uint8

const (
	// Chromium (Chrome, Edge, Opera): caps Access-Control-Max-Age at 7200 s,
	// treats a negative max-age as "do not cache", and still lets "*" in
	// Access-Control-Allow-Headers cover Authorization with a deprecation
	// warning (feature CorsNonWildcardRequestHeadersSupport is off by default).
	Chromium Browser = iota
	// Firefox: caps Access-Control-Max-Age at 86400 s; Authorization must be
	// listed explicitly, as the standard says.
	Firefox
	// FetchSpec is the Fetch standard as written: no max-age cap, "*" never
	// covers Authorization, and failures are reported in the standard's terms.
	FetchSpec
)

var browserNames = [...]string{Chromium: "chromium", Firefox: "firefox", FetchSpec: "fetch-spec"}

// String returns the profile's flag value: chromium, firefox or fetch-spec.
func (b Browser) String() string {
	if int(b) < len(browserNames) {
		return browserNames[b]
	}
	return fmt.Sprintf("Browser(%d)", b)
}

// title names the profile in a sentence.
func (b Browser) title() string {
	switch b {
	case Chromium:
		return "Chromium"
	case Firefox:
		return "Firefox"
	}
	return "the Fetch standard"
}

// ParseBrowser parses a profile name as [Browser.String] writes it.
func ParseBrowser(s string) (Browser, error) {
	for i, n := range browserNames {
		if s == n {
			return Browser(i), nil
		}
	}
	return 0, fmt.Errorf("browser %q: use chromium, firefox or fetch-spec", s)
}

// MarshalText implements encoding.TextMarshaler.
func (b Browser) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Browser) UnmarshalText(text []byte) error {
	v, err := ParseBrowser(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MaxAgeCap returns the longest preflight-cache lifetime, in seconds, that
// the browser honours, and false when it imposes none (the standard lets a
// user agent impose a limit but sets none).
func (b Browser) MaxAgeCap() (int64, bool) {
	switch b {
	case Chromium:
		return 7200, true // services/network/cors/preflight_result.cc, since Chrome 76
	case Firefox:
		return 86400, true // MDN, Access-Control-Max-Age
	}
	return 0, false
}

// wildcardCoversAuthorization reports whether "*" in
// Access-Control-Allow-Headers still admits Authorization.
func (b Browser) wildcardCoversAuthorization() bool { return b == Chromium }

// Credentials is the request's credentials mode, as fetch()'s
// `credentials` option. The zero value is [SameOrigin], fetch()'s default.
type Credentials uint8

const (
	// SameOrigin sends cookies only to the page's own origin; for a
	// cross-origin request it behaves like [Omit] on the wire, and the CORS
	// check accepts "*".
	SameOrigin Credentials = iota
	// Omit never sends cookies.
	Omit
	// Include sends cookies cross-origin too; the response must then echo
	// the exact origin and carry Access-Control-Allow-Credentials: true.
	Include
)

var credentialsNames = [...]string{SameOrigin: "same-origin", Omit: "omit", Include: "include"}

// String returns the mode as fetch() spells it.
func (c Credentials) String() string {
	if int(c) < len(credentialsNames) {
		return credentialsNames[c]
	}
	return fmt.Sprintf("Credentials(%d)", c)
}

// ParseCredentials parses omit, same-origin or include.
func ParseCredentials(s string) (Credentials, error) {
	for i, n := range credentialsNames {
		if s == n {
			return Credentials(i), nil
		}
	}
	return 0, fmt.Errorf("credentials %q: use omit, same-origin or include", s)
}

// MarshalText implements encoding.TextMarshaler.
func (c Credentials) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Credentials) UnmarshalText(text []byte) error {
	v, err := ParseCredentials(string(text))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
