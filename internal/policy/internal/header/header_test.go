package header

import (
	"slices"
	"strings"
	"testing"
)

func TestIsToken(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"GET", true},
		{"x-custom-header", true},
		{"!#$%&'*+-.^_`|~09AZaz", true},
		{"*", true},
		{"", false},
		{"GET POST", false},
		{"a,b", false},
		{"a:b", false},
		{"a\x00", false},
		{"é", false},
		{"a\tb", false},
		{`a"b`, false},
		{"a/b", false},
	}
	for _, tt := range tests {
		if got := IsToken(tt.in); got != tt.want {
			t.Errorf("IsToken(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestAppendList(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []string // nil with ok=false means refused
		ok    bool
	}{
		{"no header", nil, nil, true},
		{"browser form", []string{"authorization,content-type,x-a"}, []string{"authorization", "content-type", "x-a"}, true},
		{"space after comma", []string{"x-header-1, x-header-2"}, []string{"x-header-1", "x-header-2"}, true},
		{"space before comma", []string{"a ,b"}, []string{"a", "b"}, true},
		{"tab each side", []string{"a\t,\tb"}, []string{"a", "b"}, true},
		{"leading and trailing space", []string{" a "}, []string{"a"}, true},
		{"case kept", []string{"X-Foo"}, []string{"X-Foo"}, true},
		{"several lines", []string{"a", "b,c"}, []string{"a", "b", "c"}, true},
		{"empty line", []string{""}, nil, true},
		{"empty elements", []string{",a,,b,"}, []string{"a", "b"}, true},
		{"space-only element", []string{"a, ,b"}, []string{"a", "b"}, true},
		{"two spaces after comma", []string{"a,  b"}, nil, false},
		{"two spaces before comma", []string{"a  ,b"}, nil, false},
		{"space inside name", []string{"a b"}, nil, false},
		{"semicolon", []string{"a;b"}, nil, false},
		{"control byte", []string{"a\x00"}, nil, false},
		{"non-ASCII", []string{"é"}, nil, false},
		{"newline", []string{"a\nb"}, nil, false},
		{"too many lines", slices.Repeat([]string{"a"}, MaxLines+1), nil, false},
		{"max lines", slices.Repeat([]string{"a"}, MaxLines), slices.Repeat([]string{"a"}, MaxLines), true},
		{"too many names", []string{strings.Repeat("a,", MaxNames) + "a"}, nil, false},
		{"max names", []string{strings.Repeat("a,", MaxNames-1) + "a"}, slices.Repeat([]string{"a"}, MaxNames), true},
		{"too many empty", []string{strings.Repeat(",", MaxEmpty)}, nil, false},
		{"max empty", []string{strings.Repeat(",", MaxEmpty-1)}, nil, true},
		{"empty across lines", slices.Repeat([]string{",,,"}, 5), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AppendList(nil, tt.lines)
			if ok != tt.ok || !slices.Equal(got, tt.want) {
				t.Fatalf("AppendList(%q) = %q, %v; want %q, %v", tt.lines, got, ok, tt.want, tt.ok)
			}
			n, ok2 := CheckList(tt.lines)
			if ok2 != tt.ok || (ok2 && n != len(tt.want)) {
				t.Fatalf("CheckList(%q) = %d, %v; want %d, %v", tt.lines, n, ok2, len(tt.want), tt.ok)
			}
		})
	}
}

func TestAppendListKeepsDstOnFailure(t *testing.T) {
	dst := []string{"x"}
	got, ok := AppendList(dst, []string{"a,b c"})
	if ok || !slices.Equal(got, []string{"x"}) {
		t.Fatalf("got %q, %v", got, ok)
	}
}

// hostile values in the shape of rs/cors#170: large, cheap to send, and
// refused after a handful of bytes.
func hostileValues() []string {
	return []string{
		strings.Repeat(", ", 8<<10),
		strings.Repeat(" ", 16<<10),
		strings.Repeat(",", 16<<10),
		strings.Repeat("a,", 8<<10),
		strings.Repeat("\t,", 8<<10),
	}
}

func TestCheckListHostileNoAlloc(t *testing.T) {
	for _, v := range hostileValues() {
		lines := []string{v}
		if _, ok := CheckList(lines); ok {
			t.Fatalf("accepted hostile value of length %d", len(v))
		}
		if n := testing.AllocsPerRun(100, func() { CheckList(lines) }); n != 0 {
			t.Fatalf("CheckList allocated %v times", n)
		}
	}
}

func BenchmarkCheckList(b *testing.B) {
	cases := map[string][]string{
		"browser": {"authorization,content-type,x-requested-with"},
		"hostile": {strings.Repeat(", ", 8<<10)},
	}
	for name, lines := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				CheckList(lines)
			}
		})
	}
}
