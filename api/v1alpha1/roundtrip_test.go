package v1alpha1

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func ptr[T any](v T) *T { return &v }

// full returns one object of every kind with every field set, so that a
// field the JSON tags or the generated DeepCopy miss shows up as a diff.
func full() []runtime.Object {
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"a": "b"},
			CreationTimestamp: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	}
	tls := &BackendTLS{InsecureSkipVerify: true, SNI: "api.internal",
		CACertificateRefs: []LocalObjectReference{{Kind: "ConfigMap", Name: "ca"}}}
	cond := metav1.Condition{Type: "Accepted", Status: metav1.ConditionTrue, Reason: "Accepted",
		Message: "ok", ObservedGeneration: 3, LastTransitionTime: metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	return []runtime.Object{
		&CORSPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: GroupVersion, Kind: "CORSPolicy"},
			ObjectMeta: meta("p"),
			Spec: CORSPolicySpec{
				TargetRefs: []PolicyTargetReference{{Group: gwv1.GroupName, Kind: "Gateway", Name: "gw",
					SectionName: ptr(gwv1.SectionName("http"))}},
				AllowOrigins: []OriginMatch{{Value: "https://a.example"}, {Exact: "https://b.example"},
					{Prefix: "https://c"}, {Regex: `https://d\.example`}},
				AllowMethods:        []string{"GET", "PUT"},
				AllowHeaders:        []string{"X-A"},
				ExposeHeaders:       []string{"X-B"},
				AllowCredentials:    ptr(true),
				MaxAge:              &Duration{10 * time.Minute},
				AllowPrivateNetwork: true,
				MergeStrategy:       MergeUnion,
				UnmatchedPreflights: UnmatchedPreflightsForward,

				DangerouslyAllowAnyOriginWithCredentials: true,
			},
			Status: CORSPolicyStatus{Conditions: []metav1.Condition{cond}},
		},
		&Backend{
			TypeMeta:   metav1.TypeMeta{APIVersion: GroupVersion, Kind: "Backend"},
			ObjectMeta: meta("b"),
			Spec: BackendSpec{
				Endpoints: []BackendEndpoint{
					{IP: &IPEndpoint{Address: "127.0.0.1", Port: 80}},
					{FQDN: &FQDNEndpoint{Hostname: "api.internal", Port: 8080}},
					{Unix: &UnixEndpoint{Path: "/run/app.sock"}},
				},
				TLS: tls,
			},
			Status: BackendStatus{Conditions: []metav1.Condition{cond}},
		},
		&ProxySettings{
			TypeMeta:   metav1.TypeMeta{APIVersion: GroupVersion, Kind: "ProxySettings"},
			ObjectMeta: meta("s"),
			Spec: ProxySettingsSpec{
				Server: &ServerSettings{ReadHeaderTimeout: &Duration{10 * time.Second},
					IdleTimeout: &Duration{1500 * time.Millisecond}, MaxHeaderBytes: ptr(int32(65536))},
				Upstream: &UpstreamSettings{ConnectTimeout: &Duration{5 * time.Second},
					ResponseHeaderTimeout: &Duration{30 * time.Second}, Timeout: &Duration{time.Minute},
					MaxIdleConnsPerBackend: ptr(int32(64))},
			},
		},
		&APIServerCORS{
			TypeMeta:   metav1.TypeMeta{APIVersion: GroupVersion, Kind: "APIServerCORS"},
			ObjectMeta: meta("k"),
			Spec: APIServerCORSSpec{
				AllowedOrigins: []string{`//localhost(:|$)`},
				Upstream:       APIServerUpstream{URL: "https://10.0.0.1:6443", TLS: tls},
				Listener: APIServerListener{Port: 8443, Protocol: "HTTPS", Hostname: "k.example",
					TLSSecretName: "tls"},
			},
		},
	}
}

// lists returns one list of every kind, each holding one full object.
func lists() []runtime.Object {
	objs := full()
	return []runtime.Object{
		&CORSPolicyList{Items: []CORSPolicy{*objs[0].(*CORSPolicy)}},
		&BackendList{Items: []Backend{*objs[1].(*Backend)}},
		&ProxySettingsList{Items: []ProxySettings{*objs[2].(*ProxySettings)}},
		&APIServerCORSList{Items: []APIServerCORS{*objs[3].(*APIServerCORS)}},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, obj := range append(full(), lists()...) {
		t.Run(reflect.TypeOf(obj).Elem().Name(), func(t *testing.T) {
			b, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			got := reflect.New(reflect.TypeOf(obj).Elem()).Interface()
			if err := json.Unmarshal(b, got); err != nil {
				t.Fatalf("unmarshal %s: %v", b, err)
			}
			// Semantic: metav1.Time comes back in the local time zone.
			if !equality.Semantic.DeepEqual(got, obj) {
				t.Errorf("round trip changed the object:\n got  %+v\n want %+v\n json %s", got, obj, b)
			}
		})
	}
}

// TestDeepCopyIndependent mutates every reachable pointer, slice and map of
// a deep copy and checks the original did not change.
func TestDeepCopyIndependent(t *testing.T) {
	for _, obj := range append(full(), lists()...) {
		t.Run(reflect.TypeOf(obj).Elem().Name(), func(t *testing.T) {
			before, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			cp := obj.DeepCopyObject()
			if !reflect.DeepEqual(cp, obj) {
				t.Fatalf("DeepCopyObject differs from the original")
			}
			if n := scribble(reflect.ValueOf(cp)); n == 0 {
				t.Fatal("nothing to mutate: the test object is empty")
			}
			after, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			if string(before) != string(after) {
				t.Errorf("mutating the copy changed the original:\n before %s\n after  %s", before, after)
			}
		})
	}
}

// scribble overwrites every string, number and bool reachable from v,
// through pointers, slices, maps and structs, and returns how many it
// changed.
func scribble(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return 0
		}
		return scribble(v.Elem())
	case reflect.Struct:
		n := 0
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n += scribble(v.Field(i))
			}
		}
		return n
	case reflect.Slice, reflect.Array:
		n := 0
		for i := range v.Len() {
			n += scribble(v.Index(i))
		}
		return n
	case reflect.Map:
		for _, k := range v.MapKeys() {
			v.SetMapIndex(k, reflect.Zero(v.Type().Elem()))
		}
		return v.Len()
	case reflect.String:
		v.SetString(v.String() + "~")
		return 1
	case reflect.Bool:
		v.SetBool(!v.Bool())
		return 1
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
		return 1
	}
	return 0
}

func TestSchemeRegistersEveryKind(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"CORSPolicy", "Backend", "ProxySettings", "APIServerCORS"} {
		for _, k := range []string{kind, kind + "List"} {
			if !s.Recognizes(SchemeGroupVersion.WithKind(k)) {
				t.Errorf("scheme does not know %s", k)
			}
		}
	}
	if SchemeGroupVersion.String() != GroupVersion {
		t.Errorf("SchemeGroupVersion %q and GroupVersion %q differ", SchemeGroupVersion, GroupVersion)
	}
}

// TestStatusOmittedWhenEmpty keeps files and `corsgate convert` output
// free of an empty "status: {}".
func TestStatusOmittedWhenEmpty(t *testing.T) {
	for _, obj := range []any{&CORSPolicy{}, &Backend{}} {
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m["status"]; ok {
			t.Errorf("%T: empty status marshalled: %s", obj, b)
		}
	}
}
