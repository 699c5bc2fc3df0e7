package sandbox

// The Pulse log population: the rows the sandbox's /stats serves and its
// aggregates count.
//
// Rows sit on a fixed grid in absolute time: row k (the grid index) is stamped
// k·step milliseconds after the Unix epoch, with step = 24 h / PulseRowsPerDay
// rounded down to whole milliseconds. Every field of row k derives from a hash
// of k alone, so a row is the same whichever clock reading, request or process
// reaches it; only the visible window [now − PulseRetention, now] moves with
// the clock. Successive calls (a paging walk, a query and its aggregates)
// therefore agree even when the clock advances between them.
//
// Nothing is stored per row but one byte (its enterprise, for skipping through
// a filtered walk) and per-day tallies, computed once per calendar day (UTC)
// of the grid and cached. Paging finds a page's rows by arithmetic on the grid
// when no enterprise is filtered, and by skipping whole days by their tallies
// when one is; aggregates add the tallies of whole days and generate the rows
// of the at most two partial days at the range's ends.

import (
	"encoding/json"
	"math"
	"sync"
	"time"
)

const (
	// DefaultPulseRowsPerDay is the density of the Pulse log population when
	// Config.PulseRowsPerDay is not set: one row every 36 seconds, 216,000 rows
	// over the 90 days the sandbox keeps.
	DefaultPulseRowsPerDay = 2400

	// PulseRetention is how far back the Pulse log population reaches from now.
	PulseRetention = 90 * 24 * time.Hour
)

const pulseDayMs = int64(24 * time.Hour / time.Millisecond)

// PulseEnterprise is an enterprise of the Pulse population (the document's
// "Entreprise", which it never defines: an id and a name is the inferred form).
type PulseEnterprise struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// PulseDevice is a device of the Pulse population. Each belongs to one
// enterprise; the API shows only its id and name.
type PulseDevice struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	EnterpriseID string `json:"-"`
}

// pulseEnterprises is the population's enterprises, in id order.
var pulseEnterprises = [...]PulseEnterprise{
	{ID: "ent-acme", Name: "Acme Corp"},
	{ID: "ent-globex", Name: "Globex"},
	{ID: "ent-initech", Name: "Initech"},
	{ID: "ent-umbrella", Name: "Umbrella"},
}

// pulseEnterpriseWeights are the enterprises' shares of the rows, in percent.
var pulseEnterpriseWeights = [len(pulseEnterprises)]int{40, 25, 20, 15}

// pulseDevices is the population's devices, in id order.
var pulseDevices = [...]PulseDevice{
	{ID: "dev-acme-gw-01", Name: "Acme Paris Gateway", EnterpriseID: "ent-acme"},
	{ID: "dev-acme-gw-02", Name: "Acme Lyon Gateway", EnterpriseID: "ent-acme"},
	{ID: "dev-acme-kiosk-01", Name: "Acme Lobby Kiosk", EnterpriseID: "ent-acme"},
	{ID: "dev-acme-pos-01", Name: "Acme Store Terminal", EnterpriseID: "ent-acme"},
	{ID: "dev-globex-hub-01", Name: "Globex Plant Hub", EnterpriseID: "ent-globex"},
	{ID: "dev-globex-hub-02", Name: "Globex Warehouse Hub", EnterpriseID: "ent-globex"},
	{ID: "dev-globex-tab-01", Name: "Globex Field Tablet", EnterpriseID: "ent-globex"},
	{ID: "dev-initech-pc-01", Name: "Initech Office PC", EnterpriseID: "ent-initech"},
	{ID: "dev-initech-pc-02", Name: "Initech Lab PC", EnterpriseID: "ent-initech"},
	{ID: "dev-initech-printer-01", Name: "Initech Printer", EnterpriseID: "ent-initech"},
	{ID: "dev-umbrella-sensor-01", Name: "Umbrella Lab Sensor", EnterpriseID: "ent-umbrella"},
	{ID: "dev-umbrella-sensor-02", Name: "Umbrella Cold Room Sensor", EnterpriseID: "ent-umbrella"},
}

