package config

import (
	"time"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/ir"
)

// maxSettingDuration bounds every configured timeout: a longer one is
// almost certainly a unit mistake ("600" meant as seconds is fine, but
// "600h" is not a request timeout).
const maxSettingDuration = 24 * time.Hour

// settings validates the ProxySettings object, if any. Only one may exist.
func (t *translator) settings() *ir.Settings {
	var out *ir.Settings
	var first *Object
	for _, o := range t.proxySettings {
		if first != nil {
			t.errorf(o, "metadata.name", "a configuration may hold only one ProxySettings and %s already sets them; merge the two", source(first, "metadata.name"))
			continue
		}
		first = o
		out = t.settingsOf(o)
	}
	return out
}

func (t *translator) settingsOf(o *Object) *ir.Settings {
	ps := o.Value.(*v1alpha1.ProxySettings)
	s := &ir.Settings{Source: source(o, "spec")}
	dur := func(field string, d *v1alpha1.Duration, dst *ir.Duration) {
		if d == nil {
			return
		}
		if d.Duration <= 0 || d.Duration > maxSettingDuration {
			t.errorf(o, field, "%s is out of range; use a duration above 0 and at most 24h, e.g. \"30s\"", d.Duration)
			return
		}
		*dst = ir.Duration(d.Duration)
	}
	num := func(field string, v *int32, lo, hi int, dst *int) {
		if v == nil {
			return
		}
		if int(*v) < lo || int(*v) > hi {
			t.errorf(o, field, "%d is out of range; use %d to %d", *v, lo, hi)
			return
		}
		*dst = int(*v)
	}
	if sv := ps.Spec.Server; sv != nil {
		dur("spec.server.readHeaderTimeout", sv.ReadHeaderTimeout, &s.ReadHeaderTimeout)
		dur("spec.server.idleTimeout", sv.IdleTimeout, &s.IdleTimeout)
		num("spec.server.maxHeaderBytes", sv.MaxHeaderBytes, 1024, 1<<20, &s.MaxHeaderBytes)
	}
	if up := ps.Spec.Upstream; up != nil {
		dur("spec.upstream.connectTimeout", up.ConnectTimeout, &s.UpstreamConnectTimeout)
		dur("spec.upstream.responseHeaderTimeout", up.ResponseHeaderTimeout, &s.UpstreamResponseHeaderTimeout)
		dur("spec.upstream.timeout", up.Timeout, &s.UpstreamTimeout)
		num("spec.upstream.maxIdleConnsPerBackend", up.MaxIdleConnsPerBackend, 1, 10000, &s.MaxIdleConnsPerBackend)
	}
	return s
}
