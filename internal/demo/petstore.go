// Package demo holds the embedded default configuration and the small
// in-process "petstore" JSON API it routes to, so `corsgate run` works on a
// fresh machine with nothing else installed.
package demo

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Pet is one record of the demo API.
type Pet struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Petstore is an in-memory REST API: GET/POST /pets, GET/PUT/DELETE /pets/{id}.
type Petstore struct {
	mu   sync.Mutex
	next int
	pets map[int]Pet
}

// NewPetstore returns a store with three pets.
func NewPetstore() *Petstore {
	s := &Petstore{pets: map[int]Pet{}}
	for _, p := range []Pet{{Name: "Rex", Kind: "dog"}, {Name: "Tom", Kind: "cat"}, {Name: "Nemo", Kind: "fish"}} {
		s.add(p)
	}
	return s
}

func (s *Petstore) add(p Pet) Pet {
	s.next++
	p.ID = s.next
	s.pets[p.ID] = p
	return p
}

// maxBody bounds request bodies of the demo API.
const maxBody = 64 << 10

func (s *Petstore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/pets")
	if !ok || (rest != "" && rest[0] != '/') {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found; try GET /pets"})
		return
	}
	rest = strings.Trim(rest, "/")
	if rest == "" {
		s.collection(w, r)
		return
	}
	id, err := strconv.Atoi(rest)
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "pet ids are numbers"})
		return
	}
	s.item(w, r, id)
}

func (s *Petstore) collection(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		list := make([]Pet, 0, len(s.pets))
		for _, p := range s.pets {
			list = append(list, p)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		writeJSON(w, http.StatusOK, list)
	case http.MethodPost:
		var p Pet
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&p); err != nil || p.Name == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `send JSON like {"name":"Rex","kind":"dog"}`})
			return
		}
		writeJSON(w, http.StatusCreated, s.add(p))
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
	}
}

func (s *Petstore) item(w http.ResponseWriter, r *http.Request, id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pets[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such pet"})
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(w, http.StatusOK, p)
	case http.MethodPut:
		var np Pet
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&np); err != nil || np.Name == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `send JSON like {"name":"Rex","kind":"dog"}`})
			return
		}
		np.ID = id
		s.pets[id] = np
		writeJSON(w, http.StatusOK, np)
	case http.MethodDelete:
		delete(s.pets, id)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT, DELETE")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed"})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var _ http.Handler = (*Petstore)(nil)
