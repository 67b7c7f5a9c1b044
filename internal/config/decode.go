package config

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	"github.com/corsgate/corsgate/api/v1alpha1"
)

// Limits on untrusted input. A file over maxFileSize is refused before it
// is parsed; a document nested deeper than maxDepth (aliases included) is
// refused; and YAML aliases may expand a file by at most maxAliasNodes
// values, which turns a "billion laughs" file into a quick error.
const (
	maxFileSize   = 8 << 20
	maxDepth      = 64
	maxAliasNodes = 250_000

	maxDocProblems = 100 // problems reported per document
)

// kindEntry is one apiVersion+kind the decoder turns into a typed value.
type kindEntry struct {
	apiVersion    string
	kind          string
	clusterScoped bool // no namespace: metadata.namespace is ignored
	new           func() any
}

// kinds is the registry of decodable kinds, in the order error messages
// list them. To support a new kind, add one line here.
var kinds = []kindEntry{
	{"gateway.networking.k8s.io/v1", "Gateway", false, func() any { return new(gwv1.Gateway) }},
	{"gateway.networking.k8s.io/v1", "HTTPRoute", false, func() any { return new(gwv1.HTTPRoute) }},
	{"gateway.networking.k8s.io/v1", "GatewayClass", true, func() any { return new(gwv1.GatewayClass) }},
	{"v1", "Secret", false, func() any { return new(corev1.Secret) }},
	{"v1", "ConfigMap", false, func() any { return new(corev1.ConfigMap) }},
	{"v1", "Namespace", true, func() any { return new(corev1.Namespace) }},
	{"v1", "Service", false, func() any { return new(corev1.Service) }},
	{"discovery.k8s.io/v1", "EndpointSlice", false, func() any { return new(discoveryv1.EndpointSlice) }},
	{"gateway.networking.k8s.io/v1", "ReferenceGrant", false, func() any { return new(gwv1.ReferenceGrant) }},
	{"gateway.networking.k8s.io/v1beta1", "ReferenceGrant", false, func() any { return new(gwv1beta1.ReferenceGrant) }},
	{v1alpha1.GroupVersion, "Backend", false, func() any { return new(v1alpha1.Backend) }},
	{v1alpha1.GroupVersion, "CORSPolicy", false, func() any { return new(v1alpha1.CORSPolicy) }},
	{v1alpha1.GroupVersion, "ProxySettings", false, func() any { return new(v1alpha1.ProxySettings) }},
	{v1alpha1.GroupVersion, "APIServerCORS", false, func() any { return new(v1alpha1.APIServerCORS) }},
	{"networking.istio.io/v1", "Gateway", false, newIstioGateway},
	{"networking.istio.io/v1", "VirtualService", false, newIstioVirtualService},
	{"networking.istio.io/v1beta1", "Gateway", false, newIstioGateway},
	{"networking.istio.io/v1beta1", "VirtualService", false, newIstioVirtualService},
	{"networking.istio.io/v1alpha3", "Gateway", false, newIstioGateway},
	{"networking.istio.io/v1alpha3", "VirtualService", false, newIstioVirtualService},
	{"plugin.flomesh.io/v1alpha1", "PluginConfig", false, newFSMPluginConfig},
	{"plugin.flomesh.io/v1alpha1", "Plugin", true, newFSMPlugin},
	{"plugin.flomesh.io/v1alpha1", "PluginChain", false, newFSMPluginChain},
	{"gateway.kgateway.dev/v1alpha1", "TrafficPolicy", false, newKgatewayTrafficPolicy},
	{"agentgateway.dev/v1alpha1", "AgentgatewayPolicy", false, newAgentgatewayPolicy},
}

// listAPIVersion and listKind name the wrapper whose items are decoded as
// objects of their own.
const (
	listAPIVersion = "v1"
	listKind       = "List"
)

// KnownKinds lists the decodable kinds as "apiVersion Kind", in registry
// order, followed by the List wrapper.
func KnownKinds() []string {
	out := make([]string, 0, len(kinds)+1)
	for _, k := range kinds {
		out = append(out, k.apiVersion+" "+k.kind)
	}
	return append(out, listAPIVersion+" "+listKind)
}

