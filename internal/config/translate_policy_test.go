package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/corsgate/corsgate/api/v1alpha1"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/policy"
)

// testLayer builds a compiled layer from a spec; set lists which scalars
// the policy sets explicitly.
func testLayer(t *testing.T, name string, union bool, s policy.Spec, set ...string) *layer {
	t.Helper()
	p, _, err := policy.Compile(s)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	sl := specLayer{spec: s}
	for _, f := range set {
		switch f {
		case "creds":
			sl.credsSet = true
		case "maxAge":
			sl.maxAgeSet = true
		case "pna":
			sl.pnaSet = true
		case "forward":
			sl.fwSet = true
		}
	}
	return &layer{cors: &ir.CORS{Policy: p, Spec: p.Spec(), Source: name}, raw: sl, union: union,
		desc: "CORSPolicy default/" + name, obj: &Object{Kind: "CORSPolicy", Namespace: "default", Name: name}, policy: true}
}

func TestMergeSpecs(t *testing.T) {
	gw := func(t *testing.T) *layer {
		return testLayer(t, "vhost", false, policy.Spec{
			AllowOrigins: []string{"https://www.example.com"}, AllowMethods: []string{"GET", "POST"},
			ExposeHeaders: []string{"common-header", "vh-header"}, MaxAge: 600, AllowCredentials: true,
		}, "creds", "maxAge")
	}
	tests := []struct {
		name   string
		layers func(t *testing.T) []*layer // most specific first
		want   policy.Spec
	}{
		{
			name: "lists least specific first, duplicates dropped by the engine; unset scalars inherited",
			layers: func(t *testing.T) []*layer {
				return []*layer{testLayer(t, "route", true, policy.Spec{
					AllowOrigins: []string{"https://app.example.com"}, ExposeHeaders: []string{"Common-Header", "route-header"},
				}), gw(t)}
			},
			want: policy.Spec{
				AllowOrigins: []string{"https://www.example.com", "https://app.example.com"}, AllowMethods: []string{"GET", "POST"},
				ExposeHeaders: []string{"common-header", "vh-header", "route-header"}, MaxAge: 600, AllowCredentials: true,
			},
		},
		{
			name: "scalars from the most specific policy that sets them",
			layers: func(t *testing.T) []*layer {
				return []*layer{
					testLayer(t, "rule", true, policy.Spec{MaxAge: 90}, "maxAge"),
					testLayer(t, "route", true, policy.Spec{AllowCredentials: false, MaxAge: 30, ForwardUnmatchedPreflights: true}, "creds", "maxAge", "forward"),
					gw(t),
				}
			},
			want: policy.Spec{
				AllowOrigins: []string{"https://www.example.com"}, AllowMethods: []string{"GET", "POST"},
				ExposeHeaders: []string{"common-header", "vh-header"}, MaxAge: 90, ForwardUnmatchedPreflights: true,
			},
		},
		{
			name: "a star list absorbs the others",
			layers: func(t *testing.T) []*layer {
				return []*layer{testLayer(t, "public", true, policy.Spec{
					AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowCredentials: false,
				}, "creds"), gw(t)}
			},
			want: policy.Spec{
				AllowOrigins: []string{"*"}, AllowMethods: []string{"*"},
				ExposeHeaders: []string{"common-header", "vh-header"}, MaxAge: 600,
			},
		},
		{
			name: "prefixes and regexes are unioned too, and dropped under a star",
			layers: func(t *testing.T) []*layer {
				return []*layer{
					testLayer(t, "a", true, policy.Spec{OriginRegexes: []string{`https://[a-z]+\.a\.com`}}),
					testLayer(t, "b", false, policy.Spec{OriginPrefixes: []string{"https://b.com:"}}),
				}
			},
			want: policy.Spec{OriginPrefixes: []string{"https://b.com:"}, OriginRegexes: []string{`https://[a-z]+\.a\.com`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeSpecs(tt.layers(t))
			p, _, err := policy.Compile(got)
			if err != nil {
				t.Fatal(err)
			}
			want := mustSpec(t, tt.want)
			if !reflect.DeepEqual(p.Spec(), want) {
				t.Errorf("merged spec\n got %+v\nwant %+v", p.Spec(), want)
			}
		})
	}
}

func mustSpec(t *testing.T, s policy.Spec) policy.Spec {
	t.Helper()
	p, _, err := policy.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return p.Spec()
}

func TestEffectiveChain(t *testing.T) {
	tr := &translator{}
	rule := testLayer(t, "rule", true, policy.Spec{AllowOrigins: []string{"https://rule.example.com"}})
	route := testLayer(t, "route", false, policy.Spec{AllowOrigins: []string{"https://route.example.com"}})
	gw := testLayer(t, "gw", false, policy.Spec{AllowOrigins: []string{"https://gw.example.com"}})
	filter := filterLayer(&ir.CORS{Source: "r.yaml:3", Spec: policy.Spec{AllowOrigins: []string{"https://filter.example.com"}}}, levelRuleFilter, "default/api")
	tests := []struct {
		name           string
		chain          []leveled
		origins        []string
		chainLen, over int
	}{
		{"nothing", []leveled{{}, {nil, levelRoute}}, nil, 0, 0},
		{"override stops at the first policy", []leveled{{route, levelRoute}, {gw, levelGateway}}, []string{"https://route.example.com"}, 1, 1},
		{"union takes the next one and stops at an Override", []leveled{{rule, levelRule}, {route, levelRoute}, {gw, levelGateway}},
			[]string{"https://route.example.com", "https://rule.example.com"}, 2, 1},
		{"a filter overrides a union policy", []leveled{filter, {rule, levelRule}, {gw, levelGateway}}, []string{"https://filter.example.com"}, 1, 2},
		{"empty levels are skipped", []leveled{{}, {rule, levelRule}, {nil, levelRoute}, {gw, levelGateway}},
			[]string{"https://gw.example.com", "https://rule.example.com"}, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tr.effective(tt.chain)
			if c == nil {
				if tt.origins != nil {
					t.Fatal("no effective policy")
				}
				return
			}
			if !reflect.DeepEqual(c.Spec.AllowOrigins, tt.origins) || len(c.Chain) != tt.chainLen || len(c.Overridden) != tt.over {
				t.Errorf("effective = origins %v chain %q overridden %q", c.Spec.AllowOrigins, c.Chain, c.Overridden)
			}
			if again := tr.effective(tt.chain); again != c {
				t.Error("the same chain was not cached")
			}
		})
	}
	if len(tr.problems) != 0 {
		t.Errorf("problems: %v", tr.problems)
	}
}

