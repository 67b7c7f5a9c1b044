package config

// Conversion is one input object and what Convert makes of it: the native
// objects a foreign object converts to (Converted true), or the object
// itself when it is native.
type Conversion struct {
	Source    *Object
	Converted bool
	Objects   []*Object
}

// ConvertEach is Convert keeping track of which input object each output
// object comes from (`corsgate convert` writes a comment per converted
// object naming its source). Flattening the Objects of the result, in
// order, gives exactly Convert's output.
func ConvertEach(res *Resources) ([]Conversion, Problems) {
	if res == nil {
		return nil, nil
	}
	out := make([]Conversion, 0, len(res.Objects))
	var problems Problems
	for _, o := range res.Objects {
		conv := converterFor(o)
		if conv == nil {
			out = append(out, Conversion{Source: o, Objects: []*Object{o}})
			continue
		}
		objs, ps := conv(o, res)
		problems = append(problems, ps...)
		out = append(out, Conversion{Source: o, Converted: true, Objects: objs})
	}
	return out, problems
}
