package lint

import (
	"fmt"
	"time"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/config"
)

// Origin entry forms, as the engine's Spec lists them.
const (
	formOrigin = "origin" // an exact or wildcard origin, or "*"
	formPrefix = "prefix"
	formRegex  = "regex"
)

// entry is one value as written, with its YAML path.
type entry struct {
	field string
	value string
	form  string // for origins
}

// site is one CORS setting as the user wrote it: a CORS filter of an
// HTTPRoute (rule or backendRef) or a CORSPolicy (native or converted).
// Lint rules that judge values read sites, so that each finding points at
// the exact entry.
type site struct {
	obj   *config.Object
	field string // path of the setting: "spec.rules[0].filters[1].cors" or "spec"

	origins       []entry
	methods       []entry
	allowHeaders  []entry
	exposeHeaders []entry
	creds         bool
	dangerous     bool // dangerouslyAllowAnyOriginWithCredentials

	maxAgeSet   bool
	maxAge      int64 // seconds
	maxAgeField string

	forward      bool
	forwardField string
}

// sites lists every CORS setting of the (converted) objects.
func (l *linter) sites() []*site {
	var out []*site
	for _, o := range l.objects {
		switch v := o.Value.(type) {
		case *gwv1.HTTPRoute:
			out = append(out, routeSites(o, v)...)
		case *v1alpha1.CORSPolicy:
			out = append(out, policySite(o, &v.Spec))
		}
	}
	return out
}

func routeSites(o *config.Object, hr *gwv1.HTTPRoute) []*site {
	var out []*site
	add := func(fp string, filters []gwv1.HTTPRouteFilter) {
		for j, f := range filters {
			if f.Type == gwv1.HTTPRouteFilterCORS && f.CORS != nil {
				out = append(out, filterSite(o, fmt.Sprintf("%s[%d].cors", fp, j), f.CORS))
			}
		}
	}
	for i, r := range hr.Spec.Rules {
		fp := fmt.Sprintf("spec.rules[%d]", i)
		add(fp+".filters", r.Filters)
		for k, br := range r.BackendRefs {
			add(fmt.Sprintf("%s.backendRefs[%d].filters", fp, k), br.Filters)
		}
	}
	return out
}

func filterSite(o *config.Object, fp string, f *gwv1.HTTPCORSFilter) *site {
	s := &site{obj: o, field: fp}
	for i, v := range f.AllowOrigins {
		s.origins = append(s.origins, entry{fmt.Sprintf("%s.allowOrigins[%d]", fp, i), string(v), formOrigin})
	}
	for i, v := range f.AllowMethods {
		s.methods = append(s.methods, entry{field: fmt.Sprintf("%s.allowMethods[%d]", fp, i), value: string(v)})
	}
	for i, v := range f.AllowHeaders {
		s.allowHeaders = append(s.allowHeaders, entry{field: fmt.Sprintf("%s.allowHeaders[%d]", fp, i), value: string(v)})
	}
	for i, v := range f.ExposeHeaders {
		s.exposeHeaders = append(s.exposeHeaders, entry{field: fmt.Sprintf("%s.exposeHeaders[%d]", fp, i), value: string(v)})
	}
	s.creds = f.AllowCredentials != nil && *f.AllowCredentials
	// The filter's maxAge is an int32 whose zero value means "not set"
	// (the Gateway API default of 5 s): only other values are judged.
	if f.MaxAge != 0 {
		s.maxAgeSet, s.maxAge, s.maxAgeField = true, int64(f.MaxAge), fp+".maxAge"
	}
	return s
}

func policySite(o *config.Object, ps *v1alpha1.CORSPolicySpec) *site {
	s := &site{obj: o, field: "spec"}
	for i, m := range ps.AllowOrigins {
		fp := fmt.Sprintf("spec.allowOrigins[%d]", i)
		switch {
		case m.Value != "":
			s.origins = append(s.origins, entry{fp, m.Value, formOrigin})
		case m.Exact != "" && m.Prefix == "" && m.Regex == "":
			s.origins = append(s.origins, entry{fp + ".exact", m.Exact, formOrigin})
		case m.Prefix != "" && m.Exact == "" && m.Regex == "":
			s.origins = append(s.origins, entry{fp + ".prefix", m.Prefix, formPrefix})
		case m.Regex != "" && m.Exact == "" && m.Prefix == "":
			s.origins = append(s.origins, entry{fp + ".regex", m.Regex, formRegex})
		}
	}
	list := func(name string, vals []string) []entry {
		var out []entry
		for i, v := range vals {
			out = append(out, entry{field: fmt.Sprintf("spec.%s[%d]", name, i), value: v})
		}
		return out
	}
	s.methods = list("allowMethods", ps.AllowMethods)
	s.allowHeaders = list("allowHeaders", ps.AllowHeaders)
	s.exposeHeaders = list("exposeHeaders", ps.ExposeHeaders)
	s.creds = ps.AllowCredentials != nil && *ps.AllowCredentials
	s.dangerous = ps.DangerouslyAllowAnyOriginWithCredentials
	if ps.MaxAge != nil {
		s.maxAgeSet, s.maxAge, s.maxAgeField = true, int64(ps.MaxAge.Duration/time.Second), "spec.maxAge"
	}
	if ps.UnmatchedPreflights == v1alpha1.UnmatchedPreflightsForward {
		s.forward, s.forwardField = true, "spec.unmatchedPreflights"
	}
	return s
}
