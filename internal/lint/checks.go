package lint

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/corsgate/corsgate/internal/policy"
)

// checkSite runs the value rules on one CORS setting.
func (l *linter) checkSite(s *site) {
	for _, e := range s.origins {
		l.checkOrigin(s, e)
	}
	l.checkOverlaps(s)
	l.checkMethods(s)
	for _, e := range s.allowHeaders {
		if e.value == "*" && len(s.allowHeaders) == 1 {
			l.add(RuleWildcardHeaders, Info, s.obj, e.field,
				`"*" lets a preflight ask for any request header, Authorization included: corsgate answers with the requested names, not with a literal "*", which no browser would let cover Authorization`,
				`list the headers the clients send, e.g. ["Content-Type", "Authorization"]`)
		}
	}
	for _, e := range s.exposeHeaders {
		if strings.EqualFold(e.value, "Set-Cookie") || strings.EqualFold(e.value, "Set-Cookie2") {
			l.add(RuleExposeSetCookie, Error, s.obj, e.field,
				strconv.Quote(e.value)+": browsers never expose it to scripts whatever the server says, and corsgate refuses the policy", "remove it")
		}
	}
	l.checkMaxAge(s)
	if s.forward {
		l.add(RuleForwardPreflights, Warning, s.obj, s.forwardField, l.forwardMessage(s), l.forwardFix(s))
	}
}

// single is the engine spec of one origin entry on its own.
func single(e entry, creds bool) policy.Spec {
	s := policy.Spec{AllowCredentials: creds}
	switch e.form {
	case formPrefix:
		s.OriginPrefixes = []string{e.value}
	case formRegex:
		s.OriginRegexes = []string{e.value}
	default:
		s.AllowOrigins = []string{e.value}
	}
	return s
}

// checkOrigin judges one origin entry, asking the engine what it admits.
func (l *linter) checkOrigin(s *site, e entry) {
	if e.form == formOrigin && strings.EqualFold(e.value, "null") {
		l.add(RuleNullOrigin, Error, s.obj, e.field,
			`"null" is the Origin of sandboxed iframes, data: and file: documents and of requests after a cross-origin redirect, on any site: allowing it allows every attacker page that sandboxes itself`, "")
		return
	}
	p, warns, err := policy.Compile(single(e, s.creds))
	for _, w := range warns {
		msg := strconv.Quote(e.value) + ": " + w.Message
		switch w.Code {
		case policy.WarnReflectAnyOriginWithCredentials:
			sev := Error
			if s.dangerous {
				sev, msg = Warning, msg+" (acknowledged with dangerouslyAllowAnyOriginWithCredentials: true)"
			}
			l.add(RuleCredentialedAnyOrigin, sev, s.obj, e.field, msg, "")
		case policy.WarnLookalikeOrigin:
			l.add(RuleLookalikeOrigin, Error, s.obj, e.field, msg, lookalikeFix(e))
		case policy.WarnInsecureOriginWithCredentials:
			l.add(RuleInsecureOrigin, Error, s.obj, e.field, msg, httpsFix(e.value))
		case policy.WarnOriginNormalized:
			fix := ""
			if err == nil && len(p.Spec().AllowOrigins) == 1 {
				fix = "write " + strconv.Quote(p.Spec().AllowOrigins[0]) + ", exactly what a browser sends"
			}
			l.add(RuleNonCanonicalOrigin, Warning, s.obj, e.field, msg, fix)
		case policy.WarnOriginNeverMatches:
			l.add(RuleNonCanonicalOrigin, Warning, s.obj, e.field, msg, "")
		}
	}
	if err != nil || s.creds {
		return // the translator reports the error; credentials were judged above
	}
	host, insecure := "", false
	switch e.form {
	case formOrigin:
		if o := p.Spec().AllowOrigins; len(o) == 1 {
			host, insecure = strings.CutPrefix(o[0], "http://")
		}
	case formPrefix:
		host, insecure = strings.CutPrefix(strings.ToLower(e.value), "http://")
	}
	if insecure && host != "" && !loopback(host) {
		l.add(RuleInsecureOrigin, Warning, s.obj, e.field,
			strconv.Quote(e.value)+": an http origin of a host on the network; pages served over http can be modified by anyone on the path", httpsFix(e.value))
	}
}

func lookalikeFix(e entry) string {
	if e.form == formPrefix {
		exact := strings.TrimRight(e.value, "./")
		if _, host, ok := strings.Cut(exact, "://"); ok && host != "" {
			return fmt.Sprintf("write the origin exactly, {exact: %q}, or %q for its subdomains", exact, strings.Replace(exact, "://", "://*.", 1))
		}
		return fmt.Sprintf("write the origin exactly, {exact: %q}", exact)
	}
	if strings.Trim(e.value, "abcdefghijklmnopqrstuvwxyz0123456789-.:/") == "" {
		return "escape the dots, " + regexp.QuoteMeta(e.value) + ", or list the origin exactly"
	}
	return `escape every literal dot (\.) and leave no ".*" or "+" that can reach into the host, or list the origins exactly`
}

func httpsFix(v string) string {
	if rest, ok := strings.CutPrefix(strings.ToLower(v), "http://"); ok {
		return fmt.Sprintf("allow %q instead (serve the page over https)", "https://"+rest)
	}
	return "allow https origins only"
}

// loopback reports whether host[:port] (or a wildcard host) names this
// machine: localhost, *.localhost, 127.0.0.0/8 or [::1].
func loopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// probeLabel stands for the label a wildcard origin admits when testing
// whether another entry admits it too.
const probeLabel = "corsgate-lint-probe"

