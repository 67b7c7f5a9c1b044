// Package lint is the static analysis behind `corsgate lint`: it loads a
// configuration set with config.Load and config.Translate (which converts
// foreign kinds first), turns the translator's own problems into findings,
// and adds rules of its own over the loaded objects and the translated IR.
// It never re-implements CORS or routing rules: where a rule needs to know
// what an origin list admits it asks the engine (policy.Compile and
// Policy.Evaluate).
//
// Every finding names a stable rule ID (CG001, ...), a severity, FILE:LINE,
// the object and field, what is wrong, why it matters and how to fix it.
package lint

import (
	"fmt"
	"sort"
)

// Severity grades a finding. Error findings make `corsgate lint` exit 1.
type Severity uint8

const (
	Error Severity = iota
	Warning
	Info
)

var severityNames = [...]string{Error: "error", Warning: "warning", Info: "info"}

// String returns error, warning or info.
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// sarifLevel is the SARIF 2.1.0 result level for s.
func (s Severity) sarifLevel() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// Rule is one check. IDs never change meaning; a retired rule keeps its ID
// unused.
type Rule struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Severity is the default; a finding may be graver (the translator
	// refused the object) or milder (an explicit opt-in), as documented
	// on each rule.
	Severity Severity `json:"severity"`
	// Title says what the rule finds.
	Title string `json:"title"`
	// Why is one line: the attack or the browser behaviour.
	Why string `json:"why"`
	// Fix is the generic remedy; findings usually carry a concrete one.
	Fix string `json:"fix"`
}

// The rule IDs.
const (
	RuleCredentialedAnyOrigin = "CG001"
	RuleLookalikeOrigin       = "CG002"
	RuleUnanchoredPattern     = "CG003"
	RuleNullOrigin            = "CG004"
	RuleInsecureOrigin        = "CG005"
	RuleNonCanonicalOrigin    = "CG006"
	RuleMaxAge                = "CG007"
	RuleWildcardHeaders       = "CG008"
	RuleExposeSetCookie       = "CG009"
	RuleForbiddenMethod       = "CG010"
	RuleLowercaseMethod       = "CG011"
	RuleForwardPreflights     = "CG012"
	RuleShadowedPolicy        = "CG013"
	RuleOverlappingOrigins    = "CG014"
	RuleUpstreamSendsCORS     = "CG015"
	RuleConflictingPolicies   = "CG016"
	RuleTargetNotFound        = "CG017"
	RuleCORSHeaderInModifier  = "CG018"
	RuleConfigError           = "CG100"
	RuleConfigWarning         = "CG101"
)

// UpstreamSendsCORSAnnotation is how a Backend declares that its
// endpoints answer CORS themselves (value "true"); CG015 then flags every
// route that also gives it a gateway CORS policy.
const UpstreamSendsCORSAnnotation = "corsgate.dev/upstream-sends-cors"

