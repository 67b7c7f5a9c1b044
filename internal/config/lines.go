package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// fieldLines maps the JSON field paths of one document ("metadata.name",
// "spec.listeners[0].port", "data[nginx.conf]") to source lines: the line
// of the key for a mapping entry, the line of the value for a list item.
type fieldLines struct {
	m map[string]int
}

// lookup returns the line of path, or of its nearest ancestor present in
// the document, or 0 when not even the first segment is present.
func (f *fieldLines) lookup(path string) int {
	if f == nil {
		return 0
	}
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := f.m[p]; ok {
			return l
		}
	}
	return 0
}

// parentPath drops the last segment of a field path: "a.b[0]" -> "a.b",
// "a.b" -> "a", "a" -> "". It always returns a shorter string.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i >= 0 {
			return p[:i]
		}
		return ""
	}
	i := strings.LastIndexAny(p, ".]")
	switch {
	case i < 0:
		return ""
	case p[i] == ']':
		return p[:i+1]
	}
	return p[:i]
}

// joinKey appends a mapping key to a field path. Keys that are not plain
// identifiers use the Kubernetes field.Path spelling "parent[key]", so a
// ConfigMap key like "nginx.conf" stays one segment.
func joinKey(path, key string) string {
	if !isIdent(key) {
		return path + "[" + key + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// joinIndex appends a list index to a field path.
func joinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '$') {
			return false
		}
	}
	return true
}

// fieldError is a problem inside one document before the object's Kind and
// name are attached.
type fieldError struct {
	field string
	line  int
	msg   string
}

// lineWalker records the line of every field path of a document and the
// structural problems no Go type is needed to see: duplicate keys, keys
// that are not scalars, and merge keys (<<) that do not name mappings.
type lineWalker struct {
	lines   map[string]int
	errs    []fieldError
	checked map[*yaml.Node]bool // mappings already checked (aliases share them)
}

// buildLines walks the document root n. The caller has bounded its depth
// and alias expansion (see checkShape).
func buildLines(n *yaml.Node) (*fieldLines, []fieldError) {
	w := &lineWalker{lines: make(map[string]int), checked: make(map[*yaml.Node]bool)}
	w.walk(n, "")
	return &fieldLines{m: w.lines}, w.errs
}

func (w *lineWalker) walk(n *yaml.Node, path string) {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		if !w.checked[n] {
			w.checked[n] = true
			w.checkKeys(n, path)
		}
		for _, p := range pairs(n) {
			k, ok := keyText(p.key)
			if !ok {
				continue
			}
			child := joinKey(path, k)
			w.lines[child] = p.key.Line
			w.walk(p.val, child)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			child := joinIndex(path, i)
			w.lines[child] = item.Line
			w.walk(item, child)
		}
	}
}

// checkKeys reports duplicate and non-scalar keys and malformed merges of
// one mapping.
func (w *lineWalker) checkKeys(m *yaml.Node, path string) {
	seen := make(map[string]int)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if isMerge(k) {
			if !mergeable(v) {
				w.errs = append(w.errs, fieldError{path, k.Line,
					"merge key << needs a mapping or a list of mappings; point it at an anchored mapping (<<: *name)"})
			}
			continue
		}
		text, ok := keyText(k)
		if !ok {
			w.errs = append(w.errs, fieldError{path, k.Line,
				"mapping key is not a plain value; write keys as text"})
			continue
		}
		field := joinKey(path, text)
		if first, dup := seen[text]; dup {
			w.errs = append(w.errs, fieldError{field, k.Line,
				"duplicate key " + strconv.Quote(text) + " (first at line " + strconv.Itoa(first) + "); keep only one"})
			continue
		}
		seen[text] = k.Line
	}
}

// pair is one key/value entry of a YAML mapping.
type pair struct{ key, val *yaml.Node }

