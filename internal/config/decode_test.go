package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	corev1 "k8s.io/api/core/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/corsgate/corsgate/api/v1alpha1"
)

// TestDecodeGolden decodes each testdata/decode/NAME.yaml (or loads each
// directory NAME/) and compares the summary with NAME.golden.
// Regenerate with: go test ./internal/config -run TestDecodeGolden -update
func TestDecodeGolden(t *testing.T) {
	entries, err := os.ReadDir("testdata/decode")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if e.IsDir() {
			name, ok = e.Name(), true
		}
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata/decode", e.Name())
			var objs []*Object
			var probs Problems
			if e.IsDir() {
				var res *Resources
				res, probs = Load([]string{path})
				objs = res.Objects
			} else {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				objs, probs = Decode(e.Name(), data)
			}
			checkGolden(t, filepath.Join("testdata/decode", name+".golden"), summarize(objs, probs))
		})
	}
}

// summarize renders decoded objects and problems, one per line.
func summarize(objs []*Object, probs Problems) []byte {
	var b bytes.Buffer
	for _, o := range objs {
		fmt.Fprintf(&b, "%s at %s:%d\n", identityText(o), filepath.ToSlash(o.File), o.Line)
	}
	for _, p := range probs {
		p.File = filepath.ToSlash(p.File)
		fmt.Fprintln(&b, p.Error())
	}
	if b.Len() == 0 {
		b.WriteString("(nothing)\n")
	}
	return b.Bytes()
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs; review and rerun with -update:\n--- got ---\n%s--- want ---\n%s", path, got, want)
	}
}

func decodeFile(t *testing.T, name string) []*Object {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata/decode", name))
	if err != nil {
		t.Fatal(err)
	}
	objs, probs := Decode(name, data)
	if probs.Err() != nil {
		t.Fatalf("unexpected problems:\n%v", probs)
	}
	return objs
}

func TestDecodeTypedValues(t *testing.T) {
	objs := decodeFile(t, "valid.yaml")
	if len(objs) != 6 {
		t.Fatalf("got %d objects, want 6", len(objs))
	}
	gc := objs[0].Value.(*gwv1.GatewayClass)
	if objs[0].Namespace != "" || gc.Namespace != "" || gc.Spec.ControllerName != "corsgate.dev/gateway" {
		t.Errorf("GatewayClass: namespace %q/%q, controller %q", objs[0].Namespace, gc.Namespace, gc.Spec.ControllerName)
	}
	gw := objs[1].Value.(*gwv1.Gateway)
	if objs[1].Namespace != "default" || gw.Namespace != "default" {
		t.Errorf("Gateway namespace: object %q, typed %q; want default", objs[1].Namespace, gw.Namespace)
	}
	if gw.Kind != "Gateway" || gw.APIVersion != "gateway.networking.k8s.io/v1" || gw.Spec.Listeners[1].Port != 8443 {
		t.Errorf("Gateway: %+v", gw)
	}
	route := objs[2].Value.(*gwv1.HTTPRoute)
	cors := route.Spec.Rules[0].Filters[0].CORS
	if route.Namespace != "shop" || cors == nil || cors.MaxAge != 600 || len(cors.AllowOrigins) != 2 ||
		cors.AllowCredentials == nil || !*cors.AllowCredentials {
		t.Errorf("HTTPRoute CORS filter: %+v", cors)
	}
	secret := objs[3].Value.(*corev1.Secret)
	if string(secret.Data["tls.crt"]) != "hello" || secret.StringData["note"] != "plain text" {
		t.Errorf("Secret data: %q, stringData: %q", secret.Data, secret.StringData)
	}
	backend := objs[4].Value.(*v1alpha1.Backend)
	if eps := backend.Spec.Endpoints; len(eps) != 3 || eps[0].IP.Port != 9000 || eps[2].Unix.Path != "/run/api.sock" {
		t.Errorf("Backend endpoints: %+v", eps)
	}
	cm := objs[5].Value.(*corev1.ConfigMap)
	if cm.Data["nginx.conf"] != "worker_processes 1;\n" || cm.Data["enabled"] != "true" {
		t.Errorf("ConfigMap data: %q", cm.Data)
	}
}

