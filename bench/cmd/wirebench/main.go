// Command wirebench measures, over real loopback connections, the server
// CPU time, heap allocations, latency and system calls per request of the
// servers of package servers, each against the hand-written net/http one:
//
//	go -C bench run ./cmd/wirebench            # the full run, a few minutes
//	go -C bench run ./cmd/wirebench -smoke     # a few seconds, to check it works
//
// Each server runs in a child process of its own (this program run again
// with -serve), with GOMAXPROCS=1 and pinned to the last CPU; the load
// generator pins itself to the other CPUs. In each round, each server and
// an A/A second baseline process are loaded on each endpoint at the same
// moment as the baseline, so both share the core and its noise, and their
// ratio is what is reported (the median over rounds). A separate pass
// counts system calls with strace. The report is markdown on stdout;
// progress goes to stderr.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/microkit-go/micro/bench/servers"
	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "wirebench:", err)
		}
		os.Exit(1)
	}
}

// run is the program: a child server when args start with -serve,
// otherwise a whole measurement. Every child it starts has ended when it
// returns.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "-serve" {
		return serveCommand(args, stdin, stdout)
	}
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	return measure(cfg, stdout, stderr)
}

// serveCommand parses the hidden child flags, -serve NAME -cpu N, and
// serves.
func serveCommand(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("wirebench -serve", flag.ContinueOnError)
	name := fs.String("serve", "", "the server to run")
	cpu := fs.Int("cpu", -1, "the CPU to pin to; none when negative")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return serve(*name, *cpu, stdin, stdout)
}

// config is a run's settings.
type config struct {
	rounds         int
	duration, warm time.Duration
	conns          int
	servers        []string // the measured servers, the baseline excluded
	endpoints      []endpoint
	strace         bool
	straceRequests int
	jsonFile       string
	flags          string // as the report prints them
}