// pairs returns the entries of mapping m with merge keys (<<) expanded:
// explicit keys win over merged ones, and earlier merge sources win over
// later ones, as the YAML merge-key spec says. Malformed merges are
// skipped here and reported by checkKeys.
func pairs(m *yaml.Node) []pair {
	out := make([]pair, 0, len(m.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if isMerge(k) {
			merges = append(merges, v)
			continue
		}
		out = append(out, pair{k, v})
	}
	if len(merges) == 0 {
		return out
	}
	seen := make(map[string]bool, len(out))
	for _, p := range out {
		if k, ok := keyText(p.key); ok {
			seen[k] = true
		}
	}
	for _, src := range mergeSources(merges) {
		for _, p := range pairs(src) {
			if k, ok := keyText(p.key); ok && !seen[k] {
				seen[k] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// mergeSources flattens merge values (a mapping or a list of mappings) to
// the mappings they name.
func mergeSources(vals []*yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	for _, v := range vals {
		v = resolve(v)
		switch v.Kind {
		case yaml.MappingNode:
			out = append(out, v)
		case yaml.SequenceNode:
			for _, item := range v.Content {
				if item = resolve(item); item.Kind == yaml.MappingNode {
					out = append(out, item)
				}
			}
		}
	}
	return out
}

func mergeable(v *yaml.Node) bool {
	v = resolve(v)
	switch v.Kind {
	case yaml.MappingNode:
		return true
	case yaml.SequenceNode:
		for _, item := range v.Content {
			if resolve(item).Kind != yaml.MappingNode {
				return false
			}
		}
		return true
	}
	return false
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge"
}

// keyText returns the text of a scalar key (through an alias).
func keyText(k *yaml.Node) (string, bool) {
	k = resolve(k)
	if k.Kind != yaml.ScalarNode {
		return "", false
	}
	return k.Value, true
}

// resolve follows aliases to the anchored node. yaml.v3 never anchors an
// alias, but the loop is bounded anyway.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; i < 8 && n.Kind == yaml.AliasNode && n.Alias != nil; i++ {
		n = n.Alias
	}
	return n
}

// lookupKey returns the value of key in mapping n (merges included), or nil.
func lookupKey(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for _, p := range pairs(n) {
		if k, ok := keyText(p.key); ok && k == key {
			return p.val
		}
	}
	return nil
}

// findDotted returns the first node matching a dotted path that has no
// list indexes (as encoding/json reports them), searching every item of
// the lists on the way, or nil.
func findDotted(n *yaml.Node, parts []string, depth int) *yaml.Node {
	n = resolve(n)
	switch {
	case len(parts) == 0:
		return n
	case depth > maxDepth:
		return nil
	case n.Kind == yaml.SequenceNode:
		for _, item := range n.Content {
			if found := findDotted(item, parts, depth+1); found != nil {
				return found
			}
		}
		return nil
	}
	v := lookupKey(n, parts[0])
	if v == nil {
		return nil
	}
	if len(parts) == 1 {
		return v
	}
	return findDotted(v, parts[1:], depth+1)
}

// syntaxProblem locates a yaml.v3 parse error. yaml.v3 says "line N" for
// most errors, but N is 0-based for parser (as opposed to scanner) errors,
// and it leaves the line out when N is 0 and for a few reader errors,
// which are located here by scanning the input.
func syntaxProblem(file string, data []byte, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil && n > 0 {
				line, msg = n, after
				if isParserError(msg) {
					line++
				}
			}
		}
	} else if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		name = strings.TrimSuffix(name, "' referenced")
		if i := bytes.Index(data, []byte("*"+name)); i >= 0 {
			line = lineAt(data, i)
		}
	} else if i := badByte(data); i >= 0 && !isParserError(msg) {
		line = lineAt(data, i)
	}
	return Problem{File: file, Line: line,
		Message: "invalid YAML: " + msg + "; fix the syntax here (later documents in this file were not read)"}
}

// isParserError reports whether msg is one of yaml.v3's parser (not
// scanner) problems, whose line numbers are 0-based.
func isParserError(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'", "did not find expected ',' or '}'",
		"did not find expected '-' indicator", "did not find expected <document start>",
		"did not find expected <stream-start>", "did not find expected key",
		"did not find expected node content", "found duplicate %TAG directive",
		"found duplicate %YAML directive", "found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

func lineAt(data []byte, offset int) int {
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}

// badByte returns the offset of the first invalid UTF-8 sequence or
// control character, or -1.
func badByte(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return i
		}
		i += size
	}
	return -1
}

// jsonError locates an encoding/json error. UnmarshalTypeError names the
// field as a dotted path without list indexes; the first node matching it
// gives the line.
func jsonError(root *yaml.Node, err error) fieldError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		line := root.Line
		if te.Field != "" {
			if n := findDotted(root, strings.Split(te.Field, "."), 0); n != nil {
				line = n.Line
			}
		}
		return fieldError{te.Field, line, fmt.Sprintf("expected %s, got %s; fix the value's type", te.Type, te.Value)}
	}
	return fieldError{"", root.Line, "cannot decode: " + strings.TrimPrefix(err.Error(), "json: ") + "; fix the value"}
}

// writeJSON writes the JSON form of n: merges expanded, scalars typed as
// YAML 1.2 resolves them, anything JSON cannot hold (NaN, timestamps,
// binary, custom tags) as the source text.
func writeJSON(b *bytes.Buffer, n *yaml.Node) {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		b.WriteByte('{')
		for i, p := range pairs(n) {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := keyText(p.key)
			writeJSONString(b, k)
			b.WriteByte(':')
			writeJSON(b, p.val)
		}
		b.WriteByte('}')
	case yaml.SequenceNode:
		b.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, item)
		}
		b.WriteByte(']')
	case yaml.ScalarNode:
		writeScalar(b, n)
	default:
		b.WriteString("null")
	}
}

func writeScalar(b *bytes.Buffer, n *yaml.Node) {
	switch n.ShortTag() {
	case "!!null":
		b.WriteString("null")
		return
	case "!!bool", "!!int", "!!float":
		var v any
		if n.Decode(&v) == nil {
			if out, err := json.Marshal(v); err == nil {
				b.Write(out)
				return
			}
		}
	}
	writeJSONString(b, n.Value)
}

func writeJSONString(b *bytes.Buffer, s string) {
	out, _ := json.Marshal(s) // a string always marshals
	b.Write(out)
}

// describe renders a node for messages: `string "eighty"`, "integer 80",
// "a mapping". Long text is cut.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:40]) + "..."
	}
	switch tag := n.ShortTag(); tag {
	case "!!str":
		return "string " + strconv.Quote(v)
	case "!!int":
		return "integer " + v
	case "!!float":
		return "number " + v
	case "!!bool":
		return "boolean " + v
	case "!!null":
		return "null"
	default:
		return fmt.Sprintf("%s %q", tag, v)
	}
}

// suggest returns the candidate closest to name when it is close enough
// to be a likely typo (a case difference, or an edit distance of 1, or 2
// for names of 6 characters or more), else "".
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	limit := 1
	if len(name) >= 6 {
		limit = 2
	}
	lname := strings.ToLower(name)
	for _, c := range candidates {
		d := editDistance(lname, strings.ToLower(c))
		if d <= limit && d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b)) // not worth comparing
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
