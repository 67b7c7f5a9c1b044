package origin

import (
	"slices"
	"strings"
)

// keyCap bounds a request key: a host of at most MaxLen bytes, two
// separators, the scheme and the (possibly default) port always fit,
// because Parse counted "://" where the key has two separators.
const keyCap = MaxLen + 8

// Matcher tells whether an origin is allowed by a set of patterns. It is
// immutable after [NewMatcher] and safe for concurrent use.
//
// All patterns share one set of keys (see Pattern.key). For a request the
// matcher builds the request's key once, in a stack buffer, and looks up:
// the whole key (exact patterns); the part after the host (any-host
// patterns); and, for each distinct length of a subdomain key, the suffix
// of that length when it starts at a dot inside the host. So the number of
// lookups is bounded by the number of patterns, not by the number of
// labels a hostile Origin carries, and a match can only ever start on a
// label boundary.
type Matcher struct {
	all        bool
	anyHost    bool
	keys       map[string]struct{}
	suffixLens []int // distinct key lengths of Subdomains patterns

	// exactOnly is set when every pattern is Exact: then a canonical
	// origin that is not in the raw set below is not allowed either.
	exactOnly bool
	// raw holds the canonical serialisations of the Exact patterns, the
	// spelling browsers send, sorted, so that [Matcher.MatchRaw] can
	// compare the request's own Origin bytes before (and usually instead
	// of) parsing them: in order when there are at most maxRawList, by
	// binary search otherwise. A sorted slice rather than a set keeps the
	// snapshot small: a config holds one matcher per route.
	raw []string

	// subs holds the Subdomains patterns, split as in their keys, when
	// there are at most maxSubList of them and no Any or AnyHost pattern;
	// nil otherwise. A canonical origin that misses raw can then only
	// match one of them, and [Matcher.Check] compares its parts with each
	// in place instead of building the key and hashing its suffixes.
	subs []subPattern
}

// subPattern is a Subdomains pattern as its key spells it (see
// Pattern.key): the key is host + "|" + scheme + "|" + port.
type subPattern struct {
	host   string // "." + domain
	scheme string
	port   string // the port, or the scheme's default
}

// maxSubList is the largest number of Subdomains patterns compared one by
// one; beyond it, the key lookups (one per distinct suffix length) win.
const maxSubList = 8

// maxRawList is the number of exact origins compared one by one before a
// binary search is cheaper: a string comparison is a length check and,
// only for equal lengths, a memory comparison.
const maxRawList = 4

// NewMatcher builds a matcher for ps.
func NewMatcher(ps []Pattern) *Matcher { return NewMatcherSpelled(ps, nil) }

// NewMatcherSpelled is NewMatcher for a caller that already holds each
// pattern's canonical spelling: spelled[i] == ps[i].String(). The matcher
// then shares those strings instead of building its own copies (a config
// holds one matcher per route, so this is most of the raw list's memory).
// A spelled of the wrong length is ignored.
func NewMatcherSpelled(ps []Pattern, spelled []string) *Matcher {
	if len(spelled) != len(ps) {
		spelled = nil
	}
	m := &Matcher{keys: make(map[string]struct{}, len(ps)), exactOnly: true}
	var raw []string
	var subs []subPattern
	subsOnly := true // no Any or AnyHost pattern, keys split unambiguously
	for i, p := range ps {
		if p.Kind == Any {
			m.all = true
			m.exactOnly = false
			continue
		}
		k := p.key()
		m.keys[k] = struct{}{}
		switch p.Kind {
		case Exact:
			// Only spellings that Parse accepts and Match allows go into
			// the raw set, so a raw hit means exactly what the slow path
			// would have said.
			s := p.String()
			if spelled != nil && spelled[i] == s {
				s = spelled[i] // share the caller's copy
			}
			if o, ok := Parse(s); ok && canonical(o) && !slices.Contains(raw, s) {
				raw = append(raw, s)
			}
		case AnyHost:
			m.anyHost = true
			m.exactOnly = false
			subsOnly = false
		case Subdomains:
			m.exactOnly = false
			if !slices.Contains(m.suffixLens, len(k)) {
				m.suffixLens = append(m.suffixLens, len(k))
			}
			// Split the key at its two separators. A host with a "|"
			// (never from ParsePattern) would make the split ambiguous:
			// such a matcher keeps to the key lookups.
			host, rest, _ := strings.Cut(k, "|")
			scheme, port, _ := strings.Cut(rest, "|")
			if strings.Contains(p.Host, "|") || strings.Contains(p.Scheme, "|") {
				subsOnly = false
			}
			subs = append(subs, subPattern{host: host, scheme: scheme, port: port})
		}
	}
	if subsOnly && !m.all && len(subs) > 0 && len(subs) <= maxSubList {
		m.subs = slices.Clip(subs)
	}
	slices.Sort(m.suffixLens)
	slices.Sort(raw)
	m.raw = slices.Clip(raw)
	return m
}

