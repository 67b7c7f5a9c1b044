// Package header parses the two header grammars the CORS engine needs: a
// token (RFC 9110 §5.6.2), which is what a method and a field name are, and
// a comma-separated list of tokens (RFC 9110 §5.6.1), which is what
// Access-Control-Request-Headers carries.
//
// The list parser is built for hostile input on the request path: it never
// allocates, never backtracks and stops as soon as a bound is exceeded, so a
// 16 KiB value of commas and spaces costs a few dozen byte comparisons
// (the shape of rs/cors#170, golang/vulndb#2883).
package header

// Bounds on an Access-Control-Request-Headers value. Browsers send one line
// of lower-case names joined by "," without spaces (Fetch, "CORS-unsafe
// request-header names"); the bounds leave room for proxies that split the
// value over several lines or add a space after each comma, and refuse
// anything much larger than what a browser produces.
const (
	// MaxLines is the number of header lines accepted: intermediaries may
	// split one list into several lines (rs/cors#184).
	MaxLines = 8
	// MaxNames is the number of non-empty elements accepted over all lines;
	// it matches the Gateway API limit of 64 allowHeaders.
	MaxNames = 64
	// MaxEmpty is the number of empty elements (",,", a trailing comma, an
	// empty line) accepted over all lines. RFC 9110 asks recipients to
	// tolerate "a reasonable number" of them.
	MaxEmpty = 16
	// MaxOWS is the longest run of optional whitespace (SP or HTAB) accepted
	// before or after a name, that is on each side of a comma.
	MaxOWS = 1
)

// tchar marks the bytes allowed in a token (RFC 9110 §5.6.2):
// ALPHA / DIGIT / "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" /
// "." / "^" / "_" / "`" / "|" / "~".
var tchar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// tchar8 is tchar as 0 or 1, so that walk can test several bytes with one
// branch.
var tchar8 = func() (t [256]uint8) {
	for c, ok := range tchar {
		if ok {
			t[c] = 1
		}
	}
	return t
}()

// IsTokenByte reports whether c may appear in a token.
func IsTokenByte(c byte) bool { return tchar[c] }

// IsToken reports whether s is a non-empty token: a valid method or header
// field name.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar[s[i]] {
			return false
		}
	}
	return true
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// CheckList validates lines as one comma-separated list of tokens within
// the bounds above and returns the number of names it holds. It never
// allocates. A list made only of empty elements is valid and holds no names.
func CheckList(lines []string) (names int, ok bool) {
	_, names, ok = walk(nil, lines, false)
	return names, ok
}

// AppendList is [CheckList] that also appends every name, in order and as
// written, to dst. On failure it returns dst unchanged.
func AppendList(dst []string, lines []string) ([]string, bool) {
	out, _, ok := walk(dst, lines, true)
	if !ok {
		return dst, false
	}
	return out, true
}

// walk is the single implementation behind CheckList and AppendList: one
// loop, no call per element (a hostile list is all elements). Each element
// is at most MaxOWS whitespace bytes, an optional token, at most MaxOWS
// whitespace bytes, then a comma or the end of the line; each pass of the
// inner loop moves past at least one comma or ends the line, so the work
// is linear in the input and, thanks to the caps, usually far less.
//
// The loop is written for MaxOWS == 1 (checked at compile time below): a
// whitespace byte is skipped on each side of a name, and a second one
// then fails the test for the comma. An empty element skips none after
// the first, which stopped at a byte that is not whitespace.
func walk(dst, lines []string, collect bool) ([]string, int, bool) {
	if len(lines) > MaxLines {
		return dst, 0, false
	}
	names, empty := 0, 0
	for _, s := range lines {
		i := 0
		for {
			if i < len(s) && isOWS(s[i]) {
				i++
			}
			start := i
			if i < len(s) && tchar[s[i]] {
				i += 1 + tokenLen(s[i+1:])
			}
			if i == start {
				empty++
				if empty > MaxEmpty {
					return dst, 0, false
				}
			} else {
				names++
				if names > MaxNames {
					return dst, 0, false
				}
				if collect {
					dst = append(dst, s[start:i])
				}
				if i < len(s) && isOWS(s[i]) {
					i++
				}
			}
			if i == len(s) {
				break
			}
			if s[i] != ',' {
				return dst, 0, false
			}
			i++
		}
	}
	return dst, names, true
}

// tokenLen returns the number of token bytes s starts with: four bytes per
// test while they are all token bytes (a browser sends long names), then
// one at a time.
func tokenLen(s string) int {
	i := 0
	for ; i+4 <= len(s); i += 4 {
		b := s[i : i+4]
		if tchar8[b[0]]&tchar8[b[1]]&tchar8[b[2]]&tchar8[b[3]] == 0 {
			break
		}
	}
	for i < len(s) && tchar[s[i]] {
		i++
	}
	return i
}

// walk skips at most one whitespace byte on each side of a name.
const _ = uint(1 - MaxOWS)
const _ = uint(MaxOWS - 1)
