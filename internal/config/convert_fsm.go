package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/foreign/fsm"
	"github.com/corsgate/corsgate/api/v1alpha1"
)

// FSM / pipy: a PluginConfig of the cors-policy plugin becomes, per
// destination namespace, one CORSPolicy named like the PluginConfig whose
// targetRefs are the corsgate Backends named like the destinations (a
// Service becomes the Backend of the same name): the policy applies to
// every route rule that routes to them. Plugin and PluginChain objects
// convert to nothing; they are checked for consistency with the
// PluginConfigs.

func init() {
	registerConverter(fsm.GroupVersion, "PluginConfig", convertPluginConfig)
	registerConverter(fsm.GroupVersion, "Plugin", convertPlugin)
	registerConverter(fsm.GroupVersion, "PluginChain", convertPluginChain)
}

// Decoder constructors for the kinds table (decode.go).
func newFSMPluginConfig() any { return new(fsm.PluginConfig) }
func newFSMPlugin() any       { return new(fsm.Plugin) }
func newFSMPluginChain() any  { return new(fsm.PluginChain) }

// convertPlugin accepts the cors-policy Plugin (its pipy script is what
// corsgate implements natively) and refuses any other.
func convertPlugin(o *Object, all *Resources) ([]*Object, Problems) {
	c := &conv{o: o, all: all}
	if o.Name != fsm.CORSPluginName {
		c.errorf("spec.pipyscript", "Plugin %q runs a pipy script, and corsgate does not run pipy scripts; only the built-in %s plugin is supported (as a native CORS policy); remove this Plugin and the chains and configs that use it",
			o.Name, fsm.CORSPluginName)
	}
	return nil, c.probs
}

// convertPluginChain checks every listed plugin: cors-policy in an HTTP
// chain, and declared as a Plugin when the config declares Plugins.
func convertPluginChain(o *Object, all *Resources) ([]*Object, Problems) {
	pc := o.Value.(*fsm.PluginChain)
	c := &conv{o: o, all: all}
	declared := fsmPlugins(all)
	for i, ch := range pc.Spec.Chains {
		for j, p := range ch.Plugins {
			fp := fmt.Sprintf("spec.chains[%d].plugins[%d]", i, j)
			switch {
			case declared != nil && !slices.Contains(declared, p):
				c.errorf(fp, "plugin %q is not declared by any Plugin (declared: %s); fix the name or add the Plugin", p, strings.Join(declared, ", "))
			case p != fsm.CORSPluginName:
				c.errorf(fp, "plugin %q is not supported by corsgate, which implements only %s; remove it from the chain", p, fsm.CORSPluginName)
			case ch.Name != "inbound-http" && ch.Name != "outbound-http":
				c.errorf(fmt.Sprintf("spec.chains[%d].name", i), "%s only runs in an HTTP chain, and FSM never runs it in chain %q; use inbound-http", p, ch.Name)
			}
		}
	}
	return nil, c.probs
}

// fsmPlugins lists the names of the declared Plugins, nil when none is.
func fsmPlugins(all *Resources) []string {
	var names []string
	for _, o := range all.Objects {
		if o.APIVersion == fsm.GroupVersion && o.Kind == "Plugin" {
			names = append(names, o.Name)
		}
	}
	return names
}

// chainsList reports whether any PluginChain exists and whether one lists
// plugin.
func chainsList(all *Resources, plugin string) (anyChain, listed bool) {
	for _, o := range all.Objects {
		pc, ok := o.Value.(*fsm.PluginChain)
		if !ok {
			continue
		}
		anyChain = true
		for _, ch := range pc.Spec.Chains {
			listed = listed || slices.Contains(ch.Plugins, plugin)
		}
	}
	return anyChain, listed
}

func convertPluginConfig(o *Object, all *Resources) ([]*Object, Problems) {
	pc := o.Value.(*fsm.PluginConfig)
	c := &conv{o: o, all: all}
	if pc.Spec.Plugin != fsm.CORSPluginName {
		c.errorf("spec.plugin", "plugin %q is not supported by corsgate, which implements only %s; remove this PluginConfig", pc.Spec.Plugin, fsm.CORSPluginName)
		return nil, c.probs
	}
	if declared := fsmPlugins(all); declared != nil && !slices.Contains(declared, pc.Spec.Plugin) {
		c.errorf("spec.plugin", "plugin %q is not declared by any Plugin (declared: %s); add the Plugin or fix the name", pc.Spec.Plugin, strings.Join(declared, ", "))
	}
	if anyChain, listed := chainsList(all, pc.Spec.Plugin); anyChain && !listed {
		c.errorf("spec.plugin", "no PluginChain lists %q, so FSM would never run this configuration; add it to an inbound-http chain or remove this PluginConfig", pc.Spec.Plugin)
	}
	cfg, ok := c.fsmCORSConfig(pc.Spec.Config)
	if !ok {
		return nil, c.probs
	}
	spec := c.fsmPolicySpec(cfg)
	var out []*Object
	for _, ns := range c.fsmTargets(pc) {
		pol := &v1alpha1.CORSPolicy{TypeMeta: typeMeta(v1alpha1.GroupVersion, "CORSPolicy"), ObjectMeta: objectMeta(ns.namespace, pc.Name), Spec: spec}
		pol.Spec.TargetRefs = ns.refs
		c.checkFree(v1alpha1.GroupVersion, "CORSPolicy", ns.namespace, pc.Name)
		out = append(out, c.native(o.FieldLine("spec.config"), v1alpha1.GroupVersion, "CORSPolicy", ns.namespace, pc.Name, pol))
	}
	if c.failed() {
		return nil, c.probs
	}
	return out, c.probs
}

