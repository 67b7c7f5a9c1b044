// Command crdpatch completes the CRDs that controller-gen writes for
// api/v1alpha1 with the schemas no kubebuilder marker can express. It is
// run by hack/gen-crds.sh; run that script rather than this command.
//
// Usage:
//
//	go run ./api/v1alpha1/internal/crdpatch DIR
//
// It rewrites every *.yaml CRD in DIR in place:
//
//   - a schema of type "corsgate-int-or-duration" (the placeholder set by
//     the Type marker on v1alpha1.Duration) becomes
//     x-kubernetes-int-or-string, the schema controller-gen writes for
//     intstr.IntOrString, with a maxLength that bounds the cost of the
//     field's own CEL rules, which are kept.
//   - a schema of type "corsgate-origin-match" (v1alpha1.OriginMatch)
//     becomes a string-or-object schema: see originMatch.
//   - CORSPolicy's spec gets the schema rule that refuses "*" (or any host)
//     with allowCredentials unless dangerouslyAllowAnyOriginWithCredentials
//     is true: see anyOriginWithCredentials.
//
// A placeholder left over, or a CRD shape it does not recognise, is an
// error, so a marker change cannot silently ship a CRD the API server
// refuses.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

const (
	typeIntOrDuration = "corsgate-int-or-duration"
	typeOriginMatch   = "corsgate-origin-match"
)

// durationMaxLength bounds a duration string ("1h30m15s" is 8 bytes).
const durationMaxLength = 64

// schema is one JSON Schema node as decoded from the CRD.
type schema = map[string]any

// originString is what a plain-string allowOrigins entry must look like:
// "*", or http(s)://host[:port] with an optional path (the engine drops a
// path with a warning). Printable ASCII only; no user information, query
// or fragment. The host itself is checked by the controller.
const originString = `^(\*|(?i:https?)://[!"$-.0->A-~]+(/[!"$->@-~]*)?)$`

// anyHostOrigin is a plain-string entry that admits every origin, or every
// host of a scheme and port: "*", "https://*", "http://*:8080".
const anyHostOrigin = `^(\*|(?i:https?)://\*(:[0-9]+)?(/[^?#]*)?)$`

// originMatch is the schema of one allowOrigins entry: the string forms,
// or an object with exactly one of exact, prefix, regex. CEL cannot see a
// value whose type is not fixed, so this is plain OpenAPI:
//
//   - pattern and maxLength apply to strings only;
//   - minProperties, maxProperties, properties and the anyOf of required
//     apply to objects only, and admit exactly one known key;
//   - the impossible ranges turn away numbers (minimum 1, maximum 0) and
//     arrays (minItems 1, maxItems 0), and "not enum" turns away booleans,
//     because corsgate's decoder refuses them and a single such object
//     would break every list call of a typed client.
func originMatch(description any) schema {
	str := func(maxLen int) schema {
		return schema{"type": "string", "minLength": 1, "maxLength": maxLen}
	}
	s := schema{
		"x-kubernetes-preserve-unknown-fields": true,
		"pattern":                              originString,
		"maxLength":                            2048,
		"minProperties":                        1,
		"maxProperties":                        1,
		"properties": schema{
			"exact":  str(2048),
			"prefix": str(2048),
			"regex":  str(1024),
		},
		"anyOf": []any{
			schema{"required": []any{"exact"}},
			schema{"required": []any{"prefix"}},
			schema{"required": []any{"regex"}},
		},
		"minimum":  1,
		"maximum":  0,
		"minItems": 1,
		"maxItems": 0,
		"not":      schema{"enum": []any{true, false}},
	}
	if description != nil {
		s["description"] = description
	} else {
		s["description"] = `An origin in the Gateway API string forms ("https://example.com", ` +
			`"https://*.example.com", "*"), or an object with exactly one of exact, prefix (a literal ` +
			`prefix of the origin) or regex (RE2, matched against the whole origin).`
	}
	return s
}

