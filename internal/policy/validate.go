package policy

import (
	"errors"
	"strconv"
	"strings"

	"github.com/corsgate/corsgate/internal/policy/internal/header"
	"github.com/corsgate/corsgate/internal/policy/internal/origin"
)

// checker collects every problem and warning found by Compile, so that a
// user fixes a configuration in one round instead of one error at a time.
type checker struct {
	errs  []error
	warns []Warning
}

func (c *checker) fail(field, value, reason, fix string) {
	c.errs = append(c.errs, &FieldError{Field: field, Value: value, Reason: reason, Fix: fix})
}

func (c *checker) warn(code WarningCode, field, value, msg string) {
	c.warns = append(c.warns, Warning{Code: code, Field: field, Value: value, Message: msg})
}

func (c *checker) checkLen(field string, n int, fix string) {
	if n > maxListLen {
		c.fail(field, "", "has "+strconv.Itoa(n)+" entries; at most "+strconv.Itoa(maxListLen)+" are allowed", fix)
	}
}

func index(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// origins validates allowOrigins and returns the canonical spellings and
// the parsed patterns, without duplicates. others counts the origin
// prefixes and regexes, which "*" cannot be combined with either.
func (c *checker) origins(vals []string, others int, creds bool) ([]string, []origin.Pattern) {
	c.checkLen("allowOrigins", len(vals),
		`use a wildcard pattern such as "https://*.example.com" for many subdomains`)
	for _, v := range vals {
		if v != "*" {
			others++
		}
	}
	var canon []string
	var patterns []origin.Pattern
	seen := make(map[string]bool, len(vals))
	starReported := false
	for i, v := range vals {
		field := index("allowOrigins", i)
		if v == "*" && others > 0 {
			if !starReported {
				c.fail(field, v, `"*" cannot be combined with other origins`,
					`keep "*" alone to allow every origin, or remove it to allow only the listed ones`)
				starReported = true
			}
			continue
		}
		p, err := origin.ParsePattern(v)
		if err != nil {
			var pe *origin.Error
			if errors.As(err, &pe) {
				c.fail(field, v, pe.Reason, pe.Fix)
			} else {
				c.fail(field, v, err.Error(), origin.FixForm)
			}
			continue
		}
		s := p.String()
		c.normalised(field, v, p)
		if seen[s] {
			continue // "https://a.com" and "https://A.com/" are one origin
		}
		seen[s] = true
		canon = append(canon, s)
		patterns = append(patterns, p)
		if creds {
			c.credentialRisks(field, v, p)
		}
	}
	return canon, patterns
}

// normalised warns when an origin was written differently from its
// canonical form.
func (c *checker) normalised(field, v string, p origin.Pattern) {
	var msg string
	switch {
	case p.DroppedPath == "/":
		msg = "the trailing slash was dropped: an Origin header never has one, so as written it would never match"
	case p.DroppedPath != "":
		msg = "the path " + strconv.Quote(p.DroppedPath) + " was dropped: an origin is only scheme://host[:port]"
	}
	if p.Rewritten {
		if msg != "" {
			msg += "; "
		}
		msg += "scheme and host are case-insensitive and the default port is implied"
	}
	if msg != "" {
		c.warn(WarnOriginNormalized, field, v, msg+"; read as "+strconv.Quote(p.String()))
	}
}

// credentialRisks warns about origins that let too many sites, or
// impersonable ones, read responses with the user's cookies.
func (c *checker) credentialRisks(field, v string, p origin.Pattern) {
	switch p.Kind {
	case origin.Any:
		c.warn(WarnReflectAnyOriginWithCredentials, field, v,
			"reflects every origin with credentials: any web site can read responses with the user's cookies; "+
				"list the origins instead")
		return
	case origin.AnyHost:
		c.warn(WarnReflectAnyOriginWithCredentials, field, v,
			"reflects every "+p.Scheme+" origin on that port with credentials: any web site can read responses "+
				"with the user's cookies; list the origins instead")
	}
	if p.Scheme == "http" {
		c.warn(WarnInsecureOriginWithCredentials, field, v,
			"an http origin is allowed with credentials: anyone on the network path can impersonate it "+
				"and read responses with the user's cookies; use https")
	}
}

// listRules describes one list of tokens in a Spec.
type listRules struct {
	what            string // "method" or "header name", for messages
	caseInsensitive bool   // header names are; methods are not
	starAlone       bool   // "*" is a wildcard that cannot be mixed
	starFix         string
	noSetCookie     bool // exposeHeaders: forbidden response header names
	// noStar refuses "*" in exposeHeaders when credentials are on: Fetch
	// treats it as a wildcard only for requests without credentials, so a
	// credentialed script would see nothing beyond the safelisted headers.
	noStar bool
}

var (
	methodRules = listRules{
		what: "method", starAlone: true,
		starFix: `keep "*" alone to allow every method, or remove it and list the methods`,
	}
	allowHeaderRules = listRules{
		what: "header name", caseInsensitive: true, starAlone: true,
		starFix: `keep "*" alone to allow every requested header, or remove it and list the names`,
	}
	exposeHeaderRules = listRules{what: "header name", caseInsensitive: true, noSetCookie: true}
)

// tokens validates a list of methods or header names and returns it
// without duplicates, keeping the first spelling of each.
func (c *checker) tokens(field string, vals []string, r listRules) []string {
	c.checkLen(field, len(vals), "remove the entries that are not needed")
	var out []string
	seen := make(map[string]bool, len(vals))
	mixedStar := r.starAlone && len(vals) > 1 && !allStars(vals)
	starReported := false
	for i, v := range vals {
		f := index(field, i)
		switch {
		case v == "":
			c.fail(f, v, "the "+r.what+" is empty", "remove the entry")
			continue
		case !header.IsToken(v):
			c.fail(f, v, "is not a valid "+r.what+": it must be a single token of letters, digits and !#$%&'*+-.^_`|~",
				tokenFix(v))
			continue
		case mixedStar && v == "*":
			if !starReported {
				c.fail(f, v, `"*" cannot be combined with other entries`, r.starFix)
				starReported = true
			}
			continue
		case r.noStar && v == "*":
			c.fail(f, v, `"*" is not a wildcard on credentialed responses: browsers read it as a header literally named "*"`,
				`list the header names to expose, e.g. "Content-Encoding" and "X-Request-Id"`)
			continue
		case r.noSetCookie && (strings.EqualFold(v, "Set-Cookie") || strings.EqualFold(v, "Set-Cookie2")):
			c.fail(f, v, "browsers never expose "+v+" to scripts (it is a forbidden response header name)",
				"remove it")
			continue
		}
		key := v
		if r.caseInsensitive {
			key = strings.ToLower(v)
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, v)
		}
	}
	return out
}

func tokenFix(v string) string {
	if strings.ContainsAny(v, ", \t") {
		return "list each entry separately instead of joining them"
	}
	return "remove the characters that are not allowed"
}

func allStars(vals []string) bool {
	for _, v := range vals {
		if v != "*" {
			return false
		}
	}
	return true
}
