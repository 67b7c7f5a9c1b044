package h1

import (
	"bytes"
	"net/http"
	"net/textproto"
	"net/url"

	"golang.org/x/net/http/httpguts"
)

// parseResult says what parseHead made of the bytes read so far.
type parseResult int

const (
	// needMore: no complete head yet, and nothing seen so far rules the
	// fast path out.
	needMore parseResult = iota
	// parsed: req holds the request; the head was n bytes long.
	parsed
	// handOff: the bytes are not in the strict subset this package serves
	// (or not HTTP/1.1 at all); net/http must answer this connection,
	// from its first unread byte on.
	handOff
)

// parseHead parses the request head at the start of buf into req, h and
// u. It resets h and u; of req it sets the fields a request without a
// body has, so the caller resets the rest (conn keeps a template with the
// context). It accepts only a strict subset of HTTP/1.1:
// an origin-form target, HTTP/1.1, CRLF line ends, token header names,
// visible-ASCII header values, exactly one valid Host, and no header that
// would give the request a body or change the connection (Content-Length,
// Transfer-Encoding, Expect, Upgrade, a Connection other than close or
// keep-alive, Pragma). Everything it accepts, http.ReadRequest parses to
// the same request and net/http's server would serve (FuzzParseHead
// checks both); everything else is handed off, so hostile or unusual
// input meets net/http's own parser and limits.
//
// On parsed, the request's strings are sliced from one copy of the head,
// so nothing in req refers to buf.
func parseHead(buf []byte, req *http.Request, h http.Header, u *url.URL) (n int, res parseResult) {
	if len(buf) == 0 {
		return 0, needMore
	}
	if !isUpper(buf[0]) {
		return 0, handOff // also TLS records, HTTP/2's preface is "PRI"
	}
	end := bytes.Index(buf, crlfcrlf)
	if end < 0 {
		// A bare LF anywhere (or a CR not before LF) would be read
		// differently by net/http: leave it to net/http at once.
		if !crlfOnly(buf) {
			return 0, handOff
		}
		return 0, needMore
	}
	end += len(crlfcrlf)
	if !crlfOnly(buf[:end]) {
		return 0, handOff
	}
	// One allocation for every string of the request.
	head := string(buf[:end])

	line, rest := cutLine(head)
	method, line, ok := cut(line, ' ')
	if !ok || !validMethod(method) {
		return 0, handOff
	}
	target, proto, ok := cut(line, ' ')
	if !ok || proto != "HTTP/1.1" || len(target) == 0 || target[0] != '/' {
		return 0, handOff
	}

	*u = url.URL{}
	if !fastTarget(target, u) {
		pu, err := url.ParseRequestURI(target)
		if err != nil {
			return 0, handOff
		}
		*u = *pu
	}

	clear(h)
	// Count the header lines so their values share one slice.
	lines := 0
	for i := 0; i+1 < len(rest); i++ {
		if rest[i] == '\n' {
			lines++
		}
	}
	vals := make([]string, 0, lines)
	host, hosts := "", 0
	closeConn := false
	for {
		var l string
		l, rest = cutLine(rest)
		if l == "" {
			break
		}
		name, value, ok := cut(l, ':')
		if !ok || !validName(name) {
			return 0, handOff
		}
		value = trimOWS(value)
		if !validValue(value) {
			return 0, handOff
		}
		key := name
		if !canonical(name) {
			key = textproto.CanonicalMIMEHeaderKey(name)
		}
		switch key {
		case "Host":
			host, hosts = value, hosts+1
			continue
		case "Content-Length", "Transfer-Encoding", "Expect", "Upgrade", "Pragma", "Http2-Settings":
			return 0, handOff
		case "Connection":
			c, ok := connectionClose(value)
			if !ok {
				return 0, handOff
			}
			closeConn = closeConn || c
		}
		vals = append(vals, value)
		vv := h[key]
		if vv == nil {
			h[key] = vals[len(vals)-1 : len(vals) : len(vals)]
		} else {
			h[key] = append(vv, value)
		}
	}
	if hosts != 1 || host == "" || !httpguts.ValidHostHeader(host) {
		return 0, handOff
	}

	// Field by field: req may carry a context set by its owner.
	req.Method = method
	req.URL = u
	req.Proto = proto
	req.ProtoMajor, req.ProtoMinor = 1, 1
	req.Header = h
	req.Body = http.NoBody
	req.Host = host
	req.Close = closeConn
	req.RequestURI = target
	return end, parsed
}

