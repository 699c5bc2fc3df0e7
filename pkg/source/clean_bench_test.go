package source

import (
	"fmt"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// BenchmarkCleanFrames is the walk Handle makes over every answer: a
// Pulse-logs-sized frame of valid strings, where nothing is copied.
func BenchmarkCleanFrames(b *testing.B) {
	const rows = 200_000
	routes, devices := make([]string, rows), make([]*string, rows)
	for i := range routes {
		routes[i] = fmt.Sprintf("/api/v2/enterprises/%d/devices", i%500)
		d := fmt.Sprintf("device-é-%d", i%3000)
		devices[i] = &d
	}
	f := data.NewFrame("logs", data.NewField("route", nil, routes), data.NewField("device", nil, devices),
		data.NewField("ms", nil, make([]float64, rows)))
	f.Meta = &data.FrameMeta{ExecutedQueryString: "GET https://pulse.example.com/stats?page=1\nGET https://pulse.example.com/stats?page=2",
		Notices: []data.Notice{{Text: "2 pages of 100000 rows"}}}
	secrets := []string{"pulse-token-c4a8", "onapp-api-key-5d2e"}
	b.ReportAllocs()
	for b.Loop() {
		CleanFrames(data.Frames{f}, secrets)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}