// checkOverlaps finds duplicate entries and entries another entry of the
// same setting already admits, asking the engine.
func (l *linter) checkOverlaps(s *site) {
	type compiled struct {
		e     entry
		key   string // canonical form
		probe string // an origin this entry admits, "" when not probed
		p     *policy.Policy
	}
	var list []compiled
	seen := map[string]entry{}
	for _, e := range s.origins {
		if e.value == "*" || strings.EqualFold(e.value, "null") {
			continue
		}
		p, _, err := policy.Compile(single(e, false))
		if err != nil {
			continue
		}
		c := compiled{e: e, key: e.form + ":" + e.value, p: p}
		if e.form == formOrigin {
			c.key = p.Spec().AllowOrigins[0]
			c.probe = strings.Replace(c.key, "*", probeLabel, 1)
		}
		if first, dup := seen[c.key]; dup {
			l.add(RuleOverlappingOrigins, Warning, s.obj, e.field,
				fmt.Sprintf("%q is the same origin as %q at %s (both read as %q)", e.value, first.value, first.field, strings.TrimPrefix(c.key, e.form+":")),
				"remove one of them")
			continue
		}
		seen[c.key] = e
		list = append(list, c)
	}
	for _, c := range list {
		if c.probe == "" {
			continue
		}
		for _, other := range list {
			if other.e.field == c.e.field {
				continue
			}
			d := other.p.Evaluate(&policy.Request{Method: "GET", Origin: []string{c.probe}})
			if !d.Allowed {
				continue
			}
			what := "is already admitted by"
			if strings.Contains(c.key, "*") {
				what = "overlaps with"
			}
			l.add(RuleOverlappingOrigins, Warning, s.obj, c.e.field,
				fmt.Sprintf("%q %s %q at %s (it admits %q)", c.e.value, what, other.e.value, other.e.field, c.probe),
				"remove the narrower entry, or replace the broad one with exact origins")
			break
		}
	}
}

// forbiddenMethods are the methods fetch() refuses outright.
var forbiddenMethods = map[string]bool{"CONNECT": true, "TRACE": true, "TRACK": true}

// normalisedMethods are the methods fetch() upper-cases.
var normalisedMethods = map[string]bool{"DELETE": true, "GET": true, "HEAD": true, "OPTIONS": true, "POST": true, "PUT": true}

func (l *linter) checkMethods(s *site) {
	for _, e := range s.methods {
		upper := strings.ToUpper(e.value)
		if forbiddenMethods[upper] {
			l.add(RuleForbiddenMethod, Warning, s.obj, e.field,
				fmt.Sprintf("%q: fetch() throws a TypeError for %s before sending anything, so no browser ever asks for it", e.value, upper), "remove it")
			continue
		}
		if e.value == upper {
			continue
		}
		msg := fmt.Sprintf("%q: fetch() sends %q even when the script writes %q, so this entry never matches", e.value, upper, e.value)
		if !normalisedMethods[upper] {
			msg = fmt.Sprintf("%q: fetch() sends this method exactly as the script spells it, and scripts and HTTP libraries write %q, which this entry does not match", e.value, upper)
		}
		l.add(RuleLowercaseMethod, Warning, s.obj, e.field, msg, "write "+strconv.Quote(upper))
	}
}

// chromiumMaxAge and firefoxMaxAge are the browsers' caps on
// Access-Control-Max-Age, in seconds.
const (
	chromiumMaxAge = 7200
	firefoxMaxAge  = 86400
)

func (l *linter) checkMaxAge(s *site) {
	if !s.maxAgeSet {
		return
	}
	var msg string
	switch n := s.maxAge; {
	case n < 0:
		l.add(RuleMaxAge, Error, s.obj, s.maxAgeField,
			fmt.Sprintf("maxAge %d is negative, which corsgate refuses (some servers send it and browsers then ignore the header)", n), "")
		return
	case n == 0:
		msg = "maxAge 0: corsgate then sends its default of 5 s, while Envoy and most servers send 0, which makes browsers preflight every single request"
	case n > firefoxMaxAge:
		msg = fmt.Sprintf("maxAge %d s: no browser caches a preflight that long (Chromium caps at %d s, Firefox at %d s)", n, chromiumMaxAge, firefoxMaxAge)
	case n > chromiumMaxAge:
		msg = fmt.Sprintf("maxAge %d s: Chromium caps the preflight cache at %d s (Firefox at %d s), so Chromium users still preflight every 2 hours", n, chromiumMaxAge, firefoxMaxAge)
	default:
		return
	}
	l.add(RuleMaxAge, Warning, s.obj, s.maxAgeField, msg, "set maxAge to 7200 (or less: it is also how long a removed origin keeps working)")
}

// converted reports whether the site's object was converted from a
// foreign kind, and from which.
func (l *linter) converted(s *site) (string, bool) {
	src, ok := l.origin[objectID(s.obj.Kind, s.obj.Namespace, s.obj.Name)]
	return src, ok
}

func (l *linter) forwardMessage(s *site) string {
	msg := "unmatchedPreflights: Forward passes preflights from origins this policy refuses to the backend instead of answering 403"
	if src, ok := l.converted(s); ok && strings.HasPrefix(src, "VirtualService ") {
		msg = "Istio's unmatchedPreflights: FORWARD (in " + src + ") passes preflights from origins this policy refuses to the backend instead of answering 403"
	}
	return msg + "; whatever the backend answers (a framework reflecting Origin, an auth middleware's 401) becomes the CORS answer for those origins"
}

func (l *linter) forwardFix(s *site) string {
	if src, ok := l.converted(s); ok && strings.HasPrefix(src, "VirtualService ") {
		return "set unmatchedPreflights: IGNORE in the VirtualService's corsPolicy, so the gateway answers every preflight"
	}
	return "remove unmatchedPreflights (Deny, the default, answers 403 at the gateway)"
}