// supportedKinds renders the registry grouped by apiVersion:
// "gateway.networking.k8s.io/v1 Gateway, HTTPRoute; v1 Secret, ...".
func supportedKinds() string {
	var order []string
	byVersion := make(map[string][]string)
	for _, k := range append(slices.Clip(kinds), kindEntry{apiVersion: listAPIVersion, kind: listKind}) {
		if _, seen := byVersion[k.apiVersion]; !seen {
			order = append(order, k.apiVersion)
		}
		byVersion[k.apiVersion] = append(byVersion[k.apiVersion], k.kind)
	}
	groups := make([]string, len(order))
	for i, v := range order {
		groups[i] = v + " " + strings.Join(byVersion[v], ", ")
	}
	return strings.Join(groups, "; ")
}

func lookupKind(apiVersion, kind string) (kindEntry, bool) {
	for _, k := range kinds {
		if k.apiVersion == apiVersion && k.kind == kind {
			return k, true
		}
	}
	return kindEntry{}, false
}

// unknownKind explains an apiVersion+kind missing from the registry,
// pointing at the right apiVersion or spelling when it can.
func unknownKind(apiVersion, kind string) string {
	if kind == listKind {
		return fmt.Sprintf("kind List is not supported in apiVersion %q; use apiVersion %q", apiVersion, listAPIVersion)
	}
	var names []string
	for _, k := range kinds {
		if k.kind == kind {
			return fmt.Sprintf("kind %q is not supported in apiVersion %q; use apiVersion %q",
				kind, apiVersion, k.apiVersion)
		}
		names = append(names, k.kind)
	}
	msg := fmt.Sprintf("unknown kind %q in apiVersion %q", kind, apiVersion)
	if s := suggest(kind, append(names, listKind)); s != "" {
		return msg + fmt.Sprintf("; did you mean %q? (supported: %s)", s, supportedKinds())
	}
	return msg + "; supported: " + supportedKinds()
}

// Decode splits data (one file, multi-document YAML, "---" separated) into
// typed objects. It never panics. Problems are all the errors found, each
// located at FILE:LINE with the object's Kind, namespace, name and the JSON
// path of the field. A document with an error yields no object; the other
// documents of the file are still decoded.
func Decode(file string, data []byte) ([]*Object, Problems) {
	var objs []*Object
	var probs Problems
	for _, u := range decodeUnits(file, data) {
		if u.obj != nil {
			objs = append(objs, u.obj)
		}
		probs = append(probs, u.probs...)
	}
	return objs, probs
}

// unit is the outcome of one document or List item: an object (possibly
// with warnings) or the problems that kept it out.
type unit struct {
	obj   *Object
	probs Problems
}

type decoder struct {
	file   string
	budget int // nodes the rest of the file may visit, aliases expanded
	units  []unit
}

func decodeUnits(file string, data []byte) []unit {
	if len(data) > maxFileSize {
		msg := fmt.Sprintf("file is %.1f MiB, more than the %d MiB limit; split it into several files",
			float64(len(data))/(1<<20), maxFileSize>>20)
		return []unit{{probs: Problems{{File: file, Message: msg}}}}
	}
	// Without aliases a document has fewer nodes than twice its bytes, so
	// only alias expansion can exhaust this budget.
	d := &decoder{file: file, budget: 2*len(data) + maxAliasNodes}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := parseNext(dec, &doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d.units = append(d.units, unit{probs: Problems{syntaxProblem(file, data, err)}})
			break
		}
		d.document(&doc)
	}
	return d.units
}

// parseNext reads the next document, turning a parser panic into an error
// so that Decode never panics.
func parseNext(dec *yaml.Decoder, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	return dec.Decode(doc)
}

// document decodes one parsed document: nothing for an empty or
// comment-only one, else an object or a List of objects.
func (d *decoder) document(doc *yaml.Node) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	if r := resolve(root); r.Kind == yaml.ScalarNode && r.ShortTag() == "!!null" {
		return
	}
	// Every later walk follows aliases and merges, so bound them first.
	if fe, ok := d.checkShape(root); !ok {
		d.fail(header{}, []fieldError{fe})
		return
	}
	d.object(root, false)
}

