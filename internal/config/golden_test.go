package config

import "flag"

// update rewrites golden files instead of comparing against them:
// go test ./internal/config -update. Shared by every golden test here.
var update = flag.Bool("update", false, "rewrite golden files in testdata")
