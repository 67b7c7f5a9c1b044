package config

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// filterSet is what a rule's or backendRef's filters compile to.
type filterSet struct {
	cors *ir.CORS
	req  *ir.HeaderModifier
	resp *ir.HeaderModifier
}

// filters checks a filter list with the Gateway API's own rules (at most
// one filter of each kind; the field matching type must be set) and
// compiles the supported ones.
func (t *translator) filters(o *Object, fp string, list []gwv1.HTTPRouteFilter) filterSet {
	var fs filterSet
	seen := map[gwv1.HTTPRouteFilterType]bool{}
	for i, f := range list {
		ffp := fmt.Sprintf("%s[%d]", fp, i)
		if seen[f.Type] && f.Type != gwv1.HTTPRouteFilterExtensionRef {
			t.errorf(o, ffp+".type", "%s filter cannot be repeated; merge the two into one", f.Type)
			continue
		}
		seen[f.Type] = true
		switch f.Type {
		case gwv1.HTTPRouteFilterCORS:
			if f.CORS == nil {
				t.errorf(o, ffp, "filter.cors must be specified for CORS filter.type")
				continue
			}
			fs.cors = t.compileCORS(o, ffp+".cors", f.CORS)
		case gwv1.HTTPRouteFilterRequestHeaderModifier:
			if f.RequestHeaderModifier == nil {
				t.errorf(o, ffp, "filter.requestHeaderModifier must be specified for RequestHeaderModifier filter.type")
				continue
			}
			fs.req = t.headerModifier(o, ffp+".requestHeaderModifier", f.RequestHeaderModifier, false)
		case gwv1.HTTPRouteFilterResponseHeaderModifier:
			if f.ResponseHeaderModifier == nil {
				t.errorf(o, ffp, "filter.responseHeaderModifier must be specified for ResponseHeaderModifier filter.type")
				continue
			}
			fs.resp = t.headerModifier(o, ffp+".responseHeaderModifier", f.ResponseHeaderModifier, true)
		default:
			t.errorf(o, ffp+".type", "filter type %q is not supported by corsgate yet; supported: CORS, RequestHeaderModifier, ResponseHeaderModifier", f.Type)
			continue
		}
		t.checkFilterFields(o, ffp, f)
	}
	return fs
}

// checkFilterFields enforces "filter.X must be nil if the filter.type is
// not X" for the fields corsgate knows.
func (t *translator) checkFilterFields(o *Object, fp string, f gwv1.HTTPRouteFilter) {
	set := map[gwv1.HTTPRouteFilterType]bool{
		gwv1.HTTPRouteFilterCORS:                   f.CORS != nil,
		gwv1.HTTPRouteFilterRequestHeaderModifier:  f.RequestHeaderModifier != nil,
		gwv1.HTTPRouteFilterResponseHeaderModifier: f.ResponseHeaderModifier != nil,
		gwv1.HTTPRouteFilterRequestRedirect:        f.RequestRedirect != nil,
		gwv1.HTTPRouteFilterURLRewrite:             f.URLRewrite != nil,
		gwv1.HTTPRouteFilterRequestMirror:          f.RequestMirror != nil,
	}
	for _, typ := range []gwv1.HTTPRouteFilterType{
		gwv1.HTTPRouteFilterCORS, gwv1.HTTPRouteFilterRequestHeaderModifier,
		gwv1.HTTPRouteFilterResponseHeaderModifier, gwv1.HTTPRouteFilterRequestRedirect,
		gwv1.HTTPRouteFilterURLRewrite, gwv1.HTTPRouteFilterRequestMirror,
	} {
		if set[typ] && typ != f.Type {
			t.errorf(o, fp, "the %s field is set but filter.type is %q; remove it or change the type", typ, f.Type)
		}
	}
}