// checkShape walks the document once, aliases expanded, and stops at the
// first node deeper than maxDepth or when the file's node budget runs out.
// Alias cycles (an anchor used inside itself) hit the depth limit.
func (d *decoder) checkShape(root *yaml.Node) (fieldError, bool) {
	var fe fieldError
	var walk func(n *yaml.Node, depth int) bool
	walk = func(n *yaml.Node, depth int) bool {
		if depth > maxDepth {
			fe = fieldError{line: n.Line, msg: fmt.Sprintf(
				"values are nested more than %d levels deep (or an alias refers to itself); flatten the document", maxDepth)}
			return false
		}
		if d.budget--; d.budget < 0 {
			fe = fieldError{line: n.Line, msg: fmt.Sprintf(
				"aliases expand this file to more than %d values; repeat the values instead of nesting aliases", maxAliasNodes)}
			return false
		}
		if n.Kind == yaml.AliasNode {
			return n.Alias == nil || walk(n.Alias, depth+1)
		}
		for _, c := range n.Content {
			if !walk(c, depth+1) {
				return false
			}
		}
		return true
	}
	return fe, walk(root, 1)
}

// header is what identifies a document, read before its type is known.
type header struct {
	apiVersion, kind, name, namespace string
	nsLine                            int // line of a non-empty metadata.namespace, else 0
}

// readHeader reads apiVersion, kind, metadata.name and metadata.namespace
// from mapping m. Values of the wrong type are reported later by the
// type check; here they only count as missing.
func readHeader(m *yaml.Node) header {
	var h header
	text := func(n *yaml.Node) string {
		if n = resolve(n); n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
			return n.Value
		}
		return ""
	}
	if v := lookupKey(m, "apiVersion"); v != nil {
		h.apiVersion = text(v)
	}
	if v := lookupKey(m, "kind"); v != nil {
		h.kind = text(v)
	}
	if meta := lookupKey(m, "metadata"); meta != nil {
		if v := lookupKey(meta, "name"); v != nil {
			h.name = text(v)
		}
		if v := lookupKey(meta, "namespace"); v != nil {
			if h.namespace = text(v); h.namespace != "" {
				h.nsLine = v.Line
			}
		}
	}
	return h
}

// object decodes one document or List item n.
func (d *decoder) object(n *yaml.Node, inList bool) {
	m := resolve(n)
	what := "document"
	if inList {
		what = "List item"
	}
	if m.Kind != yaml.MappingNode {
		d.fail(header{}, []fieldError{{line: n.Line, msg: fmt.Sprintf(
			"%s is %s, not a mapping; write an object with apiVersion, kind and metadata", what, describe(m))}})
		return
	}
	h := readHeader(m)
	entry, known := lookupKind(h.apiVersion, h.kind)
	h = scope(h, entry)
	errs := headerErrors(m, h)
	switch {
	case h.apiVersion == "" || h.kind == "":
		d.fail(h, errs)
		return
	case h.kind == listKind && h.apiVersion == listAPIVersion && !inList:
		d.list(m, h)
		return
	case h.kind == listKind && inList:
		d.fail(h, append(errs, fieldError{"kind", keyLine(m, "kind"), "a List cannot contain a List; move its items up"}))
		return
	case !known:
		d.fail(h, append(errs, fieldError{"kind", keyLine(m, "kind"), unknownKind(h.apiVersion, h.kind)}))
		return
	}
	if h.name == "" {
		errs = append(errs, fieldError{"metadata.name", keyLine(m, "metadata"),
			"missing metadata.name; give the object a name"})
	}
	lines, lerrs := buildLines(m)
	c := &checker{}
	c.value(m, reflect.TypeOf(entry.new()), "")
	if errs = append(append(errs, lerrs...), c.errs...); len(errs) > 0 {
		d.fail(h, errs)
		return
	}
	d.materialize(m, entry, h, lines)
}

// headerErrors reports a missing apiVersion or kind.
func headerErrors(m *yaml.Node, h header) []fieldError {
	var errs []fieldError
	if h.apiVersion == "" {
		errs = append(errs, fieldError{"apiVersion", keyLine(m, "apiVersion"),
			"missing apiVersion; add one, for example apiVersion: gateway.networking.k8s.io/v1"})
	}
	if h.kind == "" {
		errs = append(errs, fieldError{"kind", keyLine(m, "kind"),
			"missing kind; add one of: " + supportedKinds()})
	}
	return errs
}

