package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func configMap(name string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
}

func names(res *Resources) string {
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.Name)
	}
	return strings.Join(out, " ")
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadOrderAndFilter(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"conf/b.yml":        configMap("b"),
		"conf/a.yaml":       configMap("a"),
		"conf/c.yaml.bak":   configMap("bak"),
		"conf/notes.txt":    configMap("txt"),
		"conf/sub/d.yaml":   configMap("sub"),
		"conf/e.yaml/f.yml": configMap("dir-named-yaml"),
		"first.txt":         configMap("explicit"), // named explicitly: read whatever its extension
	})
	res, probs := Load([]string{filepath.Join(dir, "first.txt"), filepath.Join(dir, "conf")})
	if len(probs) != 0 {
		t.Fatalf("problems:\n%v", probs)
	}
	if got, want := names(res), "explicit a b"; got != want {
		t.Errorf("objects %q, want %q", got, want)
	}
}

func TestLoadProblems(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"ok.yaml":    configMap("ok"),
		"bad.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\nspec: {}\n",
		"dup.yaml":   configMap("ok") + "---\n" + configMap("ok"),
		"empty/x.md": "not yaml",
	})
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, maxFileSize+1); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	res, probs := Load([]string{
		filepath.Join(dir, "ok.yaml"), missing, filepath.Join(dir, "bad.yaml"),
		filepath.Join(dir, "dup.yaml"), big, filepath.Join(dir, "empty"),
	})
	if got := names(res); got != "ok" {
		t.Errorf("objects %q, want only the first ok", got)
	}
	text := probs.Error()
	for _, want := range []string{
		missing + ": cannot read: no such file or directory; check the path",
		filepath.Join(dir, "bad.yaml") + `:4: ConfigMap default/bad: spec: unknown field "spec"`,
		filepath.Join(dir, "dup.yaml") + ":1: ConfigMap default/ok: duplicate object: ConfigMap default/ok is already defined at " +
			filepath.Join(dir, "ok.yaml") + ":1; remove one of them or give it another name",
		filepath.Join(dir, "dup.yaml") + ":6: ConfigMap default/ok: duplicate object",
		big + ": cannot read: file is larger than the 8 MiB limit; split it into several files",
		filepath.Join(dir, "empty") + ": warning: directory has no .yaml or .yml files",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems:\n%s\nwant a line containing:\n%s", text, want)
		}
	}
	if n := len(probs.Errors()); n != 5 {
		t.Errorf("got %d errors, want 5:\n%v", n, probs)
	}
}

func TestLoadUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.yaml")
	writeFiles(t, dir, map[string]string{"secret.yaml": configMap("x")})
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	_, probs := Load([]string{dir})
	if want := path + ": cannot read: permission denied; check the path and its permissions"; probs.Error() != want {
		t.Errorf("problems:\n%v\nwant:\n%s", probs, want)
	}
}

func TestLoadBytes(t *testing.T) {
	class := "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: c%s}\n"
	res, probs := LoadBytes([]NamedBytes{
		{"one.yaml", []byte(configMap("x") + "---\n" + strings.Replace(class, "%s", "", 1))},
		// Same name, other kind or namespace: distinct objects.
		{"two.yaml", []byte(strings.Replace(configMap("x"), "x\n", "x\n  namespace: two\n", 1) +
			"---\napiVersion: v1\nkind: Secret\nmetadata: {name: x}\n")},
		// A cluster-scoped kind ignores namespaces, so this is the same class.
		{"three.yaml", []byte(strings.Replace(class, "%s", ", namespace: elsewhere", 1))},
	})
	if got, want := names(res), "x c x x"; got != want {
		t.Errorf("objects %q, want %q", got, want)
	}
	errs := probs.Errors()
	want := "three.yaml:1: GatewayClass c: duplicate object: GatewayClass c is already defined at one.yaml:6"
	if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), want) {
		t.Errorf("errors:\n%v\nwant one starting with:\n%s", errs, want)
	}
	if res, probs := LoadBytes(nil); len(res.Objects) != 0 || len(probs) != 0 {
		t.Errorf("LoadBytes(nil) = %v, %v", res.Objects, probs)
	}
}
