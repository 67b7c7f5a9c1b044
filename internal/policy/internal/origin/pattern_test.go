package origin

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParsePatternValid(t *testing.T) {
	tests := []struct {
		in      string
		kind    Kind
		canon   string
		path    string
		rewrote bool
	}{
		// Gateway API CEL vectors (tests/cel/httproute_test.go), valid.
		{"https://xpto.com", Exact, "https://xpto.com", "", false},
		{"http://*.abcd.com", Subdomains, "http://*.abcd.com", "", false},
		{"http://*.abcd.com:12345", Subdomains, "http://*.abcd.com:12345", "", false},
		{"https://*:443", AnyHost, "https://*", "", true},
		{"https://*", AnyHost, "https://*", "", false},
		{"https://*.com", Subdomains, "https://*.com", "", false},
		{"*", Any, "*", "", false},
		// Normalisation.
		{"HTTPS://Example.COM:443", Exact, "https://example.com", "", true},
		{"http://example.com:80", Exact, "http://example.com", "", true},
		{"http://example.com:443", Exact, "http://example.com:443", "", false},
		{"https://example.com/", Exact, "https://example.com", "/", false},
		{"https://example.com/foo/bar", Exact, "https://example.com", "/foo/bar", false},
		{"https://*.Example.com/", Subdomains, "https://*.example.com", "/", true},
		{"http://127.0.0.1:3000", Exact, "http://127.0.0.1:3000", "", false},
		{"http://[::1]:8080", Exact, "http://[::1]:8080", "", false},
		{"http://[0:0::1]", Exact, "http://[::1]", "", true},
		{"http://[2001:DB8::1]", Exact, "http://[2001:db8::1]", "", true},
		{"http://[::ffff:192.0.2.128]", Exact, "http://[::ffff:c000:280]", "", true},
		{"http://x-1.a-b", Exact, "http://x-1.a-b", "", false},
	}
	for _, tt := range tests {
		p, err := ParsePattern(tt.in)
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", tt.in, err)
			continue
		}
		if p.Kind != tt.kind || p.String() != tt.canon || p.DroppedPath != tt.path || p.Rewritten != tt.rewrote {
			t.Errorf("ParsePattern(%q) = kind %d %q path %q rewritten %v; want kind %d %q path %q rewritten %v",
				tt.in, p.Kind, p.String(), p.DroppedPath, p.Rewritten, tt.kind, tt.canon, tt.path, tt.rewrote)
		}
		// The canonical form is a fixed point.
		q, err := ParsePattern(p.String())
		if err != nil || q.String() != p.String() || q.Rewritten || q.DroppedPath != "" {
			t.Errorf("canonical %q does not re-parse to itself: %+v, %v", p.String(), q, err)
		}
	}
}

func TestParsePatternInvalid(t *testing.T) {
	tests := []struct {
		in     string
		reason string // a fragment of the reason
	}{
		// Gateway API CEL vectors, invalid (except the path one, which
		// corsgate accepts with a warning).
		{"xpto.com", "no scheme"},
		{"https://xpto.com:notaport", "not a number"},
		{"xpto/https://xpto.com", "scheme"},
		{"http://www.example.com:111111", "out of range"},
		{"http://www.example.com:", "port is empty"},
		{"https://example.com:08443", "leading zero"},
		{"spiffe://www.example.com", "scheme"},
		{"http://*bar.com", "followed by a dot"},
		{"http://bar*.com", "leftmost label"},
		{"http://bar.*.com", "leftmost label"},
		{"http://*bar", "followed by a dot"},
		{"http://bar*", "leftmost label"},
		{"http://*.bar.*.dev", "second wildcard"},
		// More.
		{"https://*example.com", "followed by a dot"},
		{"https://a.*.com", "leftmost label"},
		{"https://*.a.*.dev", "second wildcard"},
		{"https://*.", "empty"},
		{"https://**", "followed by a dot"},
		{"", "empty"},
		{"null", "unsafe"},
		{"NULL", "unsafe"},
		{"ftp://example.com", "scheme"},
		{"chrome-extension://abc", "scheme"},
		{"//example.com", "scheme"},
		{"https://example.com:99999", "out of range"},
		{"https://example.com:0", "out of range"},
		{"https://example.com:-1", "not a number"},
		{"https://user@example.com", "user information"},
		{"https://example.com?x=1", "query"},
		{"https://example.com#top", "query or fragment"},
		{"https://exa mple.com", "byte"},
		{"https://example.com\n", "byte"},
		{"https://exämple.com", "byte"},
		{"https://", "empty"},
		{"https://a..com", "empty label"},
		{"https://example.com.", "empty label"},
		{"https://a_b.com", "contains"},
		{"https://" + strings.Repeat("a", 64) + ".com", "63"},
		{"https://" + strings.Repeat("a.", 127) + "ab", "253"},
		{"http://[::1", "closing"},
		{"http://[::1]x", "after the IPv6"},
		{"http://[1.2.3.4]", "IPv6"},
		{"http://[fe80::1%25eth0]", "IPv6"},
		{"http://[zz::1]", "IPv6"},
	}
	for _, tt := range tests {
		_, err := ParsePattern(tt.in)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("ParsePattern(%q) = %v, want *Error", tt.in, err)
			continue
		}
		if !strings.Contains(pe.Reason, tt.reason) {
			t.Errorf("ParsePattern(%q) reason %q, want it to mention %q", tt.in, pe.Reason, tt.reason)
		}
		if pe.Fix == "" || pe.Reason[0] < 'a' && pe.Reason[0] != '"' {
			t.Errorf("ParsePattern(%q): reason %q fix %q: want a lower-case reason and a fix", tt.in, pe.Reason, pe.Fix)
		}
	}
}

func TestSerializeIPv6(t *testing.T) {
	tests := map[string]string{
		"::":                   "::",
		"::1":                  "::1",
		"1::":                  "1::",
		"2001:db8:0:0:1:0:0:1": "2001:db8::1:0:0:1",
		"2001:db8:0:1:1:1:1:1": "2001:db8:0:1:1:1:1:1",
		"1:0:0:2:0:0:0:3":      "1:0:0:2::3",
		"::ffff:1.2.3.4":       "::ffff:102:304",
		"ABCD:0DB8::0001":      "abcd:db8::1",
	}
	for in, want := range tests {
		if got := serializeIPv6(netip.MustParseAddr(in)); got != want {
			t.Errorf("serializeIPv6(%s) = %q, want %q", in, got, want)
		}
	}
}
