package testutil

import (
	"fmt"
	"strings"
	"time"
)

// PulseLogPage renders one Pulse log page of n rows the way the sandbox
// writes them (≈280 bytes a row): the answer the Pulse reader's benchmarks
// and jsonread's weighing of jsoniter read.
func PulseLogPage(n int) []byte {
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
