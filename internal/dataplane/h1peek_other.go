//go:build !unix

package dataplane

import "net"

// connQuiet cannot look at an idle connection here: a connection idle
// for long is not reused.
func connQuiet(net.Conn) bool { return false }

func isConnReset(error) bool { return false }
