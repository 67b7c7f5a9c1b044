package origin

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
)

// MaxRegexLen bounds an origin regular expression (RE2 runs in time linear
// in the input, but a huge program still costs memory per policy).
const MaxRegexLen = 1024

// Exprs matches the serialised Origin header value against literal prefixes
// and regular expressions, the compatibility forms of Istio's and FSM's
// StringMatch. It is used only after the label-aware [Matcher] missed:
// prefixes cost one byte comparison each, and regexes run a precompiled
// RE2 program (never compiled per request).
//
// Both compare the request's own bytes, case-sensitively, as their sources
// do; browsers serialise scheme and host in lower case. Neither ever
// matches the opaque origin "null" (only "*" does).
type Exprs struct {
	prefixes []string
	regexes  []*regexp.Regexp
}

// NewExprs builds an Exprs. The regexes must come from [CompileRegex].
func NewExprs(prefixes []string, regexes []*regexp.Regexp) *Exprs {
	if len(prefixes) == 0 && len(regexes) == 0 {
		return nil
	}
	return &Exprs{prefixes: prefixes, regexes: regexes}
}

// Match reports whether raw, a value [Parse] accepted, is admitted. A nil
// Exprs matches nothing.
func (e *Exprs) Match(raw string) bool {
	if e == nil || raw == "null" {
		return false
	}
	for _, p := range e.prefixes {
		if strings.HasPrefix(raw, p) {
			return true
		}
	}
	for _, re := range e.regexes {
		if re.MatchString(raw) {
			return true
		}
	}
	return false
}

// CheckPrefix validates a literal origin prefix. Any non-empty printable
// ASCII text without spaces or commas is accepted, for compatibility.
func CheckPrefix(p string) error {
	if p == "" {
		return &Error{Reason: "the prefix is empty, so it would admit every origin",
			Fix: `write the start of the origin, e.g. "https://app.example.com", or use "*"`}
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == ',' {
			return &Error{Reason: fmt.Sprintf("contains the byte %q, which never occurs in an Origin header", c),
				Fix: "remove it; write international domain names in punycode"}
		}
	}
	return nil
}

// CompileRegex compiles an origin regular expression, anchored to the whole
// origin: "^(?:" + expr + ")$". Errors are *Error.
func CompileRegex(expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, &Error{Reason: "the regular expression is empty",
			Fix: `write an RE2 expression for the whole origin, e.g. "https://[a-z]+\\.example\\.com"`}
	}
	if len(expr) > MaxRegexLen {
		return nil, &Error{Reason: fmt.Sprintf("the regular expression is longer than %d bytes", MaxRegexLen),
			Fix: "shorten it, or list the origins"}
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		return nil, &Error{Reason: "is not a valid RE2 regular expression: " + strings.TrimPrefix(err.Error(), "error parsing regexp: "),
			Fix: "fix the syntax; RE2 has no lookaround or backreferences (https://github.com/google/re2/wiki/Syntax)"}
	}
	return re, nil
}

// probeHosts stand for web sites anyone can register. An expression that
// admits one of them on http or https admits arbitrary hosts.
var probeHosts = [...]string{"evil.example", "evil.com", "evil.net", "corsgate-probe.org"}

// lookalikeDomain is appended to build a concrete look-alike origin.
const lookalikeDomain = "evil.net"

// Risk is what an origin expression lets in beyond what it seems to say.
type Risk struct {
	// AnyHost is set when the expression admits arbitrary hosts (for
	// example the prefix "https://" or the regex "https://.*").
	AnyHost bool
	// Lookalike, when not empty, is a concrete origin on a domain the
	// author most likely did not mean ("https://example.com.evil.net"
	// for the prefix "https://example.com").
	Lookalike string
	// Example is a concrete admitted origin that demonstrates AnyHost or
	// Lookalike.
	Example string
	// Insecure is set when an admitted origin uses http.
	Insecure bool
	// Never, when not empty, says why a prefix can never match.
	Never string
}

// PrefixRisk analyses a literal prefix.
func PrefixRisk(p string) Risk {
	match := func(s string) bool { return strings.HasPrefix(s, p) }
	r := probe(match)
	r.Never = prefixNever(p)
	if !r.AnyHost && r.Never == "" {
		for _, suffix := range [...]string{"." + lookalikeDomain, lookalikeDomain, "-" + lookalikeDomain} {
			if s := p + suffix; isLookalike(p, s) {
				r.Lookalike, r.Example = s, s
				break
			}
		}
	}
	r.Insecure = strings.HasPrefix("http://", p) || strings.HasPrefix(p, "http:")
	return r
}

// prefixNever returns why no Origin header a browser sends can start with
// p, or "".
func prefixNever(p string) string {
	if strings.ToLower(p) != p {
		return "browsers send scheme and host in lower case, and the prefix is compared byte for byte"
	}
	if _, rest, ok := strings.Cut(p, "://"); ok && strings.ContainsAny(rest, "/?#@") {
		return "an Origin header is only scheme://host[:port]: it never has a path (not even a trailing slash), query or user information"
	}
	return ""
}

