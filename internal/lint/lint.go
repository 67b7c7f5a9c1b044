package lint

import (
	"sort"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// Finding is one problem found by a rule.
type Finding struct {
	Rule     string   `json:"rule"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	// Object is "Kind namespace/name"; for an object converted from a
	// foreign kind it also names the object as written.
	Object string `json:"object,omitempty"`
	// Field is the path inside the object, e.g. spec.rules[0].filters[0].cors.allowOrigins[1].
	Field string `json:"field,omitempty"`
	// Message says what is wrong, concretely.
	Message string `json:"message"`
	// Why is the rule's one line on the consequence.
	Why string `json:"why"`
	// Fix says what to do, as concretely as the rule can.
	Fix string `json:"fix"`
	// Translator is what `corsgate run` itself reports for the same
	// field, when it does (the translator's own diagnostic).
	Translator string `json:"translator,omitempty"`

	source string // identity of the object as the user wrote it
	fromIR bool   // from a translator Problem (not a lint rule of its own)
}

// Summary counts findings by severity.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
}

// Report is the result of linting one configuration set.
type Report struct {
	Findings []Finding `json:"findings"`
	Summary  Summary   `json:"summary"`
}

// HasErrors reports whether any finding is an error.
func (r *Report) HasErrors() bool { return r.Summary.Errors > 0 }

// IDs returns the distinct rule IDs found, sorted.
func (r *Report) IDs() []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range r.Findings {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			out = append(out, f.Rule)
		}
	}
	sort.Strings(out)
	return out
}

// Run loads paths (files or directories, as `corsgate run -c`) and lints
// them.
func Run(paths []string) *Report {
	res, probs := config.Load(paths)
	return Lint(res, probs)
}

// Lint translates res with config.Translate and lints the result;
// loadProblems are the problems config.Load reported for res.
func Lint(res *config.Resources, loadProblems config.Problems) *Report {
	snap, tp := config.Translate(res, config.Options{})
	l := newLinter(res, snap)
	for _, p := range append(append(config.Problems(nil), loadProblems...), tp...) {
		l.problem(p)
	}
	for _, s := range l.sites() {
		l.checkSite(s)
	}
	l.checkShadowed()
	l.checkUpstreamCORS()
	return l.report()
}

// linter carries one Lint call.
type linter struct {
	snap     *ir.Snapshot
	objects  []*config.Object                  // after conversion
	sourceOf map[*config.Object]*config.Object // converted object -> as written
	byID     map[string]*config.Object         // "Kind ns/name" -> converted object
	origin   map[string]string                 // "Kind ns/name" of a converted object -> of its source
	found    []Finding
}

func newLinter(res *config.Resources, snap *ir.Snapshot) *linter {
	l := &linter{
		snap: snap, sourceOf: map[*config.Object]*config.Object{},
		byID: map[string]*config.Object{}, origin: map[string]string{},
	}
	convs, _ := config.ConvertEach(res) // Translate already reported its problems
	for _, c := range convs {
		for _, o := range c.Objects {
			l.objects = append(l.objects, o)
			l.sourceOf[o] = c.Source
			id := objectID(o.Kind, o.Namespace, o.Name)
			if _, dup := l.byID[id]; !dup {
				l.byID[id] = o
			}
			if c.Converted {
				l.origin[id] = objectID(c.Source.Kind, c.Source.Namespace, c.Source.Name)
			}
		}
	}
	return l
}

func objectID(kind, ns, name string) string {
	if name == "" {
		return kind
	}
	if ns == "" {
		return kind + " " + name
	}
	return kind + " " + ns + "/" + name
}

// describe names an object for a finding, with its source when converted.
func (l *linter) describe(kind, ns, name string) (object, source string) {
	id := objectID(kind, ns, name)
	if src, ok := l.origin[id]; ok {
		return id + " (converted from " + src + ")", src
	}
	return id, id
}

// add records a finding of rule at o's field.
func (l *linter) add(rule string, sev Severity, o *config.Object, field, msg, fix string) {
	r := ruleByID[rule]
	obj, src := l.describe(o.Kind, o.Namespace, o.Name)
	if fix == "" {
		fix = r.Fix
	}
	l.found = append(l.found, Finding{
		Rule: rule, Name: r.Name, Severity: sev, File: o.File, Line: o.FieldLine(field),
		Object: obj, Field: field, Message: msg, Why: r.Why, Fix: fix, source: src,
	})
}

// codeRules maps the translator's and the engine's warning codes to rules.
var codeRules = map[string]string{
	string(policy.WarnReflectAnyOriginWithCredentials): RuleCredentialedAnyOrigin,
	string(policy.WarnLookalikeOrigin):                 RuleLookalikeOrigin,
	config.WarnUnanchoredOrigin:                        RuleUnanchoredPattern,
	string(policy.WarnInsecureOriginWithCredentials):   RuleInsecureOrigin,
	string(policy.WarnOriginNormalized):                RuleNonCanonicalOrigin,
	string(policy.WarnOriginNeverMatches):              RuleNonCanonicalOrigin,
	config.CodeConflicted:                              RuleConflictingPolicies,
	config.CodeTargetNotFound:                          RuleTargetNotFound,
	"CORSHeaderInModifier":                             RuleCORSHeaderInModifier,
}

// problem turns one translator (or loader) problem into a finding.
func (l *linter) problem(p config.Problem) {
	rule, ok := codeRules[p.Code]
	sev := Warning
	switch {
	case p.Severity == config.SeverityError:
		sev = Error
		if !ok {
			rule = RuleConfigError
		}
	case !ok:
		rule = RuleConfigWarning
	case p.Code == string(policy.WarnInsecureOriginWithCredentials):
		sev = Error // the rule's own severity with credentials
	case p.Code == string(policy.WarnReflectAnyOriginWithCredentials):
		sev = Warning // reached only through dangerouslyAllowAnyOriginWithCredentials
		if p.Kind != "CORSPolicy" {
			sev = Error // the HTTPRoute CORS filter accepts it without an opt-in
		}
	case p.Code == string(policy.WarnLookalikeOrigin):
		sev = Error
	}
	r := ruleByID[rule]
	obj, src := l.describe(p.Kind, p.Namespace, p.Name)
	l.found = append(l.found, Finding{
		Rule: rule, Name: r.Name, Severity: sev, File: p.File, Line: p.Line,
		Object: obj, Field: p.Field, Message: p.Message, Why: r.Why, Fix: r.Fix,
		source: src, fromIR: true,
	})
}

// report merges findings about the same thing and sorts them.
func (l *linter) report() *Report {
	fs := mergeSameField(l.found)
	fs = dropConvertedDuplicates(fs, l.origin)
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Field < b.Field
	})
	rep := &Report{Findings: fs}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	for _, f := range fs {
		switch f.Severity {
		case Error:
			rep.Summary.Errors++
		case Warning:
			rep.Summary.Warnings++
		default:
			rep.Summary.Infos++
		}
	}
	return rep
}

// mergeSameField folds findings about one field into one: a lint rule's
// finding absorbs the translator's problem on the same field (the
// translator's text is kept in Translator, and an error stays an error),
// and two findings of one rule on one field become one.
func mergeSameField(in []Finding) []Finding {
	type key struct {
		file, object, field string
		line                int
	}
	own := map[key][]int{} // lint-rule findings by location
	var out []Finding
	for _, f := range in {
		if f.fromIR || f.Field == "" {
			continue
		}
		k := key{f.File, f.Object, f.Field, f.Line}
		merged := false
		for _, i := range own[k] {
			if out[i].Rule == f.Rule {
				out[i].Severity = min(out[i].Severity, f.Severity)
				merged = true
			}
		}
		if !merged {
			own[k] = append(own[k], len(out))
			out = append(out, f)
		}
	}
	for _, f := range in {
		if !f.fromIR && f.Field != "" {
			continue
		}
		idx := own[key{f.File, f.Object, f.Field, f.Line}]
		if !f.fromIR || len(idx) == 0 {
			out = append(out, f)
			continue
		}
		// Prefer the finding of the same rule; else an uncategorised
		// problem is claimed by the first lint finding on the field.
		target := -1
		for _, i := range idx {
			if out[i].Rule == f.Rule {
				target = i
			}
		}
		if target < 0 && (f.Rule == RuleConfigError || f.Rule == RuleConfigWarning) {
			target = idx[0]
		}
		if target < 0 {
			out = append(out, f)
			continue
		}
		out[target].Severity = min(out[target].Severity, f.Severity)
		if out[target].Translator == "" {
			out[target].Translator = f.Message
		}
	}
	return out
}

// dropConvertedDuplicates keeps, for an object converted from a foreign
// kind, the converter's finding on the object as written (it points at
// the exact line) and drops the same rule's findings on the converted
// object.
func dropConvertedDuplicates(in []Finding, origin map[string]string) []Finding {
	onSource := map[string]bool{} // rule + source identity
	for _, f := range in {
		if f.Object == f.source {
			onSource[f.Rule+"|"+f.source] = true
		}
	}
	out := in[:0]
	for _, f := range in {
		if f.Object != f.source && onSource[f.Rule+"|"+f.source] {
			continue
		}
		out = append(out, f)
	}
	return out
}