var crlfcrlf = []byte("\r\n\r\n")

// crlfOnly reports whether every CR in b is followed by LF and every LF
// preceded by CR (a CR at the very end may still get its LF).
func crlfOnly(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '\r':
			if i+1 < len(b) && b[i+1] != '\n' {
				return false
			}
		case '\n':
			if i == 0 || b[i-1] != '\r' {
				return false
			}
		}
	}
	return true
}

// cutLine splits s at its first CRLF.
func cutLine(s string) (line, rest string) {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\r' {
			return s[:i], s[i+2:]
		}
	}
	return s, ""
}

func cut(s string, sep byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// validMethod accepts upper-case letters only (every registered method),
// and not CONNECT, whose target is an authority.
func validMethod(m string) bool {
	if m == "" || len(m) > 20 || m == "CONNECT" {
		return false
	}
	for i := 0; i < len(m); i++ {
		if !isUpper(m[i]) {
			return false
		}
	}
	return true
}

// pathSafe marks the bytes url.URL keeps in Path without escaping
// (RawPath stays empty): letters, digits, "-._~" and "$&+,/:;=@".
// querySafe marks the visible ASCII bytes; the query is kept raw.
var pathSafe, querySafe [256]bool

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		pathSafe[c] = 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
			bytes.IndexByte([]byte("-._~$&+,/:;=@"), b) >= 0
		querySafe[c] = 0x21 <= b && b <= 0x7e
	}
}

// fastTarget fills u for an origin-form target made only of bytes that
// url.ParseRequestURI would keep as they are, and reports whether it did.
func fastTarget(t string, u *url.URL) bool {
	q := -1
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '?' {
			q = i
			break
		}
		if !pathSafe[c] {
			return false
		}
	}
	if q < 0 {
		u.Path = t
		return true
	}
	query := t[q+1:]
	for i := 0; i < len(query); i++ {
		if !querySafe[query[i]] || query[i] == '?' {
			return false // a second '?' is left to ParseRequestURI
		}
	}
	u.Path = t[:q]
	if query == "" {
		u.ForceQuery = true
	} else {
		u.RawQuery = query
	}
	return true
}

// validName reports whether s is a token (RFC 9110 tchar).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !httpguts.IsTokenRune(rune(s[i])) {
			return false
		}
	}
	return true
}

// validValue accepts visible ASCII, SP and HTAB.
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 0x20 && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// canonical reports whether the token s is already in
// textproto.CanonicalMIMEHeaderKey's spelling.
func canonical(s string) bool {
	upper := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return false
		}
		upper = c == '-'
	}
	return true
}

// connectionClose reads a Connection value made of "close" and
// "keep-alive" tokens; any other token (Upgrade, a hop-by-hop header
// name) leaves the request to net/http.
func connectionClose(v string) (isClose, ok bool) {
	for v != "" {
		var tok string
		tok, v, _ = cut(v, ',')
		tok = trimOWS(tok)
		switch {
		case tok == "":
		case asciiEqualFold(tok, "close"):
			isClose = true
		case asciiEqualFold(tok, "keep-alive"):
		default:
			return false, false
		}
	}
	return isClose, true
}

func asciiEqualFold(s, t string) bool {
	if len(s) != len(t) {
		return false
	}
	for i := 0; i < len(s); i++ {
		a, b := s[i], t[i]
		if 'A' <= a && a <= 'Z' {
			a += 'a' - 'A'
		}
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		if a != b {
			return false
		}
	}
	return true
}
