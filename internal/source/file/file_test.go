package file

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validConfig = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  gatewayClassName: corsgate
  listeners: [{name: http, port: 8080, protocol: HTTP}]
`

func TestLoadGenerationsAndErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := &Source{Paths: []string{dir}}

	write(validConfig)
	snap, problems := src.Load()
	if snap == nil || len(problems) != 0 || snap.Generation != 1 {
		t.Fatalf("first load: snap=%v problems=%v", snap, problems)
	}
	if snap.CreatedAt.IsZero() {
		t.Error("CreatedAt not set")
	}

	// An invalid config yields no snapshot and does not use up a generation.
	write(strings.Replace(validConfig, "protocol: HTTP", "protocol: UDP", 1))
	snap, problems = src.Load()
	if snap != nil || problems.Err() == nil {
		t.Fatalf("invalid load: snap=%v problems=%v", snap, problems)
	}
	if !strings.Contains(problems.Error(), path+":6: Gateway default/gw: spec.listeners[0].protocol") {
		t.Errorf("problem not located: %v", problems)
	}

	write(validConfig)
	if snap, _ = src.Load(); snap == nil || snap.Generation != 2 {
		t.Fatalf("third load: %+v", snap)
	}
}

func TestLoadEmbeddedFiles(t *testing.T) {
	src := &Source{Files: nil}
	snap, problems := src.Load()
	if problems.Err() != nil || snap == nil || len(snap.Listeners) != 0 {
		t.Fatalf("empty file set: snap=%v problems=%v", snap, problems)
	}
}
