package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// specLayer is a CORSPolicy's settings in engine form, with what it sets
// explicitly (for Union merges) and where each engine field came from.
type specLayer struct {
	spec                               policy.Spec
	credsSet, maxAgeSet, pnaSet, fwSet bool
	dangerous                          bool
	// YAML paths of the entries of spec.AllowOrigins, OriginPrefixes and
	// OriginRegexes, by engine index.
	origins, prefixes, regexes []string
}

// field maps an engine field path ("originPrefixes[1]", "maxAge") to the
// CORSPolicy field the user wrote.
func (s *specLayer) field(f string) string {
	name, rest, indexed := strings.Cut(f, "[")
	var paths []string
	switch name {
	case "allowOrigins":
		paths = s.origins
	case "originPrefixes":
		paths = s.prefixes
	case "originRegexes":
		paths = s.regexes
	default:
		return "spec." + f
	}
	i, err := strconv.Atoi(strings.TrimSuffix(rest, "]"))
	if !indexed || err != nil || i < 0 || i >= len(paths) {
		return "spec.allowOrigins"
	}
	return paths[i]
}

// translatePolicy validates one CORSPolicy and compiles it on its own. A
// policy with any error is left out entirely.
func (t *translator) translatePolicy(o *Object) *corsPolicy {
	cp := o.Value.(*v1alpha1.CORSPolicy)
	before := len(t.problems.Errors())
	if len(cp.Spec.TargetRefs) == 0 {
		t.errorf(o, "spec.targetRefs", "a CORSPolicy needs at least one targetRef; name a Gateway, HTTPRoute or Backend, e.g. targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: my-gateway}]")
	}
	union := false
	switch cp.Spec.MergeStrategy {
	case "", v1alpha1.MergeOverride:
	case v1alpha1.MergeUnion:
		union = true
	default:
		t.errorf(o, "spec.mergeStrategy", "mergeStrategy %q is not supported; use Override (the default) or Union", cp.Spec.MergeStrategy)
	}
	sl := t.policySpec(o, &cp.Spec)
	c := t.compileLayer(o, &sl, union) // also when invalid, to report every problem
	if c == nil || len(t.problems.Errors()) > before {
		return nil
	}
	return &corsPolicy{
		obj: o, created: cp.CreationTimestamp.Unix(),
		layer: &layer{cors: c, raw: sl, union: union, obj: o, policy: true,
			desc: o.Kind + " " + sourceDesc(o)},
	}
}

// policySpec turns the CORSPolicy fields into engine form, reporting the
// problems the engine cannot see (match objects, durations, enums).
func (t *translator) policySpec(o *Object, s *v1alpha1.CORSPolicySpec) specLayer {
	var sl specLayer
	for i, m := range s.AllowOrigins {
		t.originEntry(o, fmt.Sprintf("spec.allowOrigins[%d]", i), m, &sl)
	}
	sl.spec.AllowMethods = s.AllowMethods
	sl.spec.AllowHeaders = s.AllowHeaders
	sl.spec.ExposeHeaders = s.ExposeHeaders
	if s.AllowCredentials != nil {
		sl.spec.AllowCredentials, sl.credsSet = *s.AllowCredentials, true
	}
	if s.MaxAge != nil {
		sl.spec.MaxAge, sl.maxAgeSet = t.maxAgeSeconds(o, s.MaxAge.Duration), true
	}
	sl.spec.AllowPrivateNetwork, sl.pnaSet = s.AllowPrivateNetwork, s.AllowPrivateNetwork
	switch s.UnmatchedPreflights {
	case "":
	case v1alpha1.UnmatchedPreflightsDeny:
		sl.fwSet = true
	case v1alpha1.UnmatchedPreflightsForward:
		sl.spec.ForwardUnmatchedPreflights, sl.fwSet = true, true
	default:
		t.errorf(o, "spec.unmatchedPreflights", "unmatchedPreflights %q is not supported; use Deny (the default: answered with 403) or Forward (passed to the backend)", s.UnmatchedPreflights)
	}
	sl.dangerous = s.DangerouslyAllowAnyOriginWithCredentials
	return sl
}

