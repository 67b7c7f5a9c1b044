package origin

import "slices"

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
}

// NewMatcher builds a matcher for ps.
func NewMatcher(ps []Pattern) *Matcher {
	m := &Matcher{keys: make(map[string]struct{}, len(ps))}
	for _, p := range ps {
		if p.Kind == Any {
			m.all = true
			continue
		}
		k := p.key()
		m.keys[k] = struct{}{}
		switch p.Kind {
		case AnyHost:
			m.anyHost = true
		case Subdomains:
			if !slices.Contains(m.suffixLens, len(k)) {
				m.suffixLens = append(m.suffixLens, len(k))
			}
		}
	}
	slices.Sort(m.suffixLens)
	return m
}

// Match reports whether o is allowed. Only "*" matches "null" and origins
// whose scheme is not http or https. Match never allocates.
func (m *Matcher) Match(o Origin) bool {
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
	if _, ok := m.keys[string(k)]; ok {
		return true
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
