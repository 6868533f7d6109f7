//go:build unix

// Command timeit runs a command many times as a whole process and prints the median wall time
// and the largest peak RSS. bench/token.sh uses it when hyperfine is not installed.
//
// Usage: timeit [-warmup N] [-runs N] command [args...]
//
// Output, one line: "median_s=<seconds> max_rss_kib=<KiB>".
// The command's stdout and stderr are discarded; a run that fails stops the measurement.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"syscall"
	"time"
)

func main() {
	warmup := flag.Int("warmup", 20, "runs before measuring")
	runs := flag.Int("runs", 200, "measured runs")
	flag.Parse()
	if flag.NArg() == 0 || *runs < 1 {
		fmt.Fprintln(os.Stderr, "usage: timeit [-warmup N] [-runs N] command [args...]")
		os.Exit(2)
	}
	args := flag.Args()
	var times []time.Duration
	var maxRSS int64
	for i := 0; i < *warmup+*runs; i++ {
		cmd := exec.Command(args[0], args[1:]...)
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		if err != nil {
			fmt.Fprintf(os.Stderr, "timeit: run %d of %s: %v\n", i+1, args[0], err)
			os.Exit(1)
		}
		if i < *warmup {
			continue
		}
		times = append(times, d)
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss := int64(ru.Maxrss) // KiB on Linux and the BSDs, bytes on macOS
			if runtime.GOOS == "darwin" {
				rss /= 1024
			}
			maxRSS = max(maxRSS, rss)
		}
	}
	slices.Sort(times)
	median := times[len(times)/2]
	if len(times)%2 == 0 {
		median = (times[len(times)/2-1] + times[len(times)/2]) / 2
	}
	fmt.Printf("median_s=%.6f max_rss_kib=%d\n", median.Seconds(), maxRSS)
}