func TestFieldLine(t *testing.T) {
	objs := decodeFile(t, "valid.yaml")
	gw, route, cm := objs[1], objs[2], objs[5]
	tests := []struct {
		obj  *Object
		path string
		want int
	}{
		{gw, "metadata.name", 13},
		{gw, "spec.listeners[0]", 17},
		{gw, "spec.listeners[1].port", 22},
		{gw, "spec.listeners[1].tls.certificateRefs[0].name", 25},
		{gw, "spec.listeners[1].hostname", 20},    // absent: the listener
		{gw, "spec.listeners[7].port", 16},        // absent: the list
		{gw, "spec.infrastructure.labels[a]", 14}, // absent: spec
		{gw, "nothing.at.all", 10},                // absent: the document
		{gw, "", 10},                              // the document
		{route, "metadata.labels[app.kubernetes.io/name]", 36},
		{route, "spec.hostnames[0]", 41},
		{route, "spec.rules[0].filters[0].cors.allowOrigins[1]", 48},
		{route, "spec.rules[0].filters[0].cors.allowHeaders", 47}, // absent: cors
		{route, "spec.rules[0].filters[0].cors.maxAge", 51},
		{cm, "data[nginx.conf]", 84},
		{cm, "data[missing.key]", 83},
	}
	for _, tt := range tests {
		if got := tt.obj.FieldLine(tt.path); got != tt.want {
			t.Errorf("%s FieldLine(%q) = %d, want %d", tt.obj.Kind, tt.path, got, tt.want)
		}
	}
}