// originEntry sorts one allowOrigins entry into the engine's lists.
func (t *translator) originEntry(o *Object, fp string, m v1alpha1.OriginMatch, sl *specLayer) {
	if m.Value != "" {
		sl.spec.AllowOrigins = append(sl.spec.AllowOrigins, m.Value)
		sl.origins = append(sl.origins, fp)
		return
	}
	n := 0
	for _, v := range []string{m.Exact, m.Prefix, m.Regex} {
		if v != "" {
			n++
		}
	}
	switch {
	case n == 0:
		t.errorf(o, fp, `the origin entry is empty; write an origin such as "https://example.com", or one of {exact, prefix, regex}`)
	case n > 1:
		t.errorf(o, fp, "set exactly one of exact, prefix or regex; write one entry per form")
	case m.Exact != "" && strings.Contains(m.Exact, "*"):
		t.errorf(o, fp+".exact", "%q: an exact origin is compared literally, so it never matches a browser's Origin; write wildcards as a plain string entry (\"https://*.example.com\")", m.Exact)
	case m.Exact != "":
		sl.spec.AllowOrigins = append(sl.spec.AllowOrigins, m.Exact)
		sl.origins = append(sl.origins, fp+".exact")
	case m.Prefix != "":
		sl.spec.OriginPrefixes = append(sl.spec.OriginPrefixes, m.Prefix)
		sl.prefixes = append(sl.prefixes, fp+".prefix")
	default:
		sl.spec.OriginRegexes = append(sl.spec.OriginRegexes, m.Regex)
		sl.regexes = append(sl.regexes, fp+".regex")
	}
}

// maxAgeSeconds checks a maxAge duration: whole seconds, 0 to 2^31-1.
func (t *translator) maxAgeSeconds(o *Object, d time.Duration) int32 {
	switch {
	case d < 0:
		t.errorf(o, "spec.maxAge", "maxAge %s is negative; write a number of seconds or a duration such as \"10m\"", d)
	case d%time.Second != 0:
		t.errorf(o, "spec.maxAge", "maxAge %s is not a whole number of seconds, and Access-Control-Max-Age is sent in seconds; write e.g. %q", d, (d.Truncate(time.Second) + time.Second).String())
	case d/time.Second > math.MaxInt32:
		t.errorf(o, "spec.maxAge", "maxAge %s is too long; browsers cap it at 2h (Chromium) or 24h (Firefox), so write at most \"24h\"", d)
	default:
		return int32(d / time.Second)
	}
	return 0
}

// compileLayer compiles a CORSPolicy on its own. Reflecting any origin
// with credentials is refused unless the policy names the opt-in; then it
// is a loud warning.
func (t *translator) compileLayer(o *Object, sl *specLayer, union bool) *ir.CORS {
	p, warns, err := policy.Compile(sl.spec)
	for _, fe := range fieldErrors(err) {
		t.errorf(o, sl.field(fe.Field), "%s", engineMessage(fe.Value, fe.Reason, fe.Fix))
	}
	if err != nil {
		return nil
	}
	reflects := p.ReflectsAnyOriginWithCredentials()
	if reflects && !sl.dangerous {
		for _, w := range warns {
			if w.Code == policy.WarnReflectAnyOriginWithCredentials {
				t.errorf(o, sl.field(w.Field), "%s", engineMessage(w.Value, "refused: "+w.Message,
					"or, if every web site may really read these responses with the user's cookies, set dangerouslyAllowAnyOriginWithCredentials: true"))
			}
		}
		return nil
	}
	c := &ir.CORS{Policy: p, Spec: p.Spec(), Source: source(o, "spec")}
	for _, w := range warns {
		msg := w.Message
		if w.Code == policy.WarnReflectAnyOriginWithCredentials {
			msg = "DANGEROUS, allowed by dangerouslyAllowAnyOriginWithCredentials: " + msg
		}
		rendered := engineMessage(w.Value, msg, "")
		t.warnf(o, sl.field(w.Field), string(w.Code), "%s", rendered)
		c.Warnings = append(c.Warnings, string(w.Code)+": "+sl.field(w.Field)+": "+rendered)
	}
	if sl.dangerous && !reflects && !union {
		t.warnf(o, "spec.dangerouslyAllowAnyOriginWithCredentials", "UnusedOptIn",
			"is set, but this policy does not reflect every origin with credentials; remove it, so that a later edit cannot do so silently")
	}
	return c
}

// engineMessage renders an engine finding as `"value": reason; fix`.
func engineMessage(value, reason, fix string) string {
	msg := reason
	if value != "" {
		msg = fmt.Sprintf("%q: %s", value, reason)
	}
	if fix != "" {
		msg += "; " + fix
	}
	return msg
}