// RegexRisk analyses a regex compiled by [CompileRegex].
func RegexRisk(re *regexp.Regexp) Risk {
	r := probe(re.MatchString)
	sample, ok := sampleOf(re)
	if ok {
		o, _ := Parse(sample)
		r.Insecure = o.Scheme == "http"
	}
	if r.AnyHost || !ok {
		return r
	}
	for _, c := range lookalikes(sample) {
		if re.MatchString(c) {
			r.Lookalike, r.Example = c, c
			break
		}
	}
	return r
}

// probe tries the probe hosts on both schemes and default ports.
func probe(match func(string) bool) Risk {
	for _, scheme := range [...]string{"https://", "http://"} {
		for _, h := range probeHosts {
			if s := scheme + h; match(s) {
				return Risk{AnyHost: true, Example: s, Insecure: scheme == "http://"}
			}
		}
	}
	return Risk{}
}

// isLookalike reports whether s is a valid origin whose host is neither
// the host spelled in the prefix p nor a subdomain of it.
func isLookalike(p, s string) bool {
	o, ok := Parse(s)
	if !ok || o.Null {
		return false
	}
	_, rest, found := strings.Cut(p, "://")
	if !found {
		return true
	}
	host, _, _ := strings.Cut(rest, ":")
	return o.Host != host && !strings.HasSuffix(o.Host, "."+host)
}

// lookalikes builds origins that share a sample's look but not its site:
// a suffix domain appended, a dot turned into a letter, and a prefix glued
// to the registrable part (approximated as the last two labels).
func lookalikes(sample string) []string {
	o, ok := Parse(sample)
	if !ok || o.Null || strings.HasPrefix(o.Host, "[") {
		return nil
	}
	port := ""
	if o.Port != "" {
		port = ":" + o.Port
	}
	build := func(h string) string { return o.Scheme + "://" + h + port }
	out := []string{build(o.Host + "." + lookalikeDomain)}
	labels := strings.Split(o.Host, ".")
	if n := len(labels); n >= 2 {
		base := strings.Join(labels[n-2:], ".")
		out = append(out, build("evil"+base), build("evil-"+base))
	}
	for i := 0; i < len(o.Host); i++ {
		if o.Host[i] == '.' {
			out = append(out, build(o.Host[:i]+"x"+o.Host[i+1:]))
		}
	}
	return out
}

// sampleOf returns one short string the regex matches, built from its
// syntax tree (the first alternative of each choice), when that string is
// a valid http or https origin. Several spellings are tried: loops run
// zero or one time, and "." stands for itself or a letter, so that both
// "https://example.com" (unescaped dots) and "https://.*\\.example\\.com"
// yield a usable origin.
func sampleOf(re *regexp.Regexp) (string, bool) {
	tree, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return "", false
	}
	tree = tree.Simplify()
	for _, v := range [...]sampler{{zero: true, any: '.'}, {zero: true, any: 'a'}, {any: 'a'}, {any: '.'}} {
		var b strings.Builder
		if !v.write(&b, tree, 0) {
			continue
		}
		s := b.String()
		o, ok := Parse(s)
		if ok && !o.Null && DefaultPort(o.Scheme) != "" && re.MatchString(s) {
			return s, true
		}
	}
	return "", false
}

// sampler writes one string a syntax tree matches.
type sampler struct {
	zero bool // run optional loops zero times
	any  byte // the byte written for "."
}

func (v sampler) write(b *strings.Builder, re *syntax.Regexp, depth int) bool {
	if depth > 100 || b.Len() > MaxLen {
		return false
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 {
				r = unicode.ToLower(r)
			}
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		b.WriteRune(classSample(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(v.any)
	case syntax.OpCapture, syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		n := 1
		switch {
		case re.Op == syntax.OpRepeat:
			n = max(re.Min, 1)
			if v.zero {
				n = re.Min
			}
		case v.zero && (re.Op == syntax.OpStar || re.Op == syntax.OpQuest):
			n = 0
		}
		for i := 0; i < n && i < 64; i++ {
			if !v.write(b, re.Sub[0], depth+1) {
				return false
			}
		}
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !v.write(b, s, depth+1) {
				return false
			}
		}
	case syntax.OpAlternate:
		return v.write(b, re.Sub[0], depth+1)
	case syntax.OpNoMatch:
		return false
	}
	return true
}

// classSample picks a representative rune of a character class: a lower
// case letter if the class has one, else its first printable rune.
func classSample(ranges []rune) rune {
	for i := 0; i+1 < len(ranges); i += 2 {
		if lo, hi := ranges[i], ranges[i+1]; lo <= 'z' && hi >= 'a' {
			return max(lo, 'a')
		}
	}
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i+1] > ' ' {
			return max(ranges[i], '!')
		}
	}
	return 'a'
}
