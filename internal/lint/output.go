package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// WriteText prints one block per finding and a summary line.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(location(f))
		fmt.Fprintf(&b, "%s %s %s", f.Severity, f.Rule, f.Name)
		if f.Object != "" {
			fmt.Fprintf(&b, " %s", f.Object)
		}
		if f.Field != "" {
			fmt.Fprintf(&b, " %s", f.Field)
		}
		b.WriteByte('\n')
		fmt.Fprintf(&b, "    %s\n", f.Message)
		fmt.Fprintf(&b, "    why: %s\n", f.Why)
		fmt.Fprintf(&b, "    fix: %s\n", f.Fix)
		if f.Translator != "" && f.Translator != f.Message {
			fmt.Fprintf(&b, "    corsgate run says: %s\n", f.Translator)
		}
	}
	b.WriteString(summaryLine(r.Summary))
	_, err := io.WriteString(w, b.String())
	return err
}

func location(f Finding) string {
	switch {
	case f.File == "":
		return ""
	case f.Line > 0:
		return fmt.Sprintf("%s:%d: ", f.File, f.Line)
	}
	return f.File + ": "
}

func summaryLine(s Summary) string {
	n := s.Errors + s.Warnings + s.Infos
	if n == 0 {
		return "no findings\n"
	}
	return fmt.Sprintf("%d %s: %d %s, %d %s, %d info\n", n, plural(n, "finding"),
		s.Errors, plural(s.Errors, "error"), s.Warnings, plural(s.Warnings, "warning"), s.Infos)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// WriteJSON prints the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/), the
// subset code-scanning services read to annotate pull requests.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		InformationURI string      `json:"informationUri"`
		Version        string      `json:"version,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string       `json:"id"`
		Name                 string       `json:"name"`
		ShortDescription     sarifText    `json:"shortDescription"`
		FullDescription      sarifText    `json:"fullDescription"`
		Help                 sarifText    `json:"help"`
		DefaultConfiguration sarifDefault `json:"defaultConfiguration"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifDefault struct {
		Level string `json:"level"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
		LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
	sarifLogical struct {
		FullyQualifiedName string `json:"fullyQualifiedName"`
	}
)

// WriteSARIF prints the report as a SARIF 2.1.0 log; every rule is listed
// in the driver, findings refer to them by ruleId and ruleIndex.
func WriteSARIF(w io.Writer, r *Report, version string) error {
	all := Rules()
	index := map[string]int{}
	driver := sarifDriver{Name: "corsgate", InformationURI: "https://github.com/corsgate/corsgate", Version: version}
	for i, rule := range all {
		index[rule.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: rule.ID, Name: rule.Name,
			ShortDescription:     sarifText{rule.Title},
			FullDescription:      sarifText{rule.Title + ". Why it matters: " + rule.Why},
			Help:                 sarifText{"Fix: " + rule.Fix},
			DefaultConfiguration: sarifDefault{rule.Severity.sarifLevel()},
		})
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: []sarifResult{}}
	for _, f := range r.Findings {
		res := sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: f.Severity.sarifLevel(),
			Message: sarifText{sarifMessage(f)},
		}
		var loc sarifLocation
		if f.File != "" {
			loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(f.File)}}
			if f.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line}
			}
		}
		if f.Object != "" {
			name := f.Object
			if f.Field != "" {
				name += " " + f.Field
			}
			loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: name}}
		}
		if loc.PhysicalLocation != nil || loc.LogicalLocations != nil {
			res.Locations = []sarifLocation{loc}
		}
		run.Results = append(run.Results, res)
	}
	log := sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func sarifMessage(f Finding) string {
	var b strings.Builder
	if f.Object != "" {
		b.WriteString(f.Object)
		if f.Field != "" {
			b.WriteString(" " + f.Field)
		}
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	b.WriteString("\nWhy it matters: " + f.Why)
	b.WriteString("\nFix: " + f.Fix)
	return b.String()
}

// fileURI is a relative URI reference for a relative path (resolved
// against the repository root by code-scanning services) and a file: URI
// for an absolute one.
func fileURI(path string) string {
	p := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
		return "file://" + p
	}
	return strings.TrimPrefix(p, "./")
}
