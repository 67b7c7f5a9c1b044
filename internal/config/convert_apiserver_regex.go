package config

import (
	"net/url"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
)

// Some systems match an origin regex anywhere inside the origin
// (kube-apiserver's regexp.MatchString, pipy's RegExp.test); corsgate
// always matches the whole origin. lookalikeOrigin finds a concrete origin
// that shows the difference, for the warning that tells the user what the
// old system let in.

// maxSamples bounds the strings generated from one regex.
const maxSamples = 64

// lookalikeOrigin returns a syntactically valid origin that unanchored
// matches somewhere but anchored does not match as a whole, or "" when
// none of the probes finds one (or an expression does not compile).
// anchored is the expression corsgate uses; it is wrapped in ^(?:...)$.
func lookalikeOrigin(unanchored, anchored string) string {
	loose, err := regexp.Compile(unanchored)
	if err != nil {
		return ""
	}
	whole, err := regexp.Compile("^(?:" + anchored + ")$")
	if err != nil {
		return ""
	}
	re, err := syntax.Parse(unanchored, syntax.Perl)
	if err != nil {
		return ""
	}
	probes := []struct{ prefix, suffix string }{
		{"", ".evil.example"}, {"https://", ".evil.example"}, {"http://", ".evil.example"}, {"https:", ".evil.example"},
		{"https://evil.", ""}, {"https://evil", ""}, {"", ":8443"},
		{"https://", ""}, {"http://", ""}, {"https:", ""}, {"", ""},
	}
	samples := regexSamples(re.Simplify())
	for _, p := range probes {
		for _, s := range samples {
			c := p.prefix + s + p.suffix
			if validOrigin(c) && loose.MatchString(c) && !whole.MatchString(c) {
				return c
			}
		}
	}
	return ""
}

// regexSamples returns up to maxSamples strings that re matches, choosing
// readable characters (lowercase letters, digits, '.').
func regexSamples(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		s := string(re.Rune)
		if re.Flags&syntax.FoldCase != 0 {
			s = strings.ToLower(s)
		}
		return []string{s}
	case syntax.OpCharClass:
		return []string{string(classRune(re.Rune))}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return []string{".", "x"}
	case syntax.OpCapture:
		return regexSamples(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		return capSamples(append([]string{""}, regexSamples(re.Sub[0])...))
	case syntax.OpPlus:
		return regexSamples(re.Sub[0])
	case syntax.OpRepeat:
		out := []string{""}
		for i := 0; i < re.Min && i < 8; i++ {
			out = concatSamples(out, regexSamples(re.Sub[0]))
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			out = concatSamples(out, regexSamples(sub))
		}
		return out
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			out = append(out, regexSamples(sub)...)
		}
		return capSamples(out)
	}
	return []string{""} // empty match, anchors, word boundaries
}

func concatSamples(a, b []string) []string {
	var out []string
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
			if len(out) == maxSamples {
				return out
			}
		}
	}
	return out
}

func capSamples(s []string) []string {
	if len(s) > maxSamples {
		return s[:maxSamples]
	}
	return s
}

// classRune picks a readable rune from a character class (pairs of
// inclusive ranges).
func classRune(ranges []rune) rune {
	for _, want := range "aex0.-" {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= want && want <= ranges[i+1] {
				return want
			}
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1] && r-ranges[i] < 256; r++ {
			if unicode.IsPrint(r) {
				return r
			}
		}
	}
	if len(ranges) > 0 {
		return ranges[0]
	}
	return 'a'
}

// validOrigin reports whether s is a serialized http(s) origin a browser
// could send: lowercase scheme and host, optional port, nothing else.
func validOrigin(s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.Contains(s, "?") || strings.Contains(s, "#") {
		return false
	}
	if s != u.Scheme+"://"+u.Host {
		return false
	}
	host, port := u.Hostname(), u.Port()
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return false
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return false
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
