// Command corsgate is an HTTP gateway that enforces CORS policies.
package main

import (
	"os"

	"github.com/corsgate/corsgate/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
