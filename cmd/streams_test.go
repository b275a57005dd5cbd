package cmd

import (
	"io"
	"net/http"
	"strings"

	"github.com/comethook/comethook/internal/render"
)

func streamsFor(out, errOut io.Writer, stdin string, tty bool) render.Streams {
	return render.Streams{In: strings.NewReader(stdin), Out: out, ErrOut: errOut, OutTTY: tty, ErrTTY: tty}
}

func readAll(r *http.Request) ([]byte, error) { return io.ReadAll(r.Body) }
