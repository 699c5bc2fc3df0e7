package pulse

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// logPage renders n log rows the way the sandbox does (≈280 bytes a row).
func logPage(n int) []byte {
	start := time.Date(2026, 9, 23, 8, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"requestId":"req-%016x","entreprise":{"id":"ent-acme","name":"Acme Corp"},"device":[{"id":"dev-acme-gw-0%d","name":"Acme Paris Gateway"}],`+
			`"route":"/api/v1/orders","method":"GET","timestamp":%q,"executionTime":%d,"responseSize":2600,"complexityScore":6}`,
			i, i%4, start.Add(time.Duration(i)*36*time.Second).Format("2006-01-02T15:04:05.000Z"), i%700)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// BenchmarkDecodeLogs decodes one page of 5,000 rows into its block.
func BenchmarkDecodeLogs(b *testing.B) {
	body := logPage(5000)
	decode := decodeLogs(newTestSource(b, "http://pulse.example").logs, 5000)
	resp := &upstream.Response{Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, n, err := decode(resp); err != nil || n != 5000 {
			b.Fatal(n, err)
		}
	}
}
