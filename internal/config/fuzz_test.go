package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileSeeds are inputs aimed at the parser's and decoder's limits.
var hostileSeeds = []string{
	"",
	"---\n---\n...\n",
	"a: &a [*a]\n",
	"a: &a {<<: *a}\n",
	"a: &a [x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n",
	strings.Repeat("[", 200) + strings.Repeat("]", 200),
	strings.Repeat("- ", 100) + "x\n",
	"apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: [{apiVersion: v1, kind: Secret}]}\n",
	"apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: 5}\ndata: {a: !!binary AAAA, b: ====}\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {? [a]: b, ~: c, 1: d}\n",
	"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec: {listeners: [{port: 0x1F}, {port: .inf}, {port: 99999999999999999999999}]}\n",
	"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: &m {name: g, <<: *m}\n",
	"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  creationTimestamp: !!timestamp 2001-12-14\n  <<: [{labels: {a: b}}, {labels: 3}]\n",
	"\xff\xfe\x00a\x00:\x00 \x001",
	"a: \x01\n",
	"%YAML 1.2\n%YAML 1.2\n---\na: 1\n",
	"!!map {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}",
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: \"b\", a: c}\n",
}

func FuzzDecode(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("testdata/decode/*.yaml")
	more, _ := filepath.Glob("testdata/decode/*/*.y*ml")
	for _, name := range append(files, more...) {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		units := decodeUnits("fuzz.yaml", data)
		var nobj, nprob int
		for _, u := range units {
			checkUnit(t, u)
			if u.obj != nil {
				nobj++
			}
			nprob += len(u.probs)
		}
		objs, probs := Decode("fuzz.yaml", data)
		if len(objs) != nobj || len(probs) != nprob {
			t.Fatalf("Decode gave %d objects and %d problems; its units %d and %d", len(objs), len(probs), nobj, nprob)
		}
		if _, again := Decode("fuzz.yaml", data); again.Error() != probs.Error() {
			t.Fatalf("Decode is not deterministic:\n%v\n---\n%v", probs, again)
		}
	})
}

// checkUnit asserts the invariants of one document's (or List item's)
// outcome: an object without errors, or errors without an object; every
// problem located; the header read from YAML agreeing with the typed value.
func checkUnit(t *testing.T, u unit) {
	t.Helper()
	if u.obj != nil && u.probs.Err() != nil {
		t.Fatalf("one document gave an object and errors:\n%v", u.probs)
	}
	if u.obj == nil && u.probs.Err() == nil {
		t.Fatalf("one document gave neither an object nor an error: %v", u.probs)
	}
	for _, p := range u.probs {
		if p.File != "fuzz.yaml" || p.Line < 0 || p.Message == "" {
			t.Fatalf("badly located problem %#v", p)
		}
		_ = p.Error()
	}
	o := u.obj
	if o == nil {
		return
	}
	entry, known := lookupKind(o.APIVersion, o.Kind)
	if !known || o.Name == "" || o.Line < 1 || o.Value == nil || o.File != "fuzz.yaml" {
		t.Fatalf("incomplete object %+v", o)
	}
	if (o.Namespace == "") != entry.clusterScoped {
		t.Fatalf("%s %q has namespace %q", o.Kind, o.Name, o.Namespace)
	}
	meta, ok := o.Value.(interface {
		GetName() string
		GetNamespace() string
	})
	if !ok {
		t.Fatalf("typed value %T has no metadata", o.Value)
	}
	if meta.GetName() != o.Name || meta.GetNamespace() != o.Namespace {
		t.Fatalf("typed value disagrees with the header: %q/%q vs %q/%q",
			meta.GetNamespace(), meta.GetName(), o.Namespace, o.Name)
	}
	if l := o.FieldLine("metadata.name"); l < 1 {
		t.Fatalf("metadata.name has no line")
	}
}