// keyLine is the line of key in mapping m, or of m when the key is absent.
func keyLine(m *yaml.Node, key string) int {
	for _, p := range pairs(m) {
		if k, ok := keyText(p.key); ok && k == key {
			return p.key.Line
		}
	}
	return m.Line
}

// scope applies namespace defaulting: "default" for namespaced kinds (and
// unknown ones, for messages), none for cluster-scoped kinds.
func scope(h header, entry kindEntry) header {
	switch {
	case entry.clusterScoped:
		h.namespace = ""
	case h.namespace == "":
		h.namespace = "default"
	}
	return h
}

// fail records a unit that produced no object, with at most
// maxDocProblems problems so a mistake repeated through aliases stays
// readable.
func (d *decoder) fail(h header, errs []fieldError) {
	slices.SortStableFunc(errs, func(a, b fieldError) int { return a.line - b.line })
	if n := len(errs); n > maxDocProblems {
		errs = append(errs[:maxDocProblems], fieldError{line: errs[maxDocProblems].line, msg: fmt.Sprintf(
			"%d more problems in this document are not shown; fix the ones above first", n-maxDocProblems)})
	}
	d.units = append(d.units, unit{probs: d.problems(h, SeverityError, errs)})
}

func (d *decoder) problems(h header, sev Severity, errs []fieldError) Problems {
	out := make(Problems, 0, len(errs))
	for _, e := range errs {
		out = append(out, Problem{Severity: sev, File: d.file, Line: e.line, Kind: h.kind,
			Namespace: h.namespace, Name: h.name, Field: e.field, Message: e.msg})
	}
	return out
}

// materialize decodes the checked document m into its typed value.
func (d *decoder) materialize(m *yaml.Node, entry kindEntry, h header, lines *fieldLines) {
	var buf bytes.Buffer
	writeJSON(&buf, m)
	v := entry.new()
	if err := json.Unmarshal(buf.Bytes(), v); err != nil {
		// The type check should have caught this; locate it anyway.
		d.fail(h, []fieldError{jsonError(m, err)})
		return
	}
	var warn []fieldError
	if entry.clusterScoped && h.nsLine > 0 {
		warn = append(warn, fieldError{"metadata.namespace", h.nsLine, fmt.Sprintf(
			"%s is cluster-scoped, so its namespace is ignored; remove metadata.namespace", entry.kind)})
	}
	if o, ok := v.(interface{ SetNamespace(string) }); ok {
		o.SetNamespace(h.namespace)
	}
	obj := &Object{File: d.file, Line: m.Line, APIVersion: entry.apiVersion, Kind: entry.kind,
		Namespace: h.namespace, Name: h.name, Value: v, lines: lines}
	d.units = append(d.units, unit{obj: obj, probs: d.problems(h, SeverityWarning, warn)})
}

// listDoc is the shape of a v1 List; items are checked one by one.
type listDoc struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		ResourceVersion    string `json:"resourceVersion,omitempty"`
		Continue           string `json:"continue,omitempty"`
		RemainingItemCount *int64 `json:"remainingItemCount,omitempty"`
		SelfLink           string `json:"selfLink,omitempty"`
	} `json:"metadata"`
	Items []any `json:"items"`
}

// list checks a List wrapper and decodes each item as its own document.
func (d *decoder) list(m *yaml.Node, h header) {
	w := &lineWalker{}
	w.checkKeys(m, "")
	c := &checker{}
	c.value(m, reflect.TypeOf(&listDoc{}), "")
	if errs := append(w.errs, c.errs...); len(errs) > 0 {
		d.fail(h, errs)
	}
	items := lookupKey(m, "items")
	if items == nil || resolve(items).Kind != yaml.SequenceNode {
		return // reported by the type check
	}
	for _, item := range resolve(items).Content {
		if r := resolve(item); r.Kind == yaml.ScalarNode && r.ShortTag() == "!!null" {
			continue
		}
		d.object(item, true)
	}
}

// checker walks a document alongside the Go type it decodes into and
// reports every unknown field and every value of the wrong type, each at
// its own line, so one run shows all mistakes instead of the first one
// encoding/json would stop at.
type checker struct {
	errs []fieldError
}