// pulseMethods are the HTTP methods a row may carry.
var pulseMethods = [...]string{"GET", "POST", "PUT", "DELETE"}

const (
	pulseGET = iota
	pulsePOST
	pulsePUT
	pulseDELETE
)

// pulseRouteSpec describes one route of the population and the distribution
// of its rows' fields.
type pulseRouteSpec struct {
	path       string
	weight     int                    // share of the rows, in percent
	methods    [len(pulseMethods)]int // share of each method, in percent
	medianMs   float64                // median execution time
	sizeBytes  float64                // median response size
	complexity float64                // median complexity score
}

// pulseRoutes is the population's routes, with methods that fit each one.
var pulseRoutes = [...]pulseRouteSpec{
	{path: "/graphql", weight: 35, methods: [4]int{10, 90, 0, 0}, medianMs: 180, sizeBytes: 4200, complexity: 40},
	{path: "/api/v1/orders", weight: 20, methods: [4]int{60, 25, 10, 5}, medianMs: 60, sizeBytes: 2600, complexity: 6},
	{path: "/api/v1/devices", weight: 20, methods: [4]int{70, 10, 15, 5}, medianMs: 40, sizeBytes: 1800, complexity: 4},
	{path: "/api/v1/auth/login", weight: 10, methods: [4]int{0, 100, 0, 0}, medianMs: 120, sizeBytes: 600, complexity: 2},
	{path: "/api/v1/reports", weight: 5, methods: [4]int{85, 15, 0, 0}, medianMs: 650, sizeBytes: 48000, complexity: 25},
	{path: "/api/v1/billing", weight: 10, methods: [4]int{100, 0, 0, 0}, medianMs: 90, sizeBytes: 3100, complexity: 5},
}

// pulseDevicesOf lists, per enterprise, the indexes of its devices.
var pulseDevicesOf = func() (of [len(pulseEnterprises)][]int8) {
	for d, dev := range pulseDevices {
		e := pulseEnterpriseIndex(dev.EnterpriseID)
		if e < 0 {
			panic("sandbox: Pulse device " + dev.ID + " of an unknown enterprise")
		}
		of[e] = append(of[e], int8(d))
	}
	return of
}()

// PulseEnterprises returns the enterprises of the Pulse population, by id.
func PulseEnterprises() []PulseEnterprise {
	return append([]PulseEnterprise(nil), pulseEnterprises[:]...)
}

// PulseDevices returns the devices of the Pulse population, by id.
func PulseDevices() []PulseDevice { return append([]PulseDevice(nil), pulseDevices[:]...) }

// PulseRoutes returns the routes of the Pulse population.
func PulseRoutes() []string {
	routes := make([]string, len(pulseRoutes))
	for i, r := range pulseRoutes {
		routes[i] = r.path
	}
	return routes
}

// pulseEnterpriseIndex returns the index of the enterprise with that id, or −1.
func pulseEnterpriseIndex(id string) int {
	for i, e := range pulseEnterprises {
		if e.ID == id {
			return i
		}
	}
	return -1
}

// pulseDeviceForm is how a row shows its device.
type pulseDeviceForm uint8

const (
	pulseDeviceArray  pulseDeviceForm = iota // [device], the document's example
	pulseDeviceObject                        // device, the document's model
	pulseDeviceNone                          // [], no device
)

// pulseRow is one generated log row, without its timestamp (k·step).
type pulseRow struct {
	ent        uint8 // index into pulseEnterprises
	route      uint8 // index into pulseRoutes
	method     uint8 // index into pulseMethods
	dev        int8  // index into pulseDevices; −1 when the row has no device
	devForm    pulseDeviceForm
	epochTS    bool // timestamp as epoch milliseconds rather than an ISO string
	execMs     int
	size       int
	complexity int
	requestID  uint64
}

