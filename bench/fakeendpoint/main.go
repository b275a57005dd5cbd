// Command fakeendpoint is the trivial webhook endpoint the benchmarks measure against.
package main

import (
	"os"

	"github.com/comethook/comethook/internal/fakeendpoint"
)

func main() { os.Exit(fakeendpoint.RunMain(os.Args[1:])) }
