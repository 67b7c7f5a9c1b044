package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Severity orders problems: an Error keeps the object (or the whole config)
// out; a Warning is reported and the object is used.
type Severity uint8

const (
	SeverityError Severity = iota
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Problem is one finding about the configuration, located as precisely as
// the source allows. Error() renders it as
//
//	FILE:LINE: Kind namespace/name: field.path: what is wrong; how to fix it
type Problem struct {
	Severity  Severity
	File      string
	Line      int
	Kind      string
	Namespace string
	Name      string
	// Field is the JSON path inside the object, e.g.
	// "spec.rules[0].filters[1].cors.allowOrigins[2]".
	Field string
	// Message says what is wrong and, after "; ", what to do.
	Message string
	// Code is a stable identifier for warnings that other tools key on
	// (for example policy.WarnReflectAnyOriginWithCredentials). Optional.
	Code string
}

func (p Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
	}
	if p.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	if p.Kind != "" {
		b.WriteString(p.Kind)
		if p.Name != "" {
			b.WriteByte(' ')
			if p.Namespace != "" {
				b.WriteString(p.Namespace)
				b.WriteByte('/')
			}
			b.WriteString(p.Name)
		}
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is a list of findings. As an error it renders one per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Errors returns only the error-severity problems.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == SeverityError {
			out = append(out, p)
		}
	}
	return out
}

// Warnings returns only the warning-severity problems.
func (ps Problems) Warnings() Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == SeverityWarning {
			out = append(out, p)
		}
	}
	return out
}

// Err returns the error-severity problems as an error, or nil if none.
func (ps Problems) Err() error {
	if errs := ps.Errors(); len(errs) > 0 {
		return errs
	}
	return nil
}

// Sort orders problems by file, line, then message, so output is stable.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Message < b.Message
	})
}

// AsProblems extracts Problems from an error returned by this package.
func AsProblems(err error) (Problems, bool) {
	var ps Problems
	if errors.As(err, &ps) {
		return ps, true
	}
	return nil, false
}