func (c *checker) add(field string, line int, msg string) {
	c.errs = append(c.errs, fieldError{field, line, msg})
}

func (c *checker) value(n *yaml.Node, t reflect.Type, path string) {
	line := n.Line // an alias is located where it is used
	n = resolve(n)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // null leaves the zero value, as in encoding/json
	}
	if isLeaf(t) {
		c.leaf(n, line, t, path)
		return
	}
	switch t.Kind() {
	case reflect.Interface:
		return // any value fits
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.mismatch(n, line, t, path)
			return
		}
		c.fields(n, t, path)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.mismatch(n, line, t, path)
			return
		}
		for _, p := range pairs(n) {
			if k, ok := keyText(p.key); ok {
				c.value(p.val, t.Elem(), joinKey(path, k))
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			c.bytes(n, line, path)
			return
		}
		if n.Kind != yaml.SequenceNode {
			c.mismatch(n, line, t, path)
			return
		}
		for i, item := range n.Content {
			c.value(item, t.Elem(), joinIndex(path, i))
		}
	default:
		c.scalar(n, line, t, path)
	}
}

// fields checks the keys of mapping n against the JSON fields of struct t.
func (c *checker) fields(n *yaml.Node, t reflect.Type, path string) {
	info := structFields(t)
	for _, p := range pairs(n) {
		k, ok := keyText(p.key)
		if !ok {
			continue // reported by the line walker
		}
		f, ok := info.byName[k]
		switch {
		case !ok:
			c.add(joinKey(path, k), p.key.Line, unknownField(k, info.names))
		case !f.quoted: // ",string" fields are left to encoding/json
			c.value(p.val, f.typ, joinKey(path, k))
		}
	}
}

func unknownField(name string, known []string) string {
	list := strings.Join(known, ", ")
	if s := suggest(name, known); s != "" {
		return fmt.Sprintf("unknown field %q; did you mean %q? (known fields: %s)", name, s, list)
	}
	return fmt.Sprintf("unknown field %q; remove it (known fields: %s)", name, list)
}

// leaf checks a value whose type decodes itself (metav1.Time,
// resource.Quantity, intstr.IntOrString, ...) by letting it do so.
func (c *checker) leaf(n *yaml.Node, line int, t reflect.Type, path string) {
	var buf bytes.Buffer
	writeJSON(&buf, n)
	if err := json.Unmarshal(buf.Bytes(), reflect.New(t).Interface()); err != nil {
		c.add(path, line, fmt.Sprintf("invalid value %s: %s; write a value in the format this field accepts",
			describe(n), strings.TrimPrefix(err.Error(), "json: ")))
	}
}

// bytes checks a []byte value: base64 text, as encoding/json expects.
func (c *checker) bytes(n *yaml.Node, line int, path string) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" && n.ShortTag() != "!!binary" {
		c.add(path, line, fmt.Sprintf("expected base64-encoded text, got %s; encode the value with base64", describe(n)))
		return
	}
	if _, err := base64.StdEncoding.DecodeString(n.Value); err != nil {
		c.add(path, line, fmt.Sprintf("expected base64-encoded text, got %s: %v; encode the value with base64 "+
			"(for a Secret, or put the plain text under stringData)", describe(n), err))
	}
}