// anyOriginWithCredentials is valid when no plain-string origin admits
// every host, or allowCredentials is not true, or the opt-in is set. The
// engine refuses the combination unless the opt-in is set
// (internal/config compileLayer); prefixes and regexes that admit any
// host are left to the controller, which reports them in status.
func anyOriginWithCredentials() []any {
	return []any{
		// When every branch fails, the API server reports the errors of
		// the branch with the most passing checks (the first on a tie).
		// The two always-true checks per origin make it this one, so the
		// message names the opt-in: "spec" must validate at least one
		// schema (anyOf), spec.dangerouslyAllowAnyOriginWithCredentials:
		// Required value. Without them it would report the "*" entry
		// with only "must not validate the schema (not)".
		schema{
			"required": []any{"dangerouslyAllowAnyOriginWithCredentials"},
			"properties": schema{
				"dangerouslyAllowAnyOriginWithCredentials": schema{"enum": []any{true}},
				"allowOrigins": schema{"items": schema{"minLength": 0, "maxLength": 4096}},
			},
		},
		schema{"properties": schema{"allowCredentials": schema{"enum": []any{false}}}},
		schema{"properties": schema{"allowOrigins": schema{
			// No item is a string matching anyHostOrigin. maxProperties 0
			// keeps object entries, which pattern ignores, out of the match.
			"items": schema{"not": schema{"pattern": anyHostOrigin, "maxProperties": 0}},
		}}},
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: crdpatch DIR")
		os.Exit(2)
	}
	files, err := filepath.Glob(filepath.Join(os.Args[1], "*.yaml"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no *.yaml files in %s", os.Args[1])
	}
	for _, f := range files {
		if err != nil {
			break
		}
		err = patchFile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crdpatch:", err)
		os.Exit(1)
	}
}

func patchFile(path string) error {
	in, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := patch(in)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}

// patch rewrites one CRD document the way controller-gen writes it: JSON
// numbers kept exact, keys sorted, a leading "---".
func patch(in []byte) ([]byte, error) {
	j, err := yaml.YAMLToJSON(in)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var crd map[string]any
	if err := dec.Decode(&crd); err != nil {
		return nil, err
	}
	spec, _ := crd["spec"].(map[string]any)
	names, _ := spec["names"].(map[string]any)
	versions, _ := spec["versions"].([]any)
	if names == nil || len(versions) == 0 {
		return nil, errors.New("not a CustomResourceDefinition with versions")
	}
	for _, v := range versions {
		root := dig(v, "schema", "openAPIV3Schema")
		if root == nil {
			return nil, errors.New("a version has no openAPIV3Schema")
		}
		if err := walk(root, "", nil); err != nil {
			return nil, err
		}
		if names["kind"] == "CORSPolicy" {
			ps := dig(root, "properties", "spec")
			if dig(ps, "properties", "allowOrigins") == nil || dig(ps, "properties", "allowCredentials") == nil ||
				dig(ps, "properties", "dangerouslyAllowAnyOriginWithCredentials") == nil {
				return nil, errors.New("CORSPolicy spec lacks allowOrigins, allowCredentials or dangerouslyAllowAnyOriginWithCredentials; update crdpatch")
			}
			ps["anyOf"] = anyOriginWithCredentials()
		}
	}
	y, err := yaml.Marshal(crd)
	if err != nil {
		return nil, err
	}
	return append([]byte("---\n"), y...), nil
}

// walk replaces the placeholder types in s and below. path is for errors.
func walk(s schema, path string, parent schema) error {
	switch t, _ := s["type"].(string); {
	case t == typeIntOrDuration:
		delete(s, "type")
		s["x-kubernetes-int-or-string"] = true
		s["anyOf"] = []any{schema{"type": "integer"}, schema{"type": "string"}}
		// Bounds the cost of the fields' CEL rules; no duration is longer.
		s["maxLength"] = durationMaxLength
	case t == typeOriginMatch:
		for k := range s {
			if k != "type" && k != "description" {
				return fmt.Errorf("%s: unexpected %q next to the %s placeholder; put rules on the list, not its items", path, k, t)
			}
		}
		m := originMatch(s["description"])
		clear(s)
		for k, v := range m {
			s[k] = v
		}
		if parent == nil || parent["type"] != "array" {
			return fmt.Errorf("%s: OriginMatch is only supported as list items", path)
		}
	case strings.HasPrefix(t, "corsgate-"):
		return fmt.Errorf("%s: unknown placeholder type %q", path, t)
	}
	for _, k := range sortedKeys(s) {
		switch k {
		case "properties", "patternProperties", "definitions":
			sub, _ := s[k].(map[string]any)
			for _, name := range sortedKeys(sub) {
				if c, ok := sub[name].(map[string]any); ok {
					if err := walk(c, path+"."+name, s); err != nil {
						return err
					}
				}
			}
		case "items", "additionalProperties":
			if c, ok := s[k].(map[string]any); ok {
				if err := walk(c, path+"[]", s); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// dig follows keys through nested objects; nil when one is missing.
func dig(v any, keys ...string) schema {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	m, _ := v.(map[string]any)
	return m
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
