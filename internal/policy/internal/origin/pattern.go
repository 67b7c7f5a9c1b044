package origin

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Kind says what a [Pattern] matches.
type Kind uint8

const (
	// Exact matches one origin: "https://example.com:8443".
	Exact Kind = iota
	// Subdomains matches hosts with one or more labels in front of a domain:
	// "https://*.example.com" matches "https://a.b.example.com" but not
	// "https://example.com". Scheme and port must match too.
	Subdomains
	// AnyHost matches every host with the given scheme and port:
	// "https://*" or "http://*:8080".
	AnyHost
	// Any is "*": every origin, including "null" and non-http schemes.
	Any
)

// Pattern is a parsed, normalised allowed-origin entry. Scheme and Host are
// lower case; Port is empty when it is the scheme's default.
type Pattern struct {
	Kind   Kind
	Scheme string // "http" or "https"; empty for Any
	// Host is the host of an Exact pattern (an IPv6 literal keeps its
	// brackets), the domain after "*." of a Subdomains pattern, and empty
	// otherwise.
	Host string
	Port string // canonical port digits; "" for the default port

	// DroppedPath is the path (or lone "/") written after the host and
	// dropped by normalisation; an origin never has one.
	DroppedPath string
	// Rewritten is set when the case, the port or the IPv6 spelling was
	// normalised, so the canonical form differs from what was written.
	Rewritten bool
}

// String returns the canonical spelling, e.g. "https://*.example.com:8443".
func (p Pattern) String() string {
	if p.Kind == Any {
		return "*"
	}
	s := p.Scheme + "://"
	switch p.Kind {
	case Subdomains:
		s += "*." + p.Host
	case AnyHost:
		s += "*"
	default:
		s += p.Host
	}
	if p.Port != "" {
		s += ":" + p.Port
	}
	return s
}

// key is the matcher's lookup key. The host comes first so that the key of
// "https://*.example.com" (".example.com|https|443") is a suffix of the key
// of every origin it matches ("a.example.com|https|443"), and the key of
// "https://*" ("|https|443") a suffix of every https origin on port 443.
func (p Pattern) key() string {
	port := p.Port
	if port == "" {
		port = DefaultPort(p.Scheme)
	}
	host := p.Host
	switch p.Kind {
	case Subdomains:
		host = "." + host
	case AnyHost:
		host = ""
	}
	return host + "|" + p.Scheme + "|" + port
}

// Error is a reason a pattern is refused and how to fix it. Both start in
// lower case so callers can embed them in longer messages.
type Error struct {
	Reason string
	Fix    string
}

func (e *Error) Error() string { return e.Reason + "; " + e.Fix }

// FixForm is the generic advice for a malformed origin.
const FixForm = `write it as scheme://host[:port], e.g. "https://example.com"`

const (
	fixWildcard = `write "*." in front of a domain to allow its subdomains ("https://*.example.com"), ` +
		`or "*" as the whole host to allow any host ("https://*")`
	reasonNull = `"null" is the origin of sandboxed iframes, local files and some redirects; ` +
		`any web site can send it, so allowing it is unsafe`
)

func fail(reason, fix string) (Pattern, error) {
	return Pattern{}, &Error{Reason: reason, Fix: fix}
}

// ParsePattern parses one allowOrigins entry. The accepted forms follow the
// Gateway API CORSOrigin type: "*", "http(s)://host[:port]",
// "http(s)://*.domain[:port]" and "http(s)://*[:port]", plus IPv6 literals
// ("http://[::1]:8080"). Scheme and host are case-insensitive and the
// default port may be written; a trailing slash or path is dropped. The
// caller reports DroppedPath and Rewritten as warnings. Errors are *Error.
func ParsePattern(s string) (Pattern, error) {
	switch {
	case s == "*":
		return Pattern{Kind: Any}, nil
	case s == "":
		return fail("the origin is empty", FixForm)
	case strings.EqualFold(s, "null"):
		return fail(reasonNull, `remove it; only "*" matches the null origin`)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return fail(fmt.Sprintf("contains the byte %q; an origin is printable ASCII without spaces", s[i]),
				FixForm+`; write international domain names in punycode ("xn--...")`)
		}
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return fail("has no scheme", FixForm)
	}
	p := Pattern{Scheme: strings.ToLower(scheme)}
	if p.Scheme != "http" && p.Scheme != "https" {
		return fail(fmt.Sprintf("scheme %q is not supported: only http and https origins can be listed", scheme),
			`write an http or https origin, e.g. "https://example.com"; other schemes (such as chrome-extension) are matched only by "*"`)
	}
	p.Rewritten = p.Scheme != scheme
	if strings.ContainsAny(rest, "?#") {
		return fail("has a query or fragment; an origin is only scheme://host[:port]", FixForm)
	}
	authority, path, hasPath := strings.Cut(rest, "/")
	if hasPath {
		p.DroppedPath = "/" + path
	}
	if strings.Contains(authority, "@") {
		return fail("has user information (\"user@\"); an origin never does", FixForm)
	}
	host, port, hasPort, err := splitAuthority(authority)
	if err != nil {
		return Pattern{}, err
	}
	if hasPort {
		if err := p.setPort(port); err != nil {
			return Pattern{}, err
		}
	}
	if err := p.setHost(host); err != nil {
		return Pattern{}, err
	}
	return p, nil
}

