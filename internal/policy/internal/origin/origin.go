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
	if s == "null" {
		return Origin{Null: true}, true
	}
	if len(s) > MaxLen {
		return Origin{}, false
	}
	n := schemeLen(s)
	if n == 0 || !strings.HasPrefix(s[n:], "://") {
		return Origin{}, false
	}
	o := Origin{Scheme: s[:n]}
	rest := s[n+3:]
	var ok bool
	if o.Host, rest, ok = cutHost(rest); !ok {
		return Origin{}, false
	}
	if rest == "" {
		return o, true
	}
	if rest[0] != ':' || !validPort(rest[1:]) {
		return Origin{}, false
	}
	o.Port = rest[1:]
	return o, true
}

// schemeLen returns the length of the scheme at the start of s, or 0 when
// s does not start with a valid scheme.
func schemeLen(s string) int {
	if s == "" || !isAlpha(s[0]) {
		return 0
	}
	i := 1
	for i < len(s) && (isAlpha(s[i]) || isDigit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.') {
		i++
	}
	return i
}

// cutHost splits the host off the start of s and validates it.
func cutHost(s string) (host, rest string, ok bool) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 || !validIPv6Chars(s[1:end]) {
			return "", "", false
		}
		return s[:end+1], s[end+1:], true
	}
	i := 0
	for i < len(s) && s[i] != ':' {
		i++
	}
	if !validRequestHost(s[:i]) {
		return "", "", false
	}
	return s[:i], s[i:], true
}

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

// validRequestHost accepts dot-separated non-empty labels of letters,
// digits, "-" and "_". Browsers allow "_" in host names, so it is accepted
// here (the value can still only be matched by a pattern that allows any
// host); configured patterns stick to DNS letters, digits and "-".
func validRequestHost(s string) bool {
	if s == "" {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 {
				return false
			}
			label = 0
		case isAlpha(c) || isDigit(c) || c == '-' || c == '_':
			label++
		default:
			return false
		}
	}
	return label > 0
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
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
