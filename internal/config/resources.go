package config

// Object is one decoded Kubernetes-style document together with where it
// came from, so every later finding can name FILE:LINE and the field.
type Object struct {
	File       string
	Line       int // line of the document's first key
	APIVersion string
	Kind       string
	Namespace  string // "default" when the document leaves it out
	Name       string
	// Value is a pointer to the typed object (for example *gwv1.Gateway).
	Value any

	lines *fieldLines // field path -> line; nil for objects not from YAML
}

// FieldLine returns the line of the field at path (JSON spelling with
// indexes, e.g. "spec.rules[0].filters[1].cors.allowOrigins[2]"). When that
// exact field is absent it falls back to the nearest ancestor that exists,
// and finally to the document's first line.
func (o *Object) FieldLine(path string) int {
	if o == nil {
		return 0
	}
	if o.lines != nil {
		if l := o.lines.lookup(path); l > 0 {
			return l
		}
	}
	return o.Line
}

// Problem builds a Problem located at the given field of o.
func (o *Object) Problem(sev Severity, field, msg string) Problem {
	return Problem{
		Severity:  sev,
		File:      o.File,
		Line:      o.FieldLine(field),
		Kind:      o.Kind,
		Namespace: o.Namespace,
		Name:      o.Name,
		Field:     field,
		Message:   msg,
	}
}

// Resources is the bundle of objects a source gathered, in load order.
type Resources struct {
	Objects []*Object
}
