package testutil

import (
	"fmt"
	"strings"
	"time"
)

// PulseLogs renders Pulse log pages the way the sandbox writes them (≈280
// bytes a row): row i is stamped Start + i×Step.
type PulseLogs struct {
	Start time.Time
	Step  time.Duration
	// Distinct gives each row its own route, one of 50 enterprises and one
	// of 400 devices (for what keeps a set of them); otherwise every row
	// has one enterprise, one route and one of four devices.
	Distinct bool
}

// Page renders one page of n rows.
func (p PulseLogs) Page(n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		ent, entName, dev, devName, route := "ent-acme", "Acme Corp", fmt.Sprintf("dev-acme-gw-0%d", i%4), "Acme Paris Gateway", "/api/v1/orders"
		if p.Distinct {
			ent, entName = fmt.Sprintf("ent-%d", i%50), fmt.Sprintf("Enterprise %d", i%50)
			dev, devName, route = fmt.Sprintf("dev-%d", i%400), fmt.Sprintf("Gateway %d", i%400), fmt.Sprintf("/api/v1/orders/%d", i)
		}
		fmt.Fprintf(&b, `{"requestId":"req-%016x","entreprise":{"id":%q,"name":%q},"device":[{"id":%q,"name":%q}],`+
			`"route":%q,"method":"GET","timestamp":%q,"executionTime":%d,"responseSize":2600,"complexityScore":6}`,
			i, ent, entName, dev, devName, route, p.Start.Add(time.Duration(i)*p.Step).Format("2006-01-02T15:04:05.000Z"), i%700)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// PulseLogPage is one page of n rows of one enterprise, one every 36 s
// from 2026-09-23 08:00 UTC: the answer the Pulse reader's benchmarks and
// jsonread's weighing of jsoniter read.
func PulseLogPage(n int) []byte {
	return PulseLogs{Start: time.Date(2026, 9, 23, 8, 0, 0, 0, time.UTC), Step: 36 * time.Second}.Page(n)
}
