package demo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestPetstore(t *testing.T) {
	s := NewPetstore()
	tests := []struct {
		name, method, path, body string
		want                     int
		wantBody                 string
	}{
		{"list", "GET", "/pets", "", 200, `"name":"Rex"`},
		{"one", "GET", "/pets/2", "", 200, `"name":"Tom"`},
		{"missing", "GET", "/pets/99", "", 404, "no such pet"},
		{"not a number", "GET", "/pets/x", "", 404, "numbers"},
		{"other path", "GET", "/petsx", "", 404, "not found"},
		{"create", "POST", "/pets", `{"name":"Kiwi","kind":"bird"}`, 201, `"id":4`},
		{"create bad", "POST", "/pets", `{`, 400, "send JSON"},
		{"update", "PUT", "/pets/1", `{"name":"Max","kind":"dog"}`, 200, `"name":"Max"`},
		{"delete", "DELETE", "/pets/3", "", 204, ""},
		{"deleted", "GET", "/pets/3", "", 404, "no such pet"},
		{"method", "PATCH", "/pets", "", 405, "method not allowed"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body)))
		if rec.Code != tt.want || !strings.Contains(rec.Body.String(), tt.wantBody) {
			t.Errorf("%s: %s %s = %d %q, want %d containing %q", tt.name, tt.method, tt.path, rec.Code, rec.Body, tt.want, tt.wantBody)
		}
	}
}

func TestStartPetstore(t *testing.T) {
	srv, err := StartPetstore()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(srv.Port) + "/pets")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var pets []Pet
	if err := json.NewDecoder(resp.Body).Decode(&pets); err != nil || len(pets) != 3 {
		t.Fatalf("GET /pets: %v, %d pets", err, len(pets))
	}
}