// parseConfig parses the command line; an error for an unknown or repeated
// server or endpoint, a count or duration that is not positive, or an
// argument after the flags.
func parseConfig(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("wirebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rounds := fs.Int("rounds", 5, "paired rounds")
	duration := fs.Duration("duration", 2*time.Second, "the measured load of each pair")
	conns := fs.Int("conns", 50, "keep-alive connections to each server of a pair")
	serverList := fs.String("servers", strings.Join(servers.Names(), ","), "the servers, comma-separated (the baseline, "+servers.Baseline+", always runs)")
	endpointList := fs.String("endpoints", strings.Join(endpointNames, ","), "the endpoints, comma-separated")
	strace := fs.Bool("strace", true, "count system calls per request with strace (skipped with a notice when strace is absent)")
	smoke := fs.Bool("smoke", false, "a run of seconds, to check everything works: 1 round of 200ms, 4 connections, a 200-request strace pass (flags given explicitly win)")
	jsonFile := fs.String("json", "", "also write the raw results as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg := config{
		rounds: *rounds, duration: *duration, warm: 300 * time.Millisecond, conns: *conns,
		strace: *strace, straceRequests: 2000, jsonFile: *jsonFile,
	}
	if *smoke {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["rounds"] {
			cfg.rounds = 1
		}
		if !set["duration"] {
			cfg.duration = 200 * time.Millisecond
		}
		if !set["conns"] {
			cfg.conns = 4
		}
		cfg.warm, cfg.straceRequests = 50*time.Millisecond, 200
	}
	if cfg.rounds < 1 || cfg.duration <= 0 || cfg.conns < 1 {
		return config{}, fmt.Errorf("-rounds and -conns must be at least 1 and -duration positive")
	}
	for _, name := range strings.Split(*serverList, ",") {
		if _, err := servers.New(name); err != nil {
			return config{}, err
		}
		if slices.Contains(cfg.servers, name) {
			return config{}, fmt.Errorf("-servers names %s twice", name)
		}
		if name != servers.Baseline {
			cfg.servers = append(cfg.servers, name)
		}
	}
	for _, name := range strings.Split(*endpointList, ",") {
		ep, err := newEndpoint(name)
		if err != nil {
			return config{}, err
		}
		if slices.ContainsFunc(cfg.endpoints, func(e endpoint) bool { return e.name == name }) {
			return config{}, fmt.Errorf("-endpoints names %s twice", name)
		}
		cfg.endpoints = append(cfg.endpoints, ep)
	}
	cfg.flags = fmt.Sprintf("-rounds %d -duration %v -conns %d -servers %s -endpoints %s -strace=%t",
		cfg.rounds, cfg.duration, cfg.conns, *serverList, *endpointList, cfg.strace)
	if *smoke {
		cfg.flags += " -smoke"
	}
	return cfg, nil
}

// aaLabel names the second baseline process, loaded against the first.
const aaLabel = servers.Baseline + " (A/A)"

// measure starts the servers, runs the paired rounds and the syscall
// pass, and writes the report.
func measure(cfg config, stdout, stderr io.Writer) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cpus, err := allowedCPUs()
	if err != nil {
		return err
	}
	serverCPU := cpus[len(cpus)-1]
	var children []*child
	defer func() {
		for _, c := range children {
			c.stop()
		}
	}()
	start := func(name string) (*child, error) {
		c, err := startChild(exe, name, serverCPU)
		if err == nil {
			children = append(children, c)
		}
		return c, err
	}
	base, err := start(servers.Baseline)
	if err != nil {
		return err
	}
	aa, err := start(servers.Baseline)
	if err != nil {
		return err
	}
	labels := []string{servers.Baseline, aaLabel}
	measured := map[string]*child{aaLabel: aa}
	for _, name := range cfg.servers {
		c, err := start(name)
		if err != nil {
			return err
		}
		labels = append(labels, name)
		measured[name] = c
	}
	if len(cpus) >= 2 {
		if err := pinProcess(cpus[:len(cpus)-1]); err != nil {
			return err
		}
		runtime.GOMAXPROCS(len(cpus) - 1)
	}

	var jobs []pairJob
	for _, ep := range cfg.endpoints {
		for _, label := range labels[1:] {
			jobs = append(jobs, pairJob{server: measured[label], label: label, ep: ep})
		}
	}
	progress := func(msg string) { fmt.Fprintln(stderr, msg) }
	pairs, err := runRounds(jobs, base, cfg.rounds, cfg.conns, cfg.warm, cfg.duration, progress)
	if err != nil {
		return err
	}
	rep := runReport{Machine: describeMachine(), Flags: cfg.flags, Baseline: servers.Baseline, Pairs: pairs}
	if cfg.strace {
		measured[servers.Baseline] = base
		rep.Syscalls, rep.Notice, err = syscallPass(cfg, labels, measured, progress)
		if err != nil {
			return err
		}
	}
	var names []string
	for _, ep := range cfg.endpoints {
		names = append(names, ep.name)
	}
	writeMarkdown(stdout, rep, labels, names)
	if cfg.jsonFile != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(cfg.jsonFile, b, 0o644)
	}
	return nil
}

// syscallPass runs the strace pass on each server but the A/A one, on
// each endpoint. When strace is not installed it returns a notice (also
// printed) instead.
func syscallPass(cfg config, labels []string, children map[string]*child, progress func(string)) ([]syscallResult, string, error) {
	if _, err := exec.LookPath("strace"); err != nil {
		notice := "Skipped: strace is not installed."
		progress("wirebench: strace not found; the syscall pass is skipped")
		return nil, notice, nil
	}
	dir, err := os.MkdirTemp("", "wirebench-strace-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(dir)
	var results []syscallResult
	for _, ep := range cfg.endpoints {
		for _, label := range labels {
			if label == aaLabel {
				continue
			}
			progress(fmt.Sprintf("strace: %s on %s", label, ep.name))
			r, err := stracePass(children[label], label, ep, cfg.straceRequests, dir)
			if err != nil {
				return nil, "", fmt.Errorf("strace pass of %s on %s: %w", label, ep.name, err)
			}
			results = append(results, r)
		}
	}
	return results, "", nil
}

// describeMachine returns the CPUs, Go version, kernel release and date.
func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), Date: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	return m
}