var rules = []Rule{
	{RuleCredentialedAnyOrigin, "credentialed-any-origin", Error,
		"any origin is reflected together with Access-Control-Allow-Credentials: true",
		"any web site the user visits can read responses made with the user's cookies (account takeover, data theft)",
		"list the exact origins that may call with credentials; if it is really intended, set dangerouslyAllowAnyOriginWithCredentials: true on a CORSPolicy (the finding becomes a warning)"},
	{RuleLookalikeOrigin, "lookalike-origin", Error,
		"an origin prefix or regex also admits look-alike sites anyone can register",
		"an attacker registers the look-alike domain and its pages read your responses as if they were yours",
		`list the exact origin ("https://example.com"), or use a wildcard origin ("https://*.example.com") for subdomains`},
	{RuleUnanchoredPattern, "unanchored-origin-pattern", Warning,
		"an origin regex written for a system that matches anywhere in the origin (kube-apiserver, pipy)",
		"the old system admitted look-alike origins through it; corsgate anchors the pattern, so those stop working after migration",
		`anchor the pattern on both ends and escape dots: ^https://dashboard\.example\.com$`},
	{RuleNullOrigin, "null-origin", Error,
		`the origin "null" is allowed`,
		`sandboxed iframes, data: URLs and file:// pages of any site send Origin: null, so allowing it allows everyone`,
		`remove "null"; give the calling page a real origin (serve it over https)`},
	{RuleInsecureOrigin, "insecure-origin", Warning,
		"an http:// origin of a non-loopback host is allowed (an error with credentials)",
		"anyone on the network path (public Wi-Fi, a proxy) can inject script into that http origin and read your responses",
		"allow the https:// origin instead; http is fine only for localhost and 127.0.0.1"},
	{RuleNonCanonicalOrigin, "non-canonical-origin", Warning,
		"an origin is written with a path, trailing slash, upper-case host or explicit default port",
		"a browser's Origin header never looks like that: other gateways compare bytes and never match, and a prefix or regex never matches",
		`write the origin as a browser sends it: scheme://host[:port], lower case, no default port, no slash ("https://example.com")`},
	{RuleMaxAge, "max-age", Warning,
		"maxAge is outside what browsers honour (above 7200 s, or 0 or negative)",
		"Chromium caps Access-Control-Max-Age at 7200 s and Firefox at 86400 s, so a larger value only pretends; 0 sends a preflight before every request",
		"use at most 7200 (2h), the largest value every browser honours"},
	{RuleWildcardHeaders, "wildcard-allow-headers", Info,
		`allowHeaders: ["*"]`,
		`by the Fetch standard a literal "*" never covers Authorization; corsgate echoes the requested headers instead, so it works here but not if the config moves to a gateway that sends "*"`,
		"list the request headers the clients send (Content-Type, Authorization, ...)"},
	{RuleExposeSetCookie, "expose-set-cookie", Error,
		"exposeHeaders names Set-Cookie",
		"browsers never let scripts read Set-Cookie (a forbidden response header), so the entry does nothing and corsgate refuses it",
		"remove it; read cookie state through a normal response field instead"},
	{RuleForbiddenMethod, "forbidden-method", Warning,
		"allowMethods lists CONNECT, TRACE or TRACK",
		"fetch() throws for these methods before any request is sent, so allowing them only widens what non-browser clients are told",
		"remove them"},
	{RuleLowercaseMethod, "lowercase-method", Warning,
		"allowMethods lists a method in lower case",
		"methods are case-sensitive: fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST and PUT, so the browser's method never equals the entry",
		"write the method in upper case (PATCH, PUT) and call fetch() with it in upper case"},
	{RuleForwardPreflights, "forward-unmatched-preflights", Warning,
		"preflights from origins the policy refuses are forwarded to the backend (Istio unmatchedPreflights: FORWARD)",
		"the backend then answers CORS for origins the gateway refused; a framework that reflects Origin re-opens what the policy closed",
		"answer them at the gateway: unmatchedPreflights: IGNORE (Istio) or Deny (CORSPolicy, the default)"},
	{RuleShadowedPolicy, "shadowed-policy", Warning,
		"a CORS policy never applies: a more specific setting overrides it everywhere it attaches",
		"edits to it change nothing, which is how a fix gets made in the wrong place and never reaches production",
		"delete it, or set mergeStrategy: Union on the more specific policies if its lists should add up"},
	{RuleOverlappingOrigins, "overlapping-origins", Warning,
		"an origin entry is a duplicate of, or already admitted by, another entry of the same policy",
		"redundant entries hide what a policy really allows; removing the wrong one during review silently keeps the access",
		"remove the redundant entry"},
	{RuleUpstreamSendsCORS, "upstream-sends-cors", Warning,
		"a route with a gateway CORS policy routes to a Backend annotated " + UpstreamSendsCORSAnnotation + `: "true"`,
		"corsgate answers preflights itself and strips the backend's Access-Control-* headers, so two policies exist and only the gateway's is real",
		"keep one source of truth: remove the gateway policy from the route, or remove CORS from the backend and the annotation"},
	{RuleConflictingPolicies, "conflicting-policies", Warning,
		"two CORSPolicies target the same object at the same level; one is ignored there",
		"which one applies depends on creation time, so a re-created object silently changes the policy",
		"merge the two policies, or target different sections"},
	{RuleTargetNotFound, "target-not-found", Warning,
		"a CORSPolicy targetRef names an object that does not exist",
		"the policy attaches to nothing, so the routes it was meant for answer without it",
		"fix the name, namespace or sectionName"},
	{RuleCORSHeaderInModifier, "cors-header-in-modifier", Warning,
		"a header modifier filter sets an Access-Control-* header",
		"on a route without a CORS policy it is sent to every origin; on one with a policy corsgate removes it",
		"configure a CORS filter or CORSPolicy instead"},
	{RuleConfigError, "config-error", Error,
		"the translator refused part of the configuration",
		"`corsgate run` refuses to start (or reload) with this error, so nothing of this configuration is served",
		"see the message"},
	{RuleConfigWarning, "config-warning", Warning,
		"the translator accepted the configuration with a warning",
		"the configuration does not do everything it seems to",
		"see the message"},
}

var ruleByID = func() map[string]*Rule {
	m := make(map[string]*Rule, len(rules))
	for i := range rules {
		m[rules[i].ID] = &rules[i]
	}
	return m
}()

// Rules returns every rule, sorted by ID.
func Rules() []Rule {
	out := append([]Rule(nil), rules...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// RuleByID returns the rule with that ID, or nil.
func RuleByID(id string) *Rule { return ruleByID[id] }