func TestPolicyFieldMapping(t *testing.T) {
	sl := specLayer{
		origins:  []string{"spec.allowOrigins[0]", "spec.allowOrigins[3].exact"},
		prefixes: []string{"spec.allowOrigins[1].prefix"},
		regexes:  []string{"spec.allowOrigins[2].regex"},
	}
	for in, want := range map[string]string{
		"allowOrigins[1]": "spec.allowOrigins[3].exact", "originPrefixes[0]": "spec.allowOrigins[1].prefix",
		"originRegexes[0]": "spec.allowOrigins[2].regex", "originRegexes[5]": "spec.allowOrigins",
		"allowOrigins": "spec.allowOrigins", "maxAge": "spec.maxAge", "exposeHeaders[2]": "spec.exposeHeaders[2]",
	} {
		if got := sl.field(in); got != want {
			t.Errorf("field(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestConvertedPolicyKeepsSource: a converted TrafficPolicy keeps its
// creation time (conflict order) and its problems point at the lines the
// user wrote.
func TestConvertedPolicyKeepsSource(t *testing.T) {
	res, ps := LoadBytes([]NamedBytes{{Name: "tp.yaml", Data: []byte(`apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: tp, creationTimestamp: "2024-05-01T00:00:00Z"}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  cors:
    allowOrigins:
    - "https://ok.example.com"
    - "https://*example.com"
`)}})
	if ps.Err() != nil {
		t.Fatal(ps)
	}
	_, probs := Translate(res, Options{})
	var got []string
	for _, p := range probs {
		got = append(got, p.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`tp.yaml:9: CORSPolicy default/tp: spec.allowOrigins[1]: "https://*example.com"`,
		`tp.yaml:5: warning: CORSPolicy default/tp: spec.targetRefs[0].name: Gateway "gw" not found`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	conv, _ := Convert(res)
	pol, ok := conv.Objects[0].Value.(*v1alpha1.CORSPolicy)
	if !ok || pol.CreationTimestamp.Year() != 2024 || conv.Objects[0].Kind != "CORSPolicy" {
		t.Fatalf("converted object %+v", conv.Objects[0])
	}
}
