// Package paired measures operations side by side for a benchmark: each
// iteration runs all of them, in an order that rotates from one iteration
// to the next, so that whatever else the machine is doing weighs on all of
// them alike and their ratios stay meaningful on a shared machine. The P1
// benchmarks use it (BENCHMARKS.md).
package paired

import (
	"testing"
	"time"
)

// Op is one measured operation; Name names its metric ("frames" reports
// "frames-ms").
type Op struct {
	Name string
	F    func()
}

// Run runs every op once per iteration of the benchmark loop and reports
// the mean milliseconds of each, the ratio of the first to the second
// ("ratio"), and of the first to each further one ("ratio-<name>").
func Run(b *testing.B, ops ...Op) {
	total := make([]time.Duration, len(ops))
	n := 0
	for b.Loop() {
		for k := range ops {
			i := (n + k) % len(ops)
			start := time.Now()
			ops[i].F()
			total[i] += time.Since(start)
		}
		n++
	}
	for i, op := range ops {
		b.ReportMetric(float64(total[i])/float64(time.Millisecond)/float64(n), op.Name+"-ms")
	}
	b.ReportMetric(float64(total[0])/float64(total[1]), "ratio")
	for i := 2; i < len(ops); i++ {
		b.ReportMetric(float64(total[0])/float64(total[i]), "ratio-"+ops[i].Name)
	}
}