// pulseRowAt generates row k of the grid. It is a pure function of k: the
// single definition of the population's content.
func pulseRowAt(k int64) pulseRow {
	d := pulseDraws(pulseHash(k, 0))
	var r pulseRow
	r.ent = uint8(d.weighted(pulseEnterpriseWeights[:]))
	r.route = uint8(d.weighted(pulseRouteWeights[:]))
	spec := &pulseRoutes[r.route]
	r.method = uint8(d.weighted(spec.methods[:]))

	devs := pulseDevicesOf[r.ent]
	r.dev = devs[d.intn(len(devs))]
	switch x := d.intn(100); {
	case x < 4: // a few requests concern no device
		r.dev, r.devForm = -1, pulseDeviceNone
	case x < 16:
		r.devForm = pulseDeviceObject
	default:
		r.devForm = pulseDeviceArray
	}
	r.epochTS = d.intn(100) < 15

	// Execution time and response size: lognormal around the route's medians,
	// from the two normal variates of one Box–Muller draw.
	u1, u2 := pulseUnit(pulseHash(k, 1)), pulseUnit(pulseHash(k, 2))
	radius := math.Sqrt(-2 * math.Log(u1))
	z1, z2 := radius*math.Cos(2*math.Pi*u2), radius*math.Sin(2*math.Pi*u2)

	exec := math.Min(math.Max(spec.medianMs*math.Exp(0.75*z1), 5), 2000)
	r.execMs = int(math.Round(exec))

	size := spec.sizeBytes * math.Exp(0.6*z2)
	if r.method == pulseDELETE {
		size /= 40 // a deletion answers little more than an acknowledgement
	}
	r.size = max(int(math.Round(size)), 32)

	// Complexity grows with the work done: the route's median scaled by the
	// square root of the relative execution time, ±25 %.
	jitter := 0.75 + 0.5*pulseUnit(pulseHash(k, 3))
	r.complexity = max(int(math.Round(spec.complexity*math.Sqrt(exec/spec.medianMs)*jitter)), 1)

	r.requestID = pulseHash(k, 4)
	return r
}

// pulseRouteWeights are the routes' shares of the rows, in percent.
var pulseRouteWeights = func() (w [len(pulseRoutes)]int) {
	for i, r := range pulseRoutes {
		w[i] = r.weight
	}
	return w
}()

// pulseHash hashes a grid index and a salt (one salt per independent field)
// with 64-bit FNV-1a, then a final avalanche (MurmurHash3's fmix64): FNV-1a
// alone spreads a change of the input's last bytes poorly into the low bits,
// which the draws below read first.
func pulseHash(k int64, salt byte) uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for v, i := uint64(k), 0; i < 8; v, i = v>>8, i+1 {
		h ^= v & 0xff
		h *= prime64
	}
	h ^= uint64(salt)
	h *= prime64

	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb3ca1a85ec53
	h ^= h >> 33
	return h
}

// pulseUnit maps a hash to a float in (0, 1], safe to take the log of.
func pulseUnit(h uint64) float64 {
	return float64(h>>11+1) / (1 << 53)
}

// pulseDraws hands out several small independent choices from one 64-bit
// hash, as the digits of a mixed-radix number.
type pulseDraws uint64

// intn returns a choice in [0, n).
func (d *pulseDraws) intn(n int) int {
	v := uint64(*d) % uint64(n)
	*d = pulseDraws(uint64(*d) / uint64(n))
	return int(v)
}

