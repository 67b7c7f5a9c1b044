package config

import "sync"

// Foreign kinds (Istio VirtualService, kgateway TrafficPolicy, FSM
// PluginConfig, ...) are never translated by a second translator: Convert
// rewrites each into native objects (Gateway, HTTPRoute, CORSPolicy,
// Backend) that Translate then handles like any other. The same rewrite
// backs `corsgate convert`, so what a user gets from converting is exactly
// what corsgate serves.

// ConverterFunc rewrites one foreign object into native objects. all is
// the whole input (for cross-references). Converted objects should keep
// File and Line of the original so problems point at what the user wrote;
// problems about the foreign object itself use o.Problem with its own
// field paths.
type ConverterFunc func(o *Object, all *Resources) ([]*Object, Problems)

var (
	convertersMu sync.RWMutex
	converters   = map[string]ConverterFunc{} // "apiVersion Kind"
)

// registerConverter installs the converter for a foreign kind. It is called
// from init functions of the converter files only.
func registerConverter(apiVersion, kind string, fn ConverterFunc) {
	convertersMu.Lock()
	defer convertersMu.Unlock()
	converters[apiVersion+" "+kind] = fn
}

func converterFor(o *Object) ConverterFunc {
	convertersMu.RLock()
	defer convertersMu.RUnlock()
	return converters[o.APIVersion+" "+o.Kind]
}

// Convert returns res with every foreign object replaced by the native
// objects it converts to, in input order. Native objects pass through.
func Convert(res *Resources) (*Resources, Problems) {
	if res == nil {
		return nil, nil
	}
	out := &Resources{Objects: make([]*Object, 0, len(res.Objects))}
	var problems Problems
	for _, o := range res.Objects {
		conv := converterFor(o)
		if conv == nil {
			out.Objects = append(out.Objects, o)
			continue
		}
		objs, ps := conv(o, res)
		problems = append(problems, ps...)
		out.Objects = append(out.Objects, objs...)
	}
	return out, problems
}
