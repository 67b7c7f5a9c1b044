package metrics

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// monitoringDir holds the PrometheusRule and Grafana dashboard users copy.
const monitoringDir = "../../examples/monitoring"

var (
	// metricRef finds a corsgate metric name and its optional selector.
	metricRef = regexp.MustCompile(`\b(corsgate_[a-z0-9_]+)(\{[^}]*\})?`)
	// selectorLabel finds the label names of a selector's matchers.
	selectorLabel = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)`)
	// grouping finds the label lists of by (...) and without (...).
	grouping = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// targetLabels are added by the scrape (or Prometheus itself), not by
// corsgate; grouping by them is fine.
var targetLabels = []string{"instance", "job", "namespace", "pod", "le"}

// TestMonitoringExamplesUseExistingMetrics checks every metric and label
// that examples/monitoring references against Families, and that both files
// parse.
func TestMonitoringExamplesUseExistingMetrics(t *testing.T) {
	fams := map[string]Family{}
	allLabels := slices.Clone(targetLabels)
	for _, f := range Families() {
		fams[f.Name] = f
		allLabels = append(allLabels, f.Labels...)
	}
	files, err := filepath.Glob(filepath.Join(monitoringDir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no files in %s: %v", monitoringDir, err)
	}
	refs := 0
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(path) {
		case ".json":
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		case ".yaml", ".yml":
			var v map[string]any
			if err := yaml.Unmarshal(data, &v); err != nil || v["kind"] != "PrometheusRule" {
				t.Errorf("%s: not a PrometheusRule: %v", path, err)
			}
		}
		text := string(data)
		for _, m := range metricRef.FindAllStringSubmatch(text, -1) {
			refs++
			f, ok := family(fams, m[1])
			if !ok {
				t.Errorf("%s references %s, which corsgate does not export", filepath.Base(path), m[1])
				continue
			}
			for _, l := range selectorLabel.FindAllStringSubmatch(m[2], -1) {
				if !slices.Contains(f.Labels, l[1]) && !(l[1] == "le" && f.Type == "histogram") {
					t.Errorf("%s selects %s on label %q, which it does not have (labels %v)", filepath.Base(path), m[1], l[1], f.Labels)
				}
			}
		}
		for _, g := range grouping.FindAllStringSubmatch(text, -1) {
			for _, l := range strings.Split(g[1], ",") {
				if l = strings.TrimSpace(l); l != "" && !slices.Contains(allLabels, l) {
					t.Errorf("%s groups by unknown label %q", filepath.Base(path), l)
				}
			}
		}
	}
	if refs < 10 {
		t.Errorf("only %d metric references found; is the pattern broken?", refs)
	}
}

// family resolves a name, including a histogram's _bucket, _sum and _count
// series.
func family(fams map[string]Family, name string) (Family, bool) {
	if f, ok := fams[name]; ok {
		return f, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if f, ok := fams[strings.TrimSuffix(name, suffix)]; ok && f.Type == "histogram" && strings.HasSuffix(name, suffix) {
			return f, true
		}
	}
	return Family{}, false
}

// TestMonitoringCheckCatchesTypos makes sure the check above can fail.
func TestMonitoringCheckCatchesTypos(t *testing.T) {
	fams := map[string]Family{}
	for _, f := range Families() {
		fams[f.Name] = f
	}
	for _, bad := range []string{"corsgate_http_request_total", "corsgate_config_generation_bucket", "corsgate_open_connections_count"} {
		if _, ok := family(fams, bad); ok {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, ok := family(fams, UpstreamDurationSeconds+"_bucket"); !ok {
		t.Error("histogram bucket series refused")
	}
}