// scalar checks a string, boolean or number against the YAML tag.
func (c *checker) scalar(n *yaml.Node, line int, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode {
		c.mismatch(n, line, t, path)
		return
	}
	tag := n.ShortTag()
	switch t.Kind() {
	case reflect.String:
		if tag == "!!int" || tag == "!!float" || tag == "!!bool" {
			c.mismatch(n, line, t, path)
		}
	case reflect.Bool:
		if tag != "!!bool" {
			c.mismatch(n, line, t, path)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		c.integer(n, line, t, path)
	case reflect.Float32, reflect.Float64:
		var f float64
		if tag != "!!int" && tag != "!!float" || n.Decode(&f) != nil {
			c.mismatch(n, line, t, path)
		} else if math.IsNaN(f) || math.IsInf(f, 0) || reflect.New(t).Elem().OverflowFloat(f) {
			c.add(path, line, fmt.Sprintf("number %s is out of range; write a finite number", n.Value))
		}
	}
}

// integer checks an integer value and its range for type t.
func (c *checker) integer(n *yaml.Node, line int, t reflect.Type, path string) {
	var v any
	if n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		c.mismatch(n, line, t, path)
		return
	}
	z := reflect.New(t).Elem()
	signed := z.CanInt()
	var bad bool
	switch x := v.(type) {
	case int:
		bad = signed && z.OverflowInt(int64(x)) || !signed && (x < 0 || z.OverflowUint(uint64(x)))
	case uint64:
		bad = signed || z.OverflowUint(x)
	default:
		bad = true
	}
	if !bad {
		return
	}
	bits := uint(t.Bits())
	lo, hi := "0", strconv.FormatUint(^uint64(0)>>(64-bits), 10)
	if signed {
		max := uint64(1)<<(bits-1) - 1
		lo, hi = "-"+strconv.FormatUint(max+1, 10), strconv.FormatUint(max, 10)
	}
	c.add(path, line, fmt.Sprintf("expected an integer from %s to %s, got %s; use a number in that range", lo, hi, n.Value))
}

// mismatch reports a value of the wrong shape or type, saying what t needs
// and how to write it.
func (c *checker) mismatch(n *yaml.Node, line int, t reflect.Type, path string) {
	var want, hint string
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		want, hint = "a mapping", "write key: value pairs indented under the field"
	case reflect.Slice, reflect.Array:
		want, hint = "a list", `write each item on its own line starting with "- "`
	case reflect.String:
		want, hint = "a string", "write text"
		if n.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf("quote it: %q", n.Value)
		}
	case reflect.Bool:
		want, hint = "true or false", "write true or false without quotes"
	case reflect.Float32, reflect.Float64:
		want, hint = "a number", "write a number such as 1.5"
	default:
		want, hint = "an integer", "write a number such as 8080"
		if n.ShortTag() == "!!float" {
			hint = "write a whole number such as 8080"
		}
	}
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0
	if n.Kind == yaml.ScalarNode && quoted && fits(n.Value, t.Kind()) {
		hint = "remove the quotes"
	}
	c.add(path, line, fmt.Sprintf("expected %s, got %s; %s", want, describe(n), hint))
}

// fits reports whether quoted text s would be a valid value of kind k
// without its quotes.
func fits(s string, k reflect.Kind) bool {
	var err error
	switch {
	case k == reflect.Bool:
		return s == "true" || s == "false"
	case k >= reflect.Int && k <= reflect.Uint64:
		_, err = strconv.ParseInt(s, 10, 64)
	case k == reflect.Float32 || k == reflect.Float64:
		_, err = strconv.ParseFloat(s, 64)
	default:
		return false
	}
	return err == nil
}

// structInfo is the JSON view of a struct type: field name -> Go type.
type structInfo struct {
	byName map[string]fieldInfo
	names  []string // sorted, for messages
}

type fieldInfo struct {
	typ    reflect.Type
	quoted bool // the ",string" option
}

var structCache sync.Map // reflect.Type -> *structInfo

// structFields lists the JSON fields of t the way encoding/json sees them:
// tag names, else Go names; "-" skipped; embedded structs without a tag
// name (json:",inline" in Kubernetes types) promoted, the outer field
// winning over a promoted one of the same name.
func structFields(t reflect.Type) *structInfo {
	if v, ok := structCache.Load(t); ok {
		return v.(*structInfo)
	}
	info := &structInfo{byName: make(map[string]fieldInfo)}
	addFields(info, t, 0)
	for name := range info.byName {
		info.names = append(info.names, name)
	}
	slices.Sort(info.names)
	v, _ := structCache.LoadOrStore(t, info)
	return v.(*structInfo)
}

func addFields(info *structInfo, t reflect.Type, depth int) {
	var embedded []reflect.Type
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				embedded = append(embedded, et)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := info.byName[name]; !dup {
			info.byName[name] = fieldInfo{typ: f.Type, quoted: slices.Contains(strings.Split(opts, ","), "string")}
		}
	}
	for _, et := range embedded {
		if depth < maxDepth {
			addFields(info, et, depth+1)
		}
	}
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// isLeaf reports whether t decodes itself, so its inside is not walked.
func isLeaf(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || p.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || p.Implements(textUnmarshaler)
}
