// Command sandbox serves the imitation of the plugin's three upstream APIs
// (OVHcloud, OnApp, Pulse) on one address, for the demo and for manual tests:
//
//	go run ./cmd/sandbox -addr 127.0.0.1:8089 -latency 30ms
//
// In a container, set SANDBOX_ADDR=0.0.0.0:8089 so that Grafana's container
// can reach it. The control API (/_sandbox/faults, /_sandbox/stats) is
// described in docs/architecture.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/opsdeck/servicestats/internal/sandbox"
)

// defaultAddr is the listen address without -addr or SANDBOX_ADDR.
const defaultAddr = "127.0.0.1:8089"

// shutdownGrace is how long in-flight calls get to finish on SIGINT/SIGTERM.
// Calls held by a "timeout" fault would wait minutes; they are cut.
const shutdownGrace = 5 * time.Second

func main() {
	log.SetFlags(0)
	log.SetPrefix("sandbox: ")

	addr := defaultAddr
	if env := os.Getenv("SANDBOX_ADDR"); env != "" {
		addr = env
	}
	flag.StringVar(&addr, "addr", addr, "listen address (default from SANDBOX_ADDR, else "+defaultAddr+")")
	latency := flag.Duration("latency", 0, "latency added to every API call, e.g. 30ms")
	rowsPerDay := flag.Int("pulse-rows-per-day", sandbox.DefaultPulseRowsPerDay, "density of the Pulse log population")
	ovhRPM := flag.Int("ovh-requests-per-minute", 0, "OVH calls allowed per consumer key per minute (0: no limit)")
	healthcheck := flag.Bool("healthcheck", false, "probe the sandbox serving on the listen address (GET "+sandbox.ControlPrefix+"/faults) and exit 0 if it answers 200, else 1: the container's health check (its image has no shell)")
	flag.Parse()

	if *healthcheck {
		if err := probe(addr); err != nil {
			log.Fatal(err)
		}
		return
	}

	if err := run(addr, sandbox.Config{
		Latency:              *latency,
		PulseRowsPerDay:      *rowsPerDay,
		OVHRequestsPerMinute: *ovhRPM,
	}); err != nil {
		log.Fatal(err)
	}
}

// run serves until SIGINT or SIGTERM, then shuts down gracefully.
func run(addr string, cfg sandbox.Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           sandbox.New(cfg),
		ReadHeaderTimeout: 10 * time.Second,
	}
	printBanner(os.Stdout, ln.Addr().(*net.TCPAddr))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Print("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close() // calls still in flight after the grace period
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// probe asks the sandbox listening on addr for its fault list.
func probe(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1" // listening on every interface; loopback is one of them
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + sandbox.ControlPrefix + "/faults")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: %s", resp.Status)
	}
	return nil
}

// printBanner tells how to configure the plugin against this sandbox.
func printBanner(out io.Writer, addr *net.TCPAddr) {
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1" // listening on every interface; loopback is one of them
	}
	base := "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
	fmt.Fprintf(out, `Service Stats sandbox listening on %s

OVHcloud  %s%s
          application key %s, secret %s, consumer key %s
          (limited: %s, expired: %s)
          OAuth2 client %s / %s (without IAM for statistics: %s)
OnApp     %s%s
          user %s, API key %s
Pulse     %s%s
          token %s
Control   %s%s/faults, %s%s/stats
`,
		addr,
		base, sandbox.OVHPrefix,
		sandbox.OVHAppKey, sandbox.OVHAppSecret, sandbox.OVHConsumerKey,
		sandbox.OVHConsumerKeyLimited, sandbox.OVHConsumerKeyExpired,
		sandbox.OVHClientID, sandbox.OVHClientSecret, sandbox.OVHClientIDNoIAM,
		base, sandbox.OnAppPrefix,
		sandbox.OnAppUser, sandbox.OnAppAPIKey,
		base, sandbox.PulsePrefix,
		sandbox.PulseToken,
		base, sandbox.ControlPrefix, base, sandbox.ControlPrefix,
	)
}