func TestParentPath(t *testing.T) {
	for in, want := range map[string]string{
		"a.b[0]":        "a.b",
		"a.b":           "a",
		"a":             "",
		"a[0][1]":       "a[0]",
		"data[x.y]":     "data",
		"data[x.y].z":   "data[x.y]",
		"labels[a/b.c]": "labels",
		"]":             "",
		"[":             "",
	} {
		if got := parentPath(in); got != want {
			t.Errorf("parentPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDecodeMessages pins the wording of the main messages.
func TestDecodeMessages(t *testing.T) {
	const gw = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw}\n"
	tests := []struct {
		name, in, want string
	}{
		{"port string", gw + "spec:\n  listeners:\n  - name: http\n    port: eighty\n",
			`f.yaml:7: Gateway default/gw: spec.listeners[0].port: expected an integer, got string "eighty"; write a number such as 8080`},
		{"port quoted", gw + "spec:\n  listeners:\n  - port: \"80\"\n",
			`f.yaml:6: Gateway default/gw: spec.listeners[0].port: expected an integer, got string "80"; remove the quotes`},
		{"port range", gw + "spec:\n  listeners:\n  - port: 3000000000\n",
			`spec.listeners[0].port: expected an integer from -2147483648 to 2147483647, got 3000000000; use a number in that range`},
		{"string from number", gw + "spec: {gatewayClassName: 12}\n",
			`f.yaml:4: Gateway default/gw: spec.gatewayClassName: expected a string, got integer 12; quote it: "12"`},
		{"list from string", gw + "spec: {listeners: http}\n",
			`spec.listeners: expected a list, got string "http"; write each item on its own line starting with "- "`},
		{"suggestion", gw + "spec: {gatewayClasName: x}\n",
			`spec.gatewayClasName: unknown field "gatewayClasName"; did you mean "gatewayClassName"? (known fields: `},
		{"case suggestion", gw + "Spec: {}\n",
			`f.yaml:4: Gateway default/gw: Spec: unknown field "Spec"; did you mean "spec"? (known fields: apiVersion, kind, metadata, spec, status)`},
		{"no suggestion", gw + "zzz: 1\n",
			`zzz: unknown field "zzz"; remove it (known fields: apiVersion, kind, metadata, spec, status)`},
		{"duplicate key", gw + "spec: {}\nspec: {}\n",
			`f.yaml:5: Gateway default/gw: spec: duplicate key "spec" (first at line 4); keep only one`},
		{"unknown kind", "apiVersion: x/v1\nkind: Foo\nmetadata: {name: f}\n",
			`f.yaml:2: Foo default/f: kind: unknown kind "Foo" in apiVersion "x/v1"; supported: gateway.networking.k8s.io/v1 Gateway, HTTPRoute, GatewayClass, ReferenceGrant; v1 Secret, ConfigMap, Namespace, Service, List; discovery.k8s.io/v1 EndpointSlice`},
		{"list apiVersion", "apiVersion: x/v1\nkind: List\nitems: []\n",
			`f.yaml:2: List: kind: kind List is not supported in apiVersion "x/v1"; use apiVersion "v1"`},
		{"quoted only", gw + "spec:\n  listeners:\n  - port: !!str 80\n",
			`got string "80"; write a number such as 8080`},
		{"missing name", "apiVersion: v1\nkind: Secret\n",
			`f.yaml:1: Secret: metadata.name: missing metadata.name; give the object a name`},
		{"non-mapping", "- a\n",
			`f.yaml:1: document is a list, not a mapping; write an object with apiVersion, kind and metadata`},
		{"syntax first line", "a: b: c\n",
			`f.yaml:1: invalid YAML: mapping values are not allowed in this context; fix the syntax here`},
		{"syntax later line", "a: 1\nb: [\n",
			`f.yaml:3: invalid YAML: did not find expected node content`},
		{"unknown anchor", "a: 1\nb: *nope\n",
			`f.yaml:2: invalid YAML: unknown anchor 'nope' referenced`},
		{"control character", "a: 1\nb: \x01\n",
			`f.yaml:2: invalid YAML: control characters are not allowed`},
		{"time leaf", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  creationTimestamp: soon\n",
			`f.yaml:5: Secret default/s: metadata.creationTimestamp: invalid value string "soon": parsing time`},
		{"bool", "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nimmutable: yes\n",
			`immutable: expected true or false, got string "yes"; write true or false without quotes`},
		{"list in list", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List}\n",
			`f.yaml:4: List: kind: a List cannot contain a List; move its items up`},
		{"list field", "apiVersion: v1\nkind: List\nitem: []\n",
			`f.yaml:3: List: item: unknown field "item"; did you mean "items"?`},
		{"wrong apiVersion", "apiVersion: gateway.networking.k8s.io/v1beta1\nkind: Gateway\nmetadata: {name: g}\n",
			`kind: kind "Gateway" is not supported in apiVersion "gateway.networking.k8s.io/v1beta1"; use apiVersion "gateway.networking.k8s.io/v1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objs, probs := Decode("f.yaml", []byte(tt.in))
			if len(objs) != 0 {
				t.Errorf("got %d objects, want none", len(objs))
			}
			if !strings.Contains(probs.Error(), tt.want) {
				t.Errorf("problems:\n%v\nwant a line containing:\n%s", probs, tt.want)
			}
		})
	}
}

func TestDecodeLimits(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 'b', 'a'; i <= 'j'; i, prev = i+1, i {
		laughs += fmt.Sprintf("%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
			i, i, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
	}
	deep := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata: " +
		strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n"
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"too large", bytes.Repeat([]byte("#"), maxFileSize+1), "f.yaml: file is 8.0 MiB, more than the 8 MiB limit"},
		{"billion laughs", []byte(laughs), "aliases expand this file to more than 250000 values"},
		{"deep", []byte(deep), "f.yaml:4: values are nested more than 64 levels deep"},
		{"alias cycle", []byte("a: &a [*a]\n"), "f.yaml:1: values are nested more than 64 levels deep"},
		{"merge cycle", []byte("a: &a {<<: *a}\n"), "f.yaml:1: values are nested more than 64 levels deep"},
		{"parser depth", []byte(strings.Repeat("[", 20000)), "invalid YAML"},
		{"many problems", manyFields(150),
			"f.yaml:104: ConfigMap default/m: 50 more problems in this document are not shown; fix the ones above first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, probs := Decode("f.yaml", tt.in)
			if !strings.Contains(probs.Error(), tt.want) {
				t.Errorf("problems:\n%v\nwant a line containing %q", probs, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestKnownKinds(t *testing.T) {
	got := strings.Join(KnownKinds(), ", ")
	for _, want := range []string{"gateway.networking.k8s.io/v1 HTTPRoute", "v1 Secret", "corsgate.dev/v1alpha1 Backend", "v1 List"} {
		if !strings.Contains(got, want) {
			t.Errorf("KnownKinds() = %s; missing %s", got, want)
		}
	}
	for _, k := range kinds {
		if v := k.new(); v == nil || structFields(reflectElem(v)).byName["metadata"].typ == nil {
			t.Errorf("%s %s: constructor does not build an object with metadata", k.apiVersion, k.kind)
		}
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"allowOrigins", "allowMethods", "maxAge", "type"}
	for in, want := range map[string]string{
		"alowOrigins":  "allowOrigins",
		"AllowOrigins": "allowOrigins",
		"maxage":       "maxAge",
		"typ":          "type",
		"tpye":         "", // a transposition is two edits; too far for 4 letters
		"colour":       "",
	} {
		if got := suggest(in, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestJSONError covers the fallback for errors the type check lets
// through: the dotted path is matched ignoring list indexes.
func TestJSONError(t *testing.T) {
	in := "spec:\n  listeners:\n  - name: a\n  - port: x\n"
	var doc struct {
		Spec struct {
			Listeners []struct {
				Port int `json:"port"`
			} `json:"listeners"`
		} `json:"spec"`
	}
	root := parseRoot(t, in)
	var buf bytes.Buffer
	writeJSON(&buf, root)
	err := json.Unmarshal(buf.Bytes(), &doc)
	if err == nil {
		t.Fatal("no error")
	}
	fe := jsonError(root, err)
	if fe.line != 4 || fe.field != "spec.listeners.port" || !strings.Contains(fe.msg, "expected int, got string") {
		t.Errorf("jsonError = %+v", fe)
	}
}

func reflectElem(v any) reflect.Type { return reflect.TypeOf(v).Elem() }

func parseRoot(t *testing.T, in string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(in), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0]
}

func manyFields(n int) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n")
	for i := range n {
		fmt.Fprintf(&b, "x%d: 1\n", i)
	}
	return b.Bytes()
}