// MatchRaw reports whether s, an Origin header value as received, is the
// canonical spelling of one of the Exact patterns. A true answer means
// that Parse accepts s and Match allows it; a false one means nothing, and
// the caller goes on with [Parse] and [Matcher.MatchParsed]. Browsers send
// the canonical spelling (lower case, no default port), so an allowed
// exact origin is found without parsing. MatchRaw never allocates.
func (m *Matcher) MatchRaw(s string) bool {
	if len(m.raw) > maxRawList {
		_, ok := slices.BinarySearch(m.raw, s)
		return ok
	}
	for _, r := range m.raw {
		if s == r {
			return true
		}
	}
	return false
}

// MatchParsed is [Matcher.Match] for an origin that [Matcher.MatchRaw]
// already refused. When every pattern is Exact and o is spelled
// canonically, the raw comparison was the whole answer, so it returns
// false without building a key.
func (m *Matcher) MatchParsed(o Origin) bool { return m.matchParsed(&o) }

// Check is [Matcher.MatchRaw], then [Parse] and [Matcher.MatchParsed] on a
// miss, in one call and without copying the parsed Origin: valid reports
// whether Parse accepts s, allowed whether Match allows it (never true
// when valid is false). Check never allocates.
func (m *Matcher) Check(s string) (valid, allowed bool) {
	if m.MatchRaw(s) {
		return true, true
	}
	var o Origin
	if !parse(s, &o) {
		return false, false
	}
	return true, m.matchParsed(&o)
}

func (m *Matcher) matchParsed(o *Origin) bool {
	def, c := canonicalPort(o)
	if c {
		if m.exactOnly {
			return false
		}
		if m.subs != nil {
			return m.matchSubs(o, def)
		}
	}
	return m.match(o, !c)
}

// matchSubs is match for a canonical origin o, whose scheme's default port
// is def, when the matcher holds only Exact and Subdomains patterns and
// lists the latter in subs: the raw comparison already settled the Exact
// ones, so o matches when its key ends with the key of one of subs at a
// dot inside the host. The key's parts are compared in place; o's host
// and scheme are already lower case.
func (m *Matcher) matchSubs(o *Origin, def string) bool {
	if o.Host == "" || o.Host[0] == '[' {
		return false // IP literals have no subdomains
	}
	port := o.Port
	if port == "" {
		port = def
	}
	for i := range m.subs {
		sp := &m.subs[i]
		if len(o.Host) > len(sp.host) && o.Host[len(o.Host)-len(sp.host):] == sp.host &&
			o.Scheme == sp.scheme && port == sp.port {
			return true
		}
	}
	return false
}

// canonical reports whether o, from Parse, is written the way browsers
// serialise an http or https origin: scheme and host in lower case, no
// default port. The canonical spelling of an Exact pattern
// ([Pattern.String]) is the only spelling of the matching origins that is
// canonical, so comparing canonical values as strings is the same as
// comparing their keys. An Origin not made by Parse is never canonical.
func canonical(o Origin) bool {
	_, c := canonicalPort(&o)
	return c
}

// canonicalPort is canonical, also returning the default port of o's
// scheme when o is canonical.
func canonicalPort(o *Origin) (def string, ok bool) {
	if o.Null || !o.lower {
		return "", false
	}
	// o.lower: the scheme has no upper-case letter.
	switch o.Scheme {
	case "https":
		def = "443"
	case "http":
		def = "80"
	default:
		return "", false
	}
	return def, o.Port != def
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if isUpper(s[i]) {
			return true
		}
	}
	return false
}

// Match reports whether o is allowed. Only "*" matches "null" and origins
// whose scheme is not http or https. Match never allocates.
func (m *Matcher) Match(o Origin) bool { return m.match(&o, true) }

// match is Match; exact says whether the whole key can still match an
// Exact pattern (MatchParsed knows it cannot for a canonical origin the raw
// comparison missed).
func (m *Matcher) match(o *Origin, exact bool) bool {
	if m.all {
		return true
	}
	if o.Null || o.Host == "" {
		return false
	}
	def := DefaultPort(o.Scheme)
	if def == "" {
		return false
	}
	port := o.Port
	if port == "" {
		port = def
	}
	if len(o.Host)+len(o.Scheme)+len(port)+2 > keyCap {
		return false // not from Parse; nothing configured is that long
	}
	var buf [keyCap]byte
	k := appendLower(buf[:0], o.Host)
	hostLen := len(k)
	k = append(k, '|')
	k = appendLower(k, o.Scheme)
	k = append(k, '|')
	k = append(k, port...)
	if exact {
		if _, ok := m.keys[string(k)]; ok {
			return true
		}
	}
	if m.anyHost {
		if _, ok := m.keys[string(k[hostLen:])]; ok {
			return true
		}
	}
	if o.Host[0] == '[' {
		return false // IP literals have no subdomains
	}
	for _, n := range m.suffixLens {
		s := len(k) - n
		if s <= 0 || s >= hostLen || k[s] != '.' {
			continue
		}
		if _, ok := m.keys[string(k[s:])]; ok {
			return true
		}
	}
	return false
}

func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = append(dst, lower(s[i]))
	}
	return dst
}
