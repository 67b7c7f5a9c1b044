// Package origin parses the Origin request header, parses the origin
// patterns a CORS policy allows, and matches one against the other.
//
// The request side never allocates: [Parse] returns sub-strings of its
// input, and [Matcher.Match] builds its lookup keys in a stack buffer.
// Matching is exact on a normalised key (lower-case scheme and host, the
// default port made explicit), and wildcard patterns are label-aware:
// "https://*.example.com" matches "https://a.example.com" but never
// "https://badexample.com" nor "https://a.example.com.evil.net".
//
// An origin is serialised by browsers as scheme "://" host [ ":" port ]
// (RFC 6454 §6.2; Fetch, "byte-serializing a request origin"), or as
// "null" for an opaque origin.
package origin

import "strings"

// MaxLen bounds the length of an Origin header value this package accepts.
// DNS names are at most 253 bytes; the URL standard does not bound hosts,
// so the limit is generous, but it is what lets [Matcher.Match] build its
// keys on the stack.
const MaxLen = 1024

// Origin is a syntactically valid Origin header value, split into its
// parts. Every field is a sub-string of the parsed value, as written.
type Origin struct {
	// Null is set for the opaque origin "null"; the other fields are empty.
	Null bool
	// Scheme is the scheme, without "://".
	Scheme string
	// Host is a DNS-style name, or an IPv6 literal with its brackets.
	Host string
	// Port holds the port digits, or "" when the value has no port.
	Port string

	// lower is set by Parse when Scheme and Host hold no upper-case
	// letter (see canonical).
	lower bool
}

// String re-serialises o. For any o returned by [Parse] it equals the
// parsed value byte for byte.
func (o Origin) String() string {
	if o.Null {
		return "null"
	}
	s := o.Scheme + "://" + o.Host
	if o.Port != "" {
		s += ":" + o.Port
	}
	return s
}

// Parse parses an Origin header value. It accepts "null" and values of the
// form scheme "://" host [ ":" port ] where
//
//   - scheme starts with a letter and continues with letters, digits, "+",
//     "-" or "." (RFC 3986 §3.1), in any case;
//   - host is dot-separated non-empty labels of letters, digits, "-" and
//     "_", or an IPv6 literal in brackets (hex digits, ":" and "." only);
//   - port is 1 to 65535 written without a leading zero.
//
// Anything else is refused: no path, no trailing slash, no userinfo, no
// query, no whitespace, control bytes, commas or non-ASCII bytes, so a
// value accepted here is always safe to echo in a response header. Parse
// never allocates.
func Parse(s string) (Origin, bool) {
	var o Origin
	if !parse(s, &o) {
		return Origin{}, false
	}
	return o, true
}

// parse is Parse writing into *o, which must be the zero Origin; on
// failure *o holds garbage. The request path ([Matcher.Check]) keeps o on
// its stack and passes it by pointer, instead of copying the eight-word
// struct through returns and calls.
func parse(s string, o *Origin) bool {
	if s == "null" {
		o.Null = true
		return true
	}
	if len(s) > MaxLen {
		return false
	}
	// The schemes browsers send an allowed origin with, in the spelling
	// they use, skip the scan; schemeLen would find the same.
	var n int
	var upper bool
	switch {
	case strings.HasPrefix(s, "https://"):
		n = len("https")
	case strings.HasPrefix(s, "http://"):
		n = len("http")
	default:
		n, upper = schemeLen(s)
		if n == 0 || !strings.HasPrefix(s[n:], "://") {
			return false
		}
	}
	o.Scheme = s[:n]
	host, rest, hostUpper, ok := cutHost(s[n+3:])
	if !ok {
		return false
	}
	o.Host = host
	o.lower = !upper && !hostUpper
	if rest == "" {
		return true
	}
	if rest[0] != ':' || !validPort(rest[1:]) {
		return false
	}
	o.Port = rest[1:]
	return true
}

// schemeLen returns the length of the scheme at the start of s, or 0 when
// s does not start with a valid scheme, and whether it has an upper-case
// letter.
func schemeLen(s string) (n int, upper bool) {
	if s == "" || !isAlpha(s[0]) {
		return 0, false
	}
	i := 0
	var seen uint8
	for i < len(s) && schemeByte[s[i]] != hostOther {
		seen |= schemeByte[s[i]]
		i++
	}
	return i, seen&hostUpper != 0
}

// schemeByte classifies the bytes of a scheme after the first: letters,
// digits, "+", "-" and "." (RFC 3986 §3.1), with hostByte's classes.
var schemeByte = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case isUpper(b):
			t[c] = hostUpper
		case isAlpha(b) || isDigit(b) || b == '+' || b == '-' || b == '.':
			t[c] = hostLower
		}
	}
	return t
}()

// cutHost splits the host off the start of s and validates it; upper
// reports an upper-case letter in it.
func cutHost(s string) (host, rest string, upper, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || !validIPv6Chars(s[1:end]) {
			return "", "", false, false
		}
		return s[:end+1], s[end+1:], hasUpper(s[:end]), true
	}
	// One pass: dot-separated non-empty labels of host bytes, up to the
	// port or the end.
	label, i := 0, 0
	var seen uint8 // the classes seen, or-ed: no branch per byte for case
	for ; i < len(s); i++ {
		c := s[i]
		if k := hostByte[c]; k != hostOther {
			seen |= k
			label++
			continue
		}
		if c == '.' && label > 0 {
			label = 0
			continue
		}
		if c == ':' {
			break
		}
		return "", "", false, false
	}
	if label == 0 {
		return "", "", false, false
	}
	return s[:i], s[i:], seen&hostUpper != 0, true
}

// Classes of hostByte, one bit each.
const (
	hostOther = 0 // not allowed in a label
	hostLower = 1 // lower-case letter, digit, "-" or "_"
	hostUpper = 2 // upper-case letter
)

// hostByte classifies the bytes allowed in a label of a request host:
// letters, digits, "-" and "_". Browsers allow "_" in host names, so it is
// accepted here (the value can still only be matched by a pattern that
// allows any host); configured patterns stick to DNS letters, digits and
// "-".
var hostByte = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case isUpper(b):
			t[c] = hostUpper
		case isAlpha(b) || isDigit(b) || b == '-' || b == '_':
			t[c] = hostLower
		}
	}
	return t
}()

// validIPv6Chars is a lexical check only: the request side never needs the
// address, it compares the literal with the configured one, which is
// stored in the canonical form browsers send (RFC 5952-style, lower case).
func validIPv6Chars(s string) bool {
	if len(s) < 2 || len(s) > 45 || strings.IndexByte(s, ':') < 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) && s[i] != ':' && s[i] != '.' {
			return false
		}
	}
	return true
}

// validPort accepts 1 to 65535 without a leading zero, as browsers write it.
func validPort(s string) bool {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n <= 65535
}

// DefaultPort returns the default port of an http or https scheme (in any
// case), or "" for other schemes.
func DefaultPort(scheme string) string {
	switch {
	case strings.EqualFold(scheme, "https"):
		return "443"
	case strings.EqualFold(scheme, "http"):
		return "80"
	}
	return ""
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
