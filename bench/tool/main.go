// Command tool holds the measuring pieces of bench/run that a shell script cannot do well:
//
//	tool bare -addr A            a bare net/http endpoint: read the body, answer {} (the baseline)
//	tool proxy -addr A -to URL   a bare net/http/httputil reverse proxy to URL: the floor any
//	                             forwarding hop pays on this machine (rows 2 and 7)
//	tool hello                   print hello and exit (the start-up baseline)
//	tool startup -n N -- CMD...  median time from exec to exit of CMD, over N runs
//	tool ready -n N -- CMD...    median time from exec until CMD's first stderr line and its port accepts
//	tool rss -pid P              resident and peak memory of process P, in MiB
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tool bare|hello|startup|ready|rss ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "bare":
		err = bare(os.Args[2:])
	case "proxy":
		err = proxy(os.Args[2:])
	case "hello":
		fmt.Println("hello")
	case "startup":
		err = timed(os.Args[2:], false)
	case "ready":
		err = timed(os.Args[2:], true)
	case "rss":
		err = rss(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tool:", err)
		os.Exit(1)
	}
}

func bare(args []string) error {
	fs := flag.NewFlagSet("bare", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	fs.Parse(args)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Println("http://" + ln.Addr().String())
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
	}))
}

// proxy forwards every request to -to with the standard library's reverse proxy and nothing
// else: no decoding, no record, no output.
func proxy(args []string) error {
	fs := flag.NewFlagSet("proxy", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	to := fs.String("to", "", "where to forward")
	fs.Parse(args)
	target, err := url.Parse(*to)
	if err != nil || target.Host == "" {
		return fmt.Errorf("-to %q: want a URL", *to)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	return http.Serve(ln, rp)
}

// timed runs the command n times and prints the median in milliseconds. With ready, a run
// ends when the command has printed its first line on stderr and -port accepts
// connections; the command is then killed.
func timed(args []string, ready bool) error {
	fs := flag.NewFlagSet("timed", flag.ExitOnError)
	n := fs.Int("n", 20, "runs")
	port := fs.String("port", "", "with ready: the port that must accept")
	fs.Parse(args)
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 {
		return fmt.Errorf("no command")
	}
	var ds []time.Duration
	for i := 0; i < *n; i++ {
		c := exec.Command(cmdArgs[0], cmdArgs[1:]...)
		c.Stdout = io.Discard
		start := time.Now()
		if !ready {
			c.Stderr = io.Discard
			if err := c.Run(); err != nil {
				return err
			}
			ds = append(ds, time.Since(start))
			continue
		}
		stderr, err := c.StderrPipe()
		if err != nil {
			return err
		}
		if err := c.Start(); err != nil {
			return err
		}
		line := make(chan struct{})
		go func() {
			r := bufio.NewReader(stderr)
			r.ReadString('\n')
			close(line)
			io.Copy(io.Discard, r)
		}()
		<-line
		for {
			conn, err := net.DialTimeout("tcp", "127.0.0.1:"+*port, time.Second)
			if err == nil {
				conn.Close()
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		ds = append(ds, time.Since(start))
		c.Process.Kill()
		c.Wait()
	}
	slices.Sort(ds)
	fmt.Printf("%.2f\n", float64(ds[len(ds)/2].Microseconds())/1000)
	return nil
}

func rss(args []string) error {
	fs := flag.NewFlagSet("rss", flag.ExitOnError)
	pid := fs.Int("pid", 0, "process")
	fs.Parse(args)
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", *pid))
	if err != nil {
		return err
	}
	var cur, peak string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == "VmRSS:" {
			cur = f[1]
		}
		if len(f) >= 2 && f[0] == "VmHWM:" {
			peak = f[1]
		}
	}
	var c, p float64
	fmt.Sscan(cur, &c)
	fmt.Sscan(peak, &p)
	fmt.Printf("%.1f %.1f\n", c/1024, p/1024)
	return nil
}
