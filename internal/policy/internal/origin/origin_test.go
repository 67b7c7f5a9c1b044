package origin

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Origin
		ok   bool
	}{
		{"https://example.com", Origin{Scheme: "https", Host: "example.com"}, true},
		{"http://example.com:8080", Origin{Scheme: "http", Host: "example.com", Port: "8080"}, true},
		{"HTTPS://APP.Example.COM", Origin{Scheme: "HTTPS", Host: "APP.Example.COM"}, true},
		{"https://a-b_c.example.com", Origin{Scheme: "https", Host: "a-b_c.example.com"}, true},
		{"http://127.0.0.1:3000", Origin{Scheme: "http", Host: "127.0.0.1", Port: "3000"}, true},
		{"http://[::1]:8080", Origin{Scheme: "http", Host: "[::1]", Port: "8080"}, true},
		{"http://[2001:DB8::1]", Origin{Scheme: "http", Host: "[2001:DB8::1]"}, true},
		{"http://[::ffff:192.0.2.1]", Origin{Scheme: "http", Host: "[::ffff:192.0.2.1]"}, true},
		{"chrome-extension://abcdefghijklmnop", Origin{Scheme: "chrome-extension", Host: "abcdefghijklmnop"}, true},
		{"a+b.c-d://x", Origin{Scheme: "a+b.c-d", Host: "x"}, true},
		{"https://x:65535", Origin{Scheme: "https", Host: "x", Port: "65535"}, true},
		{"https://x:1", Origin{Scheme: "https", Host: "x", Port: "1"}, true},
		{"null", Origin{Null: true}, true},

		{"", Origin{}, false},
		{"NULL", Origin{}, false},
		{"example.com", Origin{}, false},
		{"https://", Origin{}, false},
		{"https:/example.com", Origin{}, false},
		{"1http://example.com", Origin{}, false},
		{"://example.com", Origin{}, false},
		{"https://example.com/", Origin{}, false},
		{"https://example.com/path", Origin{}, false},
		{"https://example.com?q", Origin{}, false},
		{"https://example.com#f", Origin{}, false},
		{"https://user@example.com", Origin{}, false},
		{"https://user:pw@example.com", Origin{}, false},
		{"https://example.com:", Origin{}, false},
		{"https://example.com:0", Origin{}, false},
		{"https://example.com:0443", Origin{}, false},
		{"https://example.com:65536", Origin{}, false},
		{"https://example.com:99999", Origin{}, false},
		{"https://example.com:123456", Origin{}, false},
		{"https://example.com:+80", Origin{}, false},
		{"https://example.com:8a", Origin{}, false},
		{"https://example.com:80:80", Origin{}, false},
		{"https://example.com.", Origin{}, false},
		{"https://.example.com", Origin{}, false},
		{"https://a..b", Origin{}, false},
		{"https://exa mple.com", Origin{}, false},
		{"https://example.com ", Origin{}, false},
		{" https://example.com", Origin{}, false},
		{"https://a.com, https://b.com", Origin{}, false},
		{"https://example.com\r\nX: y", Origin{}, false},
		{"https://exa\x00mple.com", Origin{}, false},
		{"https://exämple.com", Origin{}, false},
		{"https://*.example.com", Origin{}, false},
		{"https://*", Origin{}, false},
		{"*", Origin{}, false},
		{"http://[::1", Origin{}, false},
		{"http://[]", Origin{}, false},
		{"http://[1]", Origin{}, false},
		{"http://[::1]x", Origin{}, false},
		{"http://[::1%25eth0]", Origin{}, false},
		{"http://[g::1]", Origin{}, false},
		{"https://" + strings.Repeat("a", MaxLen), Origin{}, false},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		got.lower = false // derived; compared below through canonical
		if ok != tt.ok || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			continue
		}
		if o, _ := Parse(tt.in); ok && canonical(o) != (o.String() == strings.ToLower(o.String()) &&
			DefaultPort(o.Scheme) != "" && o.Port != DefaultPort(o.Scheme)) {
			t.Errorf("canonical(Parse(%q)) = %v", tt.in, canonical(o))
		}
		if ok && got.String() != tt.in {
			t.Errorf("Parse(%q).String() = %q", tt.in, got.String())
		}
	}
}

func TestParseNoAlloc(t *testing.T) {
	for _, s := range []string{"https://example.com:8443", "HTTPS://EXAMPLE.COM", "http://[::1]:8080", "nope"} {
		if n := testing.AllocsPerRun(100, func() { Parse(s) }); n != 0 {
			t.Errorf("Parse(%q) allocated %v times", s, n)
		}
	}
}

func TestDefaultPort(t *testing.T) {
	for in, want := range map[string]string{"http": "80", "HTTPS": "443", "ws": "", "": ""} {
		if got := DefaultPort(in); got != want {
			t.Errorf("DefaultPort(%q) = %q, want %q", in, got, want)
		}
	}
}
