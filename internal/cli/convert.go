package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/corsgate/corsgate/internal/config"
)

func newConvertCmd(_ *globalFlags) *cobra.Command {
	var paths []string
	var outDir string
	cmd := &cobra.Command{
		Use:   "convert -c PATH... [-o DIR]",
		Short: "Rewrite Istio, FSM and APIServerCORS resources as native Gateway API and corsgate YAML",
		Long: `Convert loads the configuration as run would and writes it back with every
foreign resource (Istio Gateway and VirtualService, FSM PluginConfig,
Plugin and PluginChain, corsgate APIServerCORS, ...) replaced by the native
Gateway, HTTPRoute, CORSPolicy and Backend objects corsgate serves for it.
Native objects are written unchanged. Each converted object is preceded by
a comment naming its source file, line and kind.

The output is exactly what corsgate runs: serving it gives the same
configuration as serving the input. Without -o it goes to stdout; with
-o DIR, one file per input file, same base name, into DIR. Problems are
printed as FILE:LINE: ...; on any error nothing is written and the exit
status is 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(paths) == 0 {
				return fmt.Errorf("give at least one -c PATH")
			}
			return runConvert(paths, outDir, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringArrayVarP(&paths, "config", "c", nil, "config file or directory of *.yaml (repeatable)")
	cmd.Flags().StringVarP(&outDir, "output-dir", "o", "", "write one file per input file into this directory instead of stdout")
	return cmd
}

// convertedFile is the output for one input file.
type convertedFile struct {
	source string
	docs   []string
}

func runConvert(paths []string, outDir string, stdout, stderr io.Writer) error {
	res, problems := config.Load(paths)
	var files []*convertedFile
	if problems.Err() == nil {
		convs, cp := config.ConvertEach(res)
		problems = append(problems, cp...)
		native := &config.Resources{}
		for _, c := range convs {
			native.Objects = append(native.Objects, c.Objects...)
		}
		_, tp := config.Translate(native, config.Options{})
		problems = append(problems, tp...)
		var err error
		if files, err = renderConversions(convs); err != nil {
			return err
		}
	}
	problems.Sort()
	for _, p := range problems {
		fmt.Fprintln(stderr, p.Error())
	}
	if problems.Err() != nil {
		fmt.Fprintf(stderr, "corsgate: %d error(s); nothing was written\n", len(problems.Errors()))
		return exitError{1}
	}
	if outDir == "" {
		for i, f := range files {
			if i > 0 {
				fmt.Fprintln(stdout, "---")
			}
			fmt.Fprint(stdout, f.text())
		}
		return nil
	}
	return writeConverted(files, outDir, stderr)
}

// renderConversions renders every object, grouped by source file in
// input order.
func renderConversions(convs []config.Conversion) ([]*convertedFile, error) {
	var files []*convertedFile
	byName := map[string]*convertedFile{}
	for _, c := range convs {
		f := byName[c.Source.File]
		if f == nil {
			f = &convertedFile{source: c.Source.File}
			byName[c.Source.File] = f
			files = append(files, f)
		}
		src := fmt.Sprintf("%s:%d: %s %s %s", c.Source.File, c.Source.Line, c.Source.APIVersion, c.Source.Kind, objectName(c.Source))
		if c.Converted && len(c.Objects) == 0 {
			f.docs = append(f.docs, "# Checked "+src+"; it converts to no object.\n")
			continue
		}
		for _, o := range c.Objects {
			body, err := marshalObject(o.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: render %s %s: %w", src, o.Kind, objectName(o), err)
			}
			comment := "# Unchanged from " + src + "\n"
			if c.Converted {
				comment = "# Converted from " + src + "\n"
			}
			f.docs = append(f.docs, comment+string(body))
		}
	}
	return files, nil
}

func objectName(o *config.Object) string {
	if o.Namespace == "" {
		return o.Name
	}
	return o.Namespace + "/" + o.Name
}

func (f *convertedFile) text() string {
	return "# corsgate convert: native configuration for " + f.source + "\n" + strings.Join(f.docs, "---\n")
}

// marshalObject renders a typed object as YAML without the fields that
// are output only (status, a null creationTimestamp), apiVersion, kind
// and metadata first.
func marshalObject(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		if ts, ok := md["creationTimestamp"]; ok && ts == nil {
			delete(md, "creationTimestamp")
		}
	}
	// apiVersion, kind and metadata first, as people write them.
	var out []byte
	for _, part := range []map[string]any{
		{"apiVersion": m["apiVersion"], "kind": m["kind"]},
		{"metadata": m["metadata"]},
	} {
		b, err := yaml.Marshal(part)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	delete(m, "apiVersion")
	delete(m, "kind")
	delete(m, "metadata")
	if len(m) == 0 {
		return out, nil
	}
	b, err := yaml.Marshal(m)
	return append(out, b...), err
}

// writeConverted writes one file per source into dir, refusing to
// overwrite an input file or to write two sources to one name.
func writeConverted(files []*convertedFile, dir string, stderr io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("-o %s: %w", dir, err)
	}
	targets := map[string]string{}
	for _, f := range files {
		out := filepath.Join(dir, filepath.Base(f.source))
		if prev, dup := targets[out]; dup {
			return fmt.Errorf("-o %s: %s and %s would both be written to %s; convert them into separate directories", dir, prev, f.source, out)
		}
		if same(out, f.source) {
			return fmt.Errorf("-o %s: writing %s would overwrite the input; choose another directory", dir, out)
		}
		targets[out] = f.source
	}
	for _, f := range files {
		out := filepath.Join(dir, filepath.Base(f.source))
		if err := os.WriteFile(out, []byte(f.text()), 0o644); err != nil {
			return fmt.Errorf("-o %s: %w", dir, err)
		}
		fmt.Fprintf(stderr, "wrote %s\n", out)
	}
	return nil
}

// same reports whether two paths name the same existing file.
func same(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}