// splitAuthority separates host and port; an IPv6 literal keeps its
// brackets.
func splitAuthority(a string) (host, port string, hasPort bool, err error) {
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			_, err = fail("has an IPv6 address without its closing \"]\"", `write it as "http://[::1]:8080"`)
			return "", "", false, err
		}
		host, rest := a[:end+1], a[end+1:]
		if rest == "" {
			return host, "", false, nil
		}
		if rest[0] != ':' {
			_, err = fail(fmt.Sprintf("has %q after the IPv6 address", rest), `write it as "http://[::1]:8080"`)
			return "", "", false, err
		}
		return host, rest[1:], true, nil
	}
	host, port, hasPort = strings.Cut(a, ":")
	return host, port, hasPort, nil
}

// setPort validates the port and stores its canonical form; the scheme's
// default port is dropped ("https://x:443" is "https://x").
func (p *Pattern) setPort(port string) error {
	if port == "" {
		_, err := fail("the port is empty", `remove the ":" or write a port number, e.g. "https://example.com:8443"`)
		return err
	}
	for i := 0; i < len(port); i++ {
		if !isDigit(port[i]) {
			_, err := fail(fmt.Sprintf("port %q is not a number", port), FixForm)
			return err
		}
	}
	n, err := strconv.Atoi(port)
	if err == nil && len(port) > 1 && port[0] == '0' && n >= 1 && n <= 65535 {
		// Browsers never write a leading zero, so as written it would
		// never equal an Origin header; say so rather than guess.
		_, err := fail(fmt.Sprintf("port %q has a leading zero, which an Origin header never has", port),
			fmt.Sprintf("write the port as %d", n))
		return err
	}
	if err != nil || n < 1 || n > 65535 {
		_, err := fail(fmt.Sprintf("port %q is out of range: ports run from 1 to 65535", port), FixForm)
		return err
	}
	canon := strconv.Itoa(n)
	if canon == DefaultPort(p.Scheme) {
		canon = ""
	}
	p.Port = canon
	if canon != port {
		p.Rewritten = true
	}
	return nil
}

// setHost classifies the host as a wildcard, an IPv6 literal or a name and
// stores its canonical form.
func (p *Pattern) setHost(host string) error {
	switch {
	case host == "*":
		p.Kind = AnyHost
		return nil
	case strings.HasPrefix(host, "*."):
		p.Kind = Subdomains
		host = host[2:]
		if strings.Contains(host, "*") {
			_, err := fail("has a second wildcard; only the leftmost label can be \"*\"", fixWildcard)
			return err
		}
	case strings.HasPrefix(host, "*"):
		_, err := fail(fmt.Sprintf("host %q: the wildcard must be followed by a dot, because \"*\" stands for whole labels", host), fixWildcard)
		return err
	case strings.Contains(host, "*"):
		_, err := fail(fmt.Sprintf("host %q: a wildcard is allowed only as the leftmost label (\"*.\") or as the whole host", host), fixWildcard)
		return err
	case strings.HasPrefix(host, "["):
		return p.setIPv6(host)
	}
	if reason := checkHostName(host); reason != "" {
		_, err := fail(reason, FixForm)
		return err
	}
	p.Host = strings.ToLower(host)
	if p.Host != host {
		p.Rewritten = true
	}
	return nil
}

// checkHostName validates a DNS name: dot-separated labels of letters,
// digits and "-", each at most 63 bytes, at most 253 in all. It returns
// the reason the name is invalid, or "".
func checkHostName(h string) string {
	if h == "" {
		return "the host is empty"
	}
	if len(h) > 253 {
		return fmt.Sprintf("host %q is longer than 253 bytes", h)
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" {
			return fmt.Sprintf("host %q has an empty label (a leading, trailing or doubled dot)", h)
		}
		if len(label) > 63 {
			return fmt.Sprintf("host %q has a label longer than 63 bytes", h)
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !isAlpha(c) && !isDigit(c) && c != '-' {
				return fmt.Sprintf("host %q contains %q; host names use letters, digits, \"-\" and dots", h, c)
			}
		}
	}
	return ""
}

// setIPv6 accepts a bracketed IPv6 literal without zone and stores it the
// way browsers serialise it (URL standard, "IPv6 serializer").
func (p *Pattern) setIPv6(host string) error {
	a, err := netip.ParseAddr(host[1 : len(host)-1])
	if err != nil || !a.Is6() || a.Zone() != "" {
		_, err := fail(fmt.Sprintf("host %q is not a valid IPv6 address", host), `write it as "http://[::1]:8080"`)
		return err
	}
	p.Host = "[" + serializeIPv6(a) + "]"
	if p.Host != host {
		p.Rewritten = true
	}
	return nil
}

// serializeIPv6 implements the URL standard's IPv6 serializer: lower-case
// hex pieces without leading zeros, the first longest run of two or more
// zero pieces compressed to "::", and no dotted IPv4 tail (which is where
// it differs from netip.Addr.String for "::ffff:1.2.3.4").
func serializeIPv6(a netip.Addr) string {
	b := a.As16()
	var pieces [8]uint16
	for i := range pieces {
		pieces[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	compress, best := -1, 1
	for i := 0; i < 8; {
		j := i
		for j < 8 && pieces[j] == 0 {
			j++
		}
		if j-i > best {
			compress, best = i, j-i
		}
		if j == i {
			j++
		}
		i = j
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if i == compress {
			if i == 0 {
				sb.WriteString("::")
			} else {
				sb.WriteString(":")
			}
			i += best - 1
			continue
		}
		sb.WriteString(strconv.FormatUint(uint64(pieces[i]), 16))
		if i != 7 {
			sb.WriteString(":")
		}
	}
	return sb.String()
}