// fsmCORSConfig decodes spec.config strictly.
func (c *conv) fsmCORSConfig(raw json.RawMessage) (fsm.CORSConfig, bool) {
	var cfg fsm.CORSConfig
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		c.errorf("spec.config", "config is required for %s; set at least allowOrigins", fsm.CORSPluginName)
		return cfg, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&cfg)
	if err == nil {
		return cfg, true
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te) && te.Field != "":
		c.errorf("spec.config."+te.Field, "expected %s, got a %s; see the cors-policy fields: allowOrigins [{exact|prefix|regex}], allowCredentials, allowMethods, allowHeaders, exposeHeaders, maxAge", te.Type, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		known := []string{"allowOrigins", "allowCredentials", "allowMethods", "allowHeaders", "exposeHeaders", "maxAge", "exact", "prefix", "regex"}
		msg := unknownField(name, known)
		c.errorf("spec.config", "%s", strings.Replace(msg, "unknown field", "unknown cors-policy field", 1))
	default:
		c.errorf("spec.config", "invalid cors-policy config: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return cfg, false
}

// fsmPolicySpec converts the cors-policy config into CORSPolicy fields.
func (c *conv) fsmPolicySpec(cfg fsm.CORSConfig) v1alpha1.CORSPolicySpec {
	s := v1alpha1.CORSPolicySpec{
		AllowMethods: cfg.AllowMethods, AllowHeaders: cfg.AllowHeaders, ExposeHeaders: cfg.ExposeHeaders,
		AllowCredentials: cfg.AllowCredentials,
	}
	for i, m := range cfg.AllowOrigins {
		fp := fmt.Sprintf("spec.config.allowOrigins[%d]", i)
		n := 0
		for _, v := range []string{m.Exact, m.Prefix, m.Regex} {
			if v != "" {
				n++
			}
		}
		if n != 1 {
			c.errorf(fp, "set exactly one of exact, prefix or regex")
			continue
		}
		if m.Regex != "" {
			if _, err := regexp.Compile(m.Regex); err != nil {
				c.errorf(fp+".regex", "%q is not an RE2 regular expression (corsgate does not support JavaScript-only syntax such as lookaheads or backreferences): %v; rewrite it in RE2 syntax", m.Regex, err)
				continue
			}
			if ex := lookalikeOrigin(m.Regex, m.Regex); ex != "" {
				c.warnf(fp+".regex", WarnUnanchoredOrigin,
					"FSM (pipy) tests %q anywhere in the origin and so lets in %s; corsgate matches the whole origin and refuses it. If that origin must work, widen the regex to the whole origin", m.Regex, ex)
			}
		}
		s.AllowOrigins = append(s.AllowOrigins, v1alpha1.OriginMatch{Exact: m.Exact, Prefix: m.Prefix, Regex: m.Regex})
	}
	if cfg.MaxAge != "" {
		d, err := time.ParseDuration(cfg.MaxAge)
		if err != nil || d < 0 {
			c.errorf("spec.config.maxAge", "maxAge %q is not a duration; write e.g. \"24h\", \"3600s\" or \"1m30s\"", cfg.MaxAge)
		}
		s.MaxAge = &v1alpha1.Duration{Duration: d}
	}
	return s
}

type fsmNamespaceTargets struct {
	namespace string
	refs      []v1alpha1.PolicyTargetReference
}

// fsmTargets groups destinationRefs by namespace as Backend targetRefs.
func (c *conv) fsmTargets(pc *fsm.PluginConfig) []fsmNamespaceTargets {
	if len(pc.Spec.DestinationRefs) == 0 {
		c.errorf("spec.destinationRefs", "destinationRefs is empty; name the Service (in corsgate: the Backend of that name) the policy applies to")
	}
	var out []fsmNamespaceTargets
	for i, d := range pc.Spec.DestinationRefs {
		fp := fmt.Sprintf("spec.destinationRefs[%d]", i)
		if d.Kind != "Service" && d.Kind != "Backend" {
			c.errorf(fp+".kind", "kind %q is not supported; use Service (the corsgate Backend of the same name) or Backend", d.Kind)
			continue
		}
		if d.Name == "" {
			c.errorf(fp+".name", "name is required; give the Service (or Backend) name")
			continue
		}
		ns := d.Namespace
		if ns == "" {
			ns = c.o.Namespace
		}
		ref := v1alpha1.PolicyTargetReference{Group: v1alpha1.GroupName, Kind: "Backend", Name: gwv1.ObjectName(d.Name)}
		k := slices.IndexFunc(out, func(t fsmNamespaceTargets) bool { return t.namespace == ns })
		if k < 0 {
			out = append(out, fsmNamespaceTargets{namespace: ns})
			k = len(out) - 1
		}
		if !slices.Contains(out[k].refs, ref) {
			out[k].refs = append(out[k].refs, ref)
		}
	}
	return out
}
