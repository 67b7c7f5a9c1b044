package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// NamedBytes is one in-memory file for LoadBytes: a name used in
// problems, and its content.
type NamedBytes struct {
	Name string
	Data []byte
}

// Load reads each path: a file, or a directory whose *.yaml and *.yml
// files are read in lexical order (not recursively). Paths are read in the
// order given. A missing path or unreadable file is a problem naming it,
// and so is the same object (apiVersion group, kind, namespace, name)
// defined twice anywhere in the inputs. Callers treat any error-severity
// problem as fatal.
func Load(paths []string) (*Resources, Problems) {
	var files []NamedBytes
	var probs Problems
	for _, p := range paths {
		got, ps := readPath(p)
		files = append(files, got...)
		probs = append(probs, ps...)
	}
	res, ps := LoadBytes(files)
	return res, append(probs, ps...)
}

// LoadBytes is Load for in-memory files, such as the embedded default
// configuration: the same rules, files decoded in the order given.
func LoadBytes(files []NamedBytes) (*Resources, Problems) {
	res := &Resources{}
	var probs Problems
	type identity struct{ group, kind, namespace, name string }
	first := make(map[identity]*Object)
	for _, f := range files {
		objs, ps := Decode(f.Name, f.Data)
		probs = append(probs, ps...)
		for _, o := range objs {
			group, _, _ := strings.Cut(o.APIVersion, "/")
			if !strings.Contains(o.APIVersion, "/") {
				group = "" // the core group, as in apiVersion "v1"
			}
			id := identity{group, o.Kind, o.Namespace, o.Name}
			if prev, dup := first[id]; dup {
				probs = append(probs, duplicate(o, prev))
				continue
			}
			first[id] = o
			res.Objects = append(res.Objects, o)
		}
	}
	return res, probs
}

// duplicate reports o, located at its own document, naming where prev
// defined the same object first.
func duplicate(o, prev *Object) Problem {
	return o.Problem(SeverityError, "", fmt.Sprintf(
		"duplicate object: %s is already defined at %s:%d; remove one of them or give it another name",
		identityText(o), prev.File, prev.Line))
}

func identityText(o *Object) string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// readPath reads a file, or the *.yaml and *.yml files of a directory.
func readPath(path string) ([]NamedBytes, Problems) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, Problems{readProblem(path, err)}
	}
	if !info.IsDir() {
		data, err := readFile(path)
		if err != nil {
			return nil, Problems{readProblem(path, err)}
		}
		return []NamedBytes{{path, data}}, nil
	}
	entries, err := os.ReadDir(path) // sorted by name
	if err != nil {
		return nil, Problems{readProblem(path, err)}
	}
	var files []NamedBytes
	var probs Problems
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if ext != ".yaml" && ext != ".yml" {
			continue
		}
		name := filepath.Join(path, e.Name())
		if st, err := os.Stat(name); err == nil && st.IsDir() {
			continue // not recursive
		}
		data, err := readFile(name)
		if err != nil {
			probs = append(probs, readProblem(name, err))
			continue
		}
		files = append(files, NamedBytes{name, data})
	}
	if len(files) == 0 && len(probs) == 0 {
		probs = append(probs, Problem{Severity: SeverityWarning, File: path,
			Message: "directory has no .yaml or .yml files; add some or pass another path"})
	}
	return files, probs
}

// errTooLarge is returned by readFile for files over maxFileSize.
var errTooLarge = fmt.Errorf("file is larger than the %d MiB limit", maxFileSize>>20)

// readFile reads at most maxFileSize bytes, so a huge file or a device
// does not exhaust memory.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, errTooLarge
	}
	return data, nil
}

// readProblem names the path and says what to do about err.
func readProblem(path string, err error) Problem {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is already in the problem
	}
	hint := "check the path and its permissions"
	switch {
	case errors.Is(err, fs.ErrNotExist):
		hint = "check the path"
	case errors.Is(err, errTooLarge):
		hint = "split it into several files"
	}
	return Problem{File: path, Message: fmt.Sprintf("cannot read: %v; %s", err, hint)}
}
