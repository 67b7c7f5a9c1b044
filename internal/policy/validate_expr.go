package policy

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/corsgate/corsgate/internal/policy/internal/origin"
)

// exprResult is what the origin prefixes and regexes compile to.
type exprResult struct {
	prefixes []string
	regexSrc []string
	regexes  []*regexp.Regexp
	// anyHost is set when, with credentials, a prefix or regex admits
	// arbitrary hosts: the policy then reflects any origin with
	// credentials.
	anyHost bool
}

// exprs validates OriginPrefixes and OriginRegexes, compiles the regexes
// once, and flags the ones that admit more than they seem to.
func (c *checker) exprs(prefixes, regexes []string, creds bool) exprResult {
	var r exprResult
	c.checkLen("originPrefixes", len(prefixes), "list fewer prefixes, or use wildcard origins")
	c.checkLen("originRegexes", len(regexes), "combine them with \"|\" into fewer expressions")
	seen := make(map[string]bool, len(prefixes)+len(regexes))
	for i, p := range prefixes {
		field := index("originPrefixes", i)
		if err := origin.CheckPrefix(p); err != nil {
			c.failOrigin(field, p, err)
			continue
		}
		if seen["p"+p] {
			continue
		}
		seen["p"+p] = true
		r.prefixes = append(r.prefixes, p)
		risk := origin.PrefixRisk(p)
		if risk.Never != "" {
			c.warn(WarnOriginNeverMatches, field, p, "this prefix never matches: "+risk.Never+"; "+prefixFix(p))
		}
		r.anyHost = c.exprRisks(field, p, "prefix", risk, creds) || r.anyHost
	}
	for i, src := range regexes {
		field := index("originRegexes", i)
		re, err := origin.CompileRegex(src)
		if err != nil {
			c.failOrigin(field, src, err)
			continue
		}
		if seen["r"+src] {
			continue
		}
		seen["r"+src] = true
		r.regexSrc = append(r.regexSrc, src)
		r.regexes = append(r.regexes, re)
		r.anyHost = c.exprRisks(field, src, "regex", origin.RegexRisk(re), creds) || r.anyHost
	}
	return r
}

func (c *checker) failOrigin(field, v string, err error) {
	var pe *origin.Error
	if errors.As(err, &pe) {
		c.fail(field, v, pe.Reason, pe.Fix)
		return
	}
	c.fail(field, v, err.Error(), origin.FixForm)
}

// exprRisks reports what one prefix or regex lets in and returns whether,
// with credentials, it reflects arbitrary origins.
func (c *checker) exprRisks(field, v, what string, risk origin.Risk, creds bool) bool {
	if risk.AnyHost {
		if !creds {
			return false
		}
		c.warn(WarnReflectAnyOriginWithCredentials, field, v,
			"this "+what+" admits arbitrary hosts, such as "+strconv.Quote(risk.Example)+
				", with credentials: any web site can read responses with the user's cookies; list the origins instead")
		return true
	}
	if risk.Lookalike != "" {
		fix := `list the exact origins, or "https://*.example.com" for subdomains`
		if o, ok := origin.Parse(v); ok && !o.Null && what == "prefix" {
			fix = "to allow that one origin list it exactly (" + strconv.Quote(v) + "), or " +
				strconv.Quote(o.Scheme+"://*."+o.Host) + " for its subdomains"
		}
		c.warn(WarnLookalikeOrigin, field, v,
			"this "+what+" also admits "+strconv.Quote(risk.Lookalike)+", a different site that anyone who registers a domain can serve; "+fix)
	}
	if creds && risk.Insecure {
		c.warn(WarnInsecureOriginWithCredentials, field, v,
			"this "+what+" admits http origins with credentials: anyone on the network path can impersonate them "+
				"and read responses with the user's cookies; use https")
	}
	return false
}

// prefixFix suggests the prefix a browser's Origin could start with.
func prefixFix(p string) string {
	fixed := strings.ToLower(p)
	if scheme, rest, ok := strings.Cut(fixed, "://"); ok {
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			rest = rest[:i]
		}
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			rest = rest[i+1:]
		}
		fixed = scheme + "://" + rest
	}
	return "write " + strconv.Quote(fixed)
}
