package header

import (
	"slices"
	"strings"
	"testing"
)

// refTchars spells out RFC 9110 tchar independently of the table in
// header.go, so a typo in one is caught by the other.
const refTchars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// refSplit is the obvious, allocating reference for walk: split each line on
// commas, measure the whitespace around each element, check the caps last.
func refSplit(lines []string) ([]string, bool) {
	if len(lines) > MaxLines {
		return nil, false
	}
	var names []string
	empty := 0
	for _, line := range lines {
		for _, el := range strings.Split(line, ",") {
			name := strings.Trim(el, " \t")
			if name == "" {
				if len(el) > MaxOWS {
					return nil, false
				}
				empty++
				continue
			}
			lead := len(el) - len(strings.TrimLeft(el, " \t"))
			trail := len(el) - len(strings.TrimRight(el, " \t"))
			if lead > MaxOWS || trail > MaxOWS {
				return nil, false
			}
			if strings.Trim(name, refTchars) != "" {
				return nil, false
			}
			names = append(names, name)
		}
	}
	if len(names) > MaxNames || empty > MaxEmpty {
		return nil, false
	}
	return names, true
}

// FuzzRequestHeaders checks the bounded list parser: it never panics and
// agrees with refSplit. (walk is linear by construction: each pass of its
// inner loop consumes a comma or ends the line.) The
// input is split on "\n" into header lines.
func FuzzRequestHeaders(f *testing.F) {
	for _, s := range []string{
		"", "a", "authorization,content-type", "x-header-1, x-header-2",
		"a ,b", "a,  b", " a ", "a\nb,c", ",,,", "a b", "a;b", "é",
		"a\t,\tb", strings.Repeat(", ", 40), strings.Repeat("a,", 70),
		"\n\n\n\n\n\n\n\n", "*", "a,,\n,b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lines := strings.Split(in, "\n")
		got, ok := AppendList(nil, lines)
		want, wantOK := refSplit(lines)
		if ok != wantOK || !slices.Equal(got, want) {
			t.Fatalf("AppendList(%q) = %q, %v; reference %q, %v", lines, got, ok, want, wantOK)
		}
		n, ok2 := CheckList(lines)
		if ok2 != ok || (ok && n != len(got)) {
			t.Fatalf("CheckList(%q) = %d, %v; AppendList found %d, %v", lines, n, ok2, len(got), ok)
		}
	})
}
