// Command gohost drives go-plugin's own generated Go hosts (on wazero): wasmplug's
// interop tests use it to load plugins built with our Go guest SDK, and the
// benchmark suite uses it as the go-plugin peer.
//
//	gohost PLUGIN.wasm NAME                         helloworld Greeter.Greet once, print the reply message
//	gohost -bench N [-warmup W] PLUGIN.wasm NAME    time N helloworld Greet calls, print one JSON object
//	gohost -bench N -payload BYTES PLUGIN.wasm      the same with a BYTES-long name (payload round trip)
//	gohost -suite host-functions PLUGIN.wasm NAME   go-plugin's tests/host-functions Greeter, serving
//	                                                env.parse_json from Go; print the reply message
//	gohost -suite fields PLUGIN.wasm                go-plugin's tests/fields FieldTest checks; print "ok fields"
//
// The host code is go-plugin's generated *_host.pb.go, unchanged
// (github.com/knqyf263/go-plugin/examples/helloworld/greeting,
// .../tests/host-functions/proto, .../tests/fields/proto): this program only
// drives it. Errors go to stderr with exit status 1 (2 for usage).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/knqyf263/go-plugin/examples/helloworld/greeting"
)

type benchResult struct {
	Peer       string  `json:"peer"`
	Case       string  `json:"case"`
	Calls      int     `json:"calls"`
	Warmup     int     `json:"warmup"`
	MedianUS   float64 `json:"median_us"`
	MeanUS     float64 `json:"mean_us"`
	MinUS      float64 `json:"min_us"`
	P90US      float64 `json:"p90_us"`
	LoadMS     float64 `json:"load_ms"`
	Reply      string  `json:"reply"` // the first reply message, cut to 64 bytes
	ReplyBytes int     `json:"reply_bytes"`
	Payload    int     `json:"payload_bytes"`
	GoVersion  string  `json:"go_version"`
	Runtime    string  `json:"runtime"`
	PluginPath string  `json:"plugin"`
}

func main() {
	bench := flag.Int("bench", 0, "time `N` Greet calls and print median/mean µs per call as JSON")
	warmup := flag.Int("warmup", 1000, "untimed calls before a -bench run")
	suite := flag.String("suite", "greet", "`SUITE`: greet (helloworld), host-functions or fields")
	payload := flag.Int("payload", 0, "with -bench: use a name of `BYTES` 'x' bytes (NAME is then omitted)")
	flag.Usage = func() {
		out := flag.CommandLine.Output()
		fmt.Fprintf(out, "usage: %s [-bench N [-warmup W]] PLUGIN.wasm NAME\n", os.Args[0])
		fmt.Fprintf(out, "       %s -bench N [-warmup W] -payload BYTES PLUGIN.wasm\n", os.Args[0])
		fmt.Fprintf(out, "       %s -suite host-functions PLUGIN.wasm NAME\n", os.Args[0])
		fmt.Fprintf(out, "       %s -suite fields PLUGIN.wasm\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	nargs := 2
	if *suite == "fields" || *payload > 0 {
		nargs = 1
	}
	if flag.NArg() != nargs || *bench < 0 || *warmup < 0 || *payload < 0 ||
		(*bench > 0 && *suite != "greet") || (*payload > 0 && *bench == 0) {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	switch *suite {
	case "greet":
		name := flag.Arg(1)
		if *payload > 0 {
			name = strings.Repeat("x", *payload)
		}
		err = run(flag.Arg(0), name, *bench, *warmup, *payload > 0)
	case "host-functions":
		err = runHostFunctions(flag.Arg(0), flag.Arg(1))
	case "fields":
		err = runFields(flag.Arg(0))
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gohost:", err)
		os.Exit(1)
	}
}

func run(path, name string, bench, warmup int, payloadMode bool) error {
	ctx := context.Background()
	p, err := greeting.NewGreeterPlugin(ctx)
	if err != nil {
		return err
	}
	t0 := time.Now()
	plugin, err := p.Load(ctx, path)
	if err != nil {
		return fmt.Errorf("load %s: %w", path, err)
	}
	loadMS := float64(time.Since(t0).Nanoseconds()) / 1e6
	defer plugin.Close(ctx)

	req := &greeting.GreetRequest{Name: name}
	reply, err := plugin.Greet(ctx, req)
	if err != nil {
		return fmt.Errorf("Greet: %w", err)
	}
	if bench == 0 {
		fmt.Println(reply.GetMessage())
		return nil
	}

	for i := 0; i < warmup; i++ {
		if _, err := plugin.Greet(ctx, req); err != nil {
			return fmt.Errorf("Greet (warmup %d): %w", i, err)
		}
	}
	samples := make([]time.Duration, bench)
	start := time.Now()
	for i := range samples {
		t := time.Now()
		r, err := plugin.Greet(ctx, req)
		samples[i] = time.Since(t)
		if err != nil {
			return fmt.Errorf("Greet (call %d): %w", i, err)
		}
		if r.GetMessage() != reply.GetMessage() {
			return fmt.Errorf("Greet (call %d): reply %q, first reply was %q", i, r.GetMessage(), reply.GetMessage())
		}
	}
	total := time.Since(start)
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	res := benchResult{
		Peer:       "go-plugin",
		Case:       benchCase(len(name), payloadMode),
		Calls:      bench,
		Warmup:     warmup,
		MedianUS:   us(median(samples)),
		MeanUS:     us(total) / float64(bench),
		MinUS:      us(samples[0]),
		P90US:      us(samples[(len(samples)*9)/10]),
		LoadMS:     loadMS,
		Reply:      cut(reply.GetMessage(), 64),
		ReplyBytes: len(reply.GetMessage()),
		Payload:    len(name),
		GoVersion:  runtime.Version(),
		Runtime:    "wazero",
		PluginPath: path,
	}
	out, err := json.Marshal(res)
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func benchCase(payload int, payloadMode bool) string {
	if !payloadMode {
		return "small_rpc"
	}
	return fmt.Sprintf("payload_%d", payload)
}

func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