// compileCORS turns an HTTPCORSFilter into a compiled policy, mapping the
// engine's field errors and warnings onto the YAML fields.
func (t *translator) compileCORS(o *Object, fp string, f *gwv1.HTTPCORSFilter) *ir.CORS {
	spec := policy.Spec{MaxAge: f.MaxAge}
	if f.AllowCredentials != nil {
		spec.AllowCredentials = *f.AllowCredentials
	}
	for _, v := range f.AllowOrigins {
		spec.AllowOrigins = append(spec.AllowOrigins, string(v))
	}
	for _, v := range f.AllowMethods {
		spec.AllowMethods = append(spec.AllowMethods, string(v))
	}
	for _, v := range f.AllowHeaders {
		spec.AllowHeaders = append(spec.AllowHeaders, string(v))
	}
	for _, v := range f.ExposeHeaders {
		spec.ExposeHeaders = append(spec.ExposeHeaders, string(v))
	}
	return t.compilePolicy(o, fp, spec)
}

// compilePolicy compiles spec and reports its problems at fp.
func (t *translator) compilePolicy(o *Object, fp string, spec policy.Spec) *ir.CORS {
	p, warns, err := policy.Compile(spec)
	for _, fe := range fieldErrors(err) {
		field := fp
		if fe.Field != "" {
			field += "." + fe.Field
		}
		msg := fe.Reason
		if fe.Value != "" {
			msg = fmt.Sprintf("%q: %s", fe.Value, fe.Reason)
		}
		if fe.Fix != "" {
			msg += "; " + fe.Fix
		}
		t.errorf(o, field, "%s", msg)
	}
	if err != nil {
		return nil
	}
	c := &ir.CORS{Policy: p, Spec: p.Spec(), Source: source(o, fp)}
	for _, w := range warns {
		field := fp
		if w.Field != "" {
			field += "." + w.Field
		}
		msg := w.Message
		if w.Value != "" {
			msg = fmt.Sprintf("%q: %s", w.Value, w.Message)
		}
		t.warnf(o, field, string(w.Code), "%s", msg)
		c.Warnings = append(c.Warnings, string(w.Code)+": "+w.String())
	}
	return c
}

// fieldErrors flattens the engine's joined errors.
func fieldErrors(err error) []*policy.FieldError {
	if err == nil {
		return nil
	}
	var out []*policy.FieldError
	var walk func(error)
	walk = func(e error) {
		var fe *policy.FieldError
		if errors.As(e, &fe) && fe == e {
			out = append(out, fe)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		out = append(out, &policy.FieldError{Reason: e.Error()})
	}
	walk(err)
	return out
}

// headerModifier compiles a Request/ResponseHeaderModifier.
func (t *translator) headerModifier(o *Object, fp string, m *gwv1.HTTPHeaderFilter, response bool) *ir.HeaderModifier {
	hm := &ir.HeaderModifier{}
	check := func(field, name string) (string, bool) {
		if !isToken(name) {
			t.errorf(o, field, "%q is not a valid header name; use letters, digits and !#$%%&'*+-.^_`|~", name)
			return "", false
		}
		c := textproto.CanonicalMIMEHeaderKey(name)
		if response && strings.HasPrefix(c, "Access-Control-") {
			t.warnf(o, field, "CORSHeaderInModifier",
				"%q is a CORS header: on a route with a CORS filter the gateway removes it, and without one it is sent to every origin; configure a CORS filter instead", name)
		}
		return c, true
	}
	values := func(list []gwv1.HTTPHeader, kind string) []ir.HeaderValue {
		var out []ir.HeaderValue
		for i, h := range list {
			field := fmt.Sprintf("%s.%s[%d]", fp, kind, i)
			name, ok := check(field+".name", string(h.Name))
			if !ok {
				continue
			}
			if strings.ContainsAny(h.Value, "\r\n\x00") {
				t.errorf(o, field+".value", "header value contains CR, LF or NUL; remove them")
				continue
			}
			out = append(out, ir.HeaderValue{Name: name, Value: h.Value})
		}
		return out
	}
	hm.Set = values(m.Set, "set")
	hm.Add = values(m.Add, "add")
	for i, n := range m.Remove {
		if c, ok := check(fmt.Sprintf("%s.remove[%d]", fp, i), n); ok {
			hm.Remove = append(hm.Remove, c)
		}
	}
	return hm
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}
