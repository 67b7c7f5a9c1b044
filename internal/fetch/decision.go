package fetch

import (
	"net/http"

	"github.com/corsgate/corsgate/internal/policy"
)

// FromDecision is the response corsgate's data plane produces for d, as a
// browser sees it, so that `corsgate explain` and tests can judge the
// gateway's own answer with the same rules as a live server's.
//
// A preflight decision carries its own status (204 or 403) and every
// Access-Control-* header; for an actual request the data plane forwards
// the request and adds Access-Control-Allow-Origin, -Credentials and
// -Expose-Headers to the backend's response, whose status is status and
// whose other headers are upstream (nil for none; ignored for a preflight,
// which never reaches the backend). The decision's Vary is
// appended for display; browsers do not check it.
func FromDecision(d *policy.Decision, status int, upstream http.Header) Response {
	h := http.Header{}
	if !d.Preflight && upstream != nil {
		h = upstream.Clone()
	}
	set := func(name string, v []string) {
		if v != nil {
			h[name] = append([]string(nil), v...)
		}
	}
	if d.Preflight {
		status = d.Status
		set(policy.HeaderAllowMethods, d.AllowMethods)
		set(policy.HeaderAllowHeaders, d.AllowHeaders)
		set(policy.HeaderMaxAge, d.MaxAge)
		set(policy.HeaderAllowPrivateNetwork, d.AllowPrivateNetwork)
	} else {
		for _, name := range policy.ResponseHeaderNames {
			h.Del(name)
		}
	}
	set(policy.HeaderAllowOrigin, d.AllowOrigin)
	set(policy.HeaderAllowCredentials, d.AllowCredentials)
	set(policy.HeaderExposeHeaders, d.ExposeHeaders)
	if d.Vary != nil {
		h[policy.HeaderVary] = append(h[policy.HeaderVary], d.Vary...)
	}
	return Response{Status: status, Header: h}
}