// weighted returns an index into weights, with probability proportional to
// its weight.
func (d *pulseDraws) weighted(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := d.intn(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	panic("unreachable")
}

// pulseTally is the aggregates of a set of rows, kept unfiltered: an
// enterprise filter is applied when reading it (devices and routes per
// enterprise are recoverable since each device belongs to one enterprise
// and routes are counted per enterprise).
type pulseTally struct {
	requests   [len(pulseEnterprises)]int
	complexity [len(pulseEnterprises)]int // sum of the complexity scores
	devices    [len(pulseDevices)]int     // rows without a device not counted
	routes     [len(pulseEnterprises)][len(pulseRoutes)]int
}

func (t *pulseTally) add(r *pulseRow) {
	t.requests[r.ent]++
	t.complexity[r.ent] += r.complexity
	if r.dev >= 0 {
		t.devices[r.dev]++
	}
	t.routes[r.ent][r.route]++
}

func (t *pulseTally) merge(o *pulseTally) {
	for e := range t.requests {
		t.requests[e] += o.requests[e]
		t.complexity[e] += o.complexity[e]
		for r := range t.routes[e] {
			t.routes[e][r] += o.routes[e][r]
		}
	}
	for d := range t.devices {
		t.devices[d] += o.devices[d]
	}
}

// pulseDay is the summary of the grid rows of one UTC calendar day.
type pulseDay struct {
	k0    int64   // grid index of the day's first row
	ents  []uint8 // enterprise of each row, from k0 on
	tally pulseTally
}

// pulseAll and pulseNobody are the enterprise filters beside an index into
// pulseEnterprises: no filter, and an unknown enterprise (no rows).
const (
	pulseAll    = -1
	pulseNobody = -2
)

// pulsePopulation is the log population for one density and one clock.
type pulsePopulation struct {
	stepMs int64 // grid step
	now    func() time.Time

	mu   sync.Mutex
	days map[int64]*pulseDay // by day number since the epoch
}

func newPulsePopulation(cfg Config) *pulsePopulation {
	return &pulsePopulation{stepMs: pulseStepMs(cfg), now: cfg.now, days: map[int64]*pulseDay{}}
}

// pulseStepMs is the grid step for cfg's density: 24 h / rows per day, in
// whole milliseconds (at least 1), so every row's time is exact in the
// millisecond timestamps the API shows.
func pulseStepMs(cfg Config) int64 {
	perDay := int64(cfg.PulseRowsPerDay)
	if perDay <= 0 {
		perDay = DefaultPulseRowsPerDay
	}
	return max(pulseDayMs/perDay, 1)
}

// gridRange returns the grid indexes [kLo, kHi) of the visible rows whose
// time t satisfies startMs <= t < endMs (start inclusive, end exclusive).
func (p *pulsePopulation) gridRange(startMs, endMs int64) (kLo, kHi int64) {
	now := p.now()
	// Visible: now − PulseRetention <= t <= now.
	startMs = max(startMs, pulseCeilMs(now.Add(-PulseRetention)))
	endMs = min(endMs, now.UnixMilli()+1)
	kLo = pulseCeilDiv(startMs, p.stepMs)
	kHi = max(pulseCeilDiv(endMs, p.stepMs), kLo) // k·step < endMs
	return kLo, kHi
}

// day returns the summary of day d, computing and caching it on first use.
func (p *pulsePopulation) day(d int64) *pulseDay {
	p.mu.Lock()
	day := p.days[d]
	p.mu.Unlock()
	if day != nil {
		return day
	}

	// Computed outside the lock: concurrent first uses may both compute the
	// day, with identical results.
	k0, k1 := p.dayStart(d), p.dayStart(d+1)
	day = &pulseDay{k0: k0, ents: make([]uint8, k1-k0)}
	for k := k0; k < k1; k++ {
		r := pulseRowAt(k)
		day.ents[k-k0] = r.ent
		day.tally.add(&r)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	// The window covers 91 days at most; forget days it has left behind
	// when a moving clock has made the cache grow past a few windows.
	if len(p.days) >= 4*92 {
		clear(p.days)
	}
	p.days[d] = day
	return day
}

// dayOf returns the day of grid row k; dayStart the first grid row of day d.
func (p *pulsePopulation) dayOf(k int64) int64    { return pulseFloorDiv(k*p.stepMs, pulseDayMs) }
func (p *pulsePopulation) dayStart(d int64) int64 { return pulseCeilDiv(d*pulseDayMs, p.stepMs) }

// eachDay calls fn for each day overlapping [kLo, kHi) with the overlap
// [lo, hi) and whether it covers the whole day; fn returns false to stop.
func (p *pulsePopulation) eachDay(kLo, kHi int64, fn func(d, lo, hi int64, whole bool) bool) {
	if kLo >= kHi {
		return
	}
	for d := p.dayOf(kLo); d <= p.dayOf(kHi-1); d++ {
		start, end := p.dayStart(d), p.dayStart(d+1)
		lo, hi := max(kLo, start), min(kHi, end)
		if !fn(d, lo, hi, lo == start && hi == end) {
			return
		}
	}
}

// page returns the grid indexes of the rows [offset, offset+limit) of the
// rows of [kLo, kHi) that belong to enterprise ent (an index, or pulseAll).
func (p *pulsePopulation) page(kLo, kHi int64, ent int, offset, limit int) []int64 {
	var ks []int64
	switch ent {
	case pulseNobody:
		return nil
	case pulseAll:
		// Unfiltered, the page is a plain slice of the grid.
		from := kLo + int64(offset)
		to := min(from+int64(limit), kHi)
		for k := from; k < to; k++ {
			ks = append(ks, k)
		}
		return ks
	}

	skip := offset
	p.eachDay(kLo, kHi, func(d, lo, hi int64, whole bool) bool {
		day := p.day(d)
		ents := day.ents[lo-day.k0 : hi-day.k0]
		if whole && skip >= day.tally.requests[ent] {
			skip -= day.tally.requests[ent] // the page starts after this day
			return true
		}
		for i, e := range ents {
			if int(e) != ent {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			ks = append(ks, lo+int64(i))
			if len(ks) == limit {
				return false
			}
		}
		return true
	})
	return ks
}

// tally returns the aggregates of the rows of [kLo, kHi), of all enterprises.
func (p *pulsePopulation) tally(kLo, kHi int64) *pulseTally {
	var t pulseTally
	p.eachDay(kLo, kHi, func(d, lo, hi int64, whole bool) bool {
		if whole {
			t.merge(&p.day(d).tally)
			return true
		}
		for k := lo; k < hi; k++ {
			r := pulseRowAt(k)
			t.add(&r)
		}
		return true
	})
	return &t
}

// PulseRowCount counts the rows the Pulse sandbox built with cfg holds for
// enterpriseID ("" for all) with start <= timestamp < end, a zero start or
// end meaning no bound, at cfg's current time. It walks the grid with time
// comparisons, independently of the API's paging and day summaries, so tests
// can check both against it.
func PulseRowCount(cfg Config, enterpriseID string, start, end time.Time) int {
	ent := pulseAll
	if enterpriseID != "" {
		if ent = pulseEnterpriseIndex(enterpriseID); ent < 0 {
			return 0
		}
	}
	step := pulseStepMs(cfg)
	now := cfg.now()
	oldest := now.Add(-PulseRetention)

	n := 0
	for k := oldest.UnixMilli()/step - 1; ; k++ {
		t := time.UnixMilli(k * step)
		if t.After(now) {
			return n
		}
		if t.Before(oldest) || (!start.IsZero() && t.Before(start)) || (!end.IsZero() && !t.Before(end)) {
			continue
		}
		if ent == pulseAll || int(pulseRowAt(k).ent) == ent {
			n++
		}
	}
}

// pulseCeilMs returns t in Unix milliseconds, rounded up.
func pulseCeilMs(t time.Time) int64 {
	ms := t.UnixMilli() // rounded down, also before the epoch
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ms++
	}
	return ms
}

// pulseFloorDiv and pulseCeilDiv divide by b > 0, rounding toward −∞ and +∞.
func pulseFloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func pulseCeilDiv(a, b int64) int64 { return -pulseFloorDiv(-a, b) }

// pulseMustJSON encodes constant data at start-up.
func pulseMustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
