package sandbox

import (
	"math"
	"slices"
	"time"
	_ "time/tzdata" // the server zone must load on hosts without zoneinfo
)

// onAppZoneName is the time zone of the imitated OnApp server: dates sent
// without an offset are read in it, answers are stamped in it with their
// offset, and its midnights delimit the days of data.
const onAppZoneName = "Europe/Paris"

var onAppZone = mustLoadLocation(onAppZoneName)

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("sandbox: " + err.Error())
	}
	return loc
}

// OnAppZone returns the time zone of the sandbox's OnApp server.
func OnAppZone() *time.Location { return onAppZone }

// The bucket sizes of the OnApp documentation, by range length in days
// (docs/architecture.md: ≤ 30 → 1 day, 31–92 → 7 days, ≥ 93 → 14 days).
const (
	onAppDay       = 86400 * time.Second
	onAppWeek      = 604800 * time.Second
	onAppFortnight = 1209600 * time.Second
)

// onAppMBPSRetention is how far back MBPS data exists (the documentation:
// "In MBPS mode you can get statistics for the last 10 days only").
const onAppMBPSRetention = 10 * 24 * time.Hour

// gbPerDayToMbps turns a day's volume in GB (SI) into its average rate in
// Mbit/s: 1 GB = 8000 Mbit, and a day counts as 86400 s, even across DST.
const gbPerDayToMbps = 8000.0 / 86400.0

// onAppStep is the bucket size for a range: its length in days is
// ceil((end − start) / 24 h).
func onAppStep(start, end time.Time) time.Duration {
	length := end.Sub(start)
	days := length / (24 * time.Hour)
	if length%(24*time.Hour) != 0 {
		days++
	}
	switch {
	case days <= 30:
		return onAppDay
	case days <= 92:
		return onAppWeek
	default:
		return onAppFortnight
	}
}

// OnAppDailyGB is the sandbox's traffic of one CDN resource (by
// cdn_reference) at one edge location on the server-zone calendar day
// containing day, in GB (SI, byte precision): what was served from cache
// and what was fetched from the origin. It is a pure function of its
// arguments, so a test can recompute what the bandwidth endpoints answer:
//
//   - A day of data is identified by its local midnight (in OnAppZone); it
//     belongs to the bucket [start + k·step, start + (k+1)·step) that
//     contains that midnight, with step in seconds as the documentation
//     gives it (so across a DST change bucket stamps shift by an hour).
//   - Days whose midnight is after the server's now have no data; in MBPS
//     mode neither have days whose midnight is before now − 10 days.
//   - GB: a bucket's value is the sum of its days' values, over the
//     selected resources and locations. MBPS: each day's summed volume is
//     converted to an average rate (× 8000 / 86400 Mbit/s), and a bucket's
//     value is the mean over its days that have data; buckets without such
//     days are left out.
//   - Sums are accumulated day by day, then resource by resource and
//     location by location in catalogue order: compare with a tolerance.
//
// The answer is zero for an unknown resource or location, for a location
// outside the resource's edge groups, and on a resource's occasional idle
// day; the non-cached part alone is zero on some days.
func OnAppDailyGB(ref, locationID int, day time.Time) (cached, nonCached float64) {
	res, dailyGB, ok := onAppResourceByRef(ref)
	if !ok {
		return 0, 0
	}
	_, weight, ok := onAppLocationWeight(locationID)
	if !ok || !onAppServes(res, locationID) {
		return 0, 0
	}

	local := day.In(onAppZone)
	y, m, d := local.Date()
	date := uint64(y*10000 + int(m)*100 + d)

	// A resource is idle everywhere on about one day in fifteen.
	if onAppUniform(onAppHash(uint64(ref), 0, date), 0) < 1.0/15 {
		return 0, 0
	}

	h := onAppHash(uint64(ref), uint64(locationID), date)
	volume := dailyGB * weight * (0.6 + 0.8*onAppUniform(h, 1))
	if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
		volume *= 0.7
	}
	cachedBytes := math.Round(volume * 1e9)
	nonCachedBytes := 0.0
	if onAppUniform(h, 3) >= 1.0/8 { // otherwise everything came from cache
		nonCachedBytes = math.Round(cachedBytes * (0.04 + 0.11*onAppUniform(h, 2)))
	}
	return cachedBytes / 1e9, nonCachedBytes / 1e9
}

// onAppHash mixes a few numbers into one with splitmix64 steps: a
// deterministic, stateless source of variety (no global rand).
func onAppHash(parts ...uint64) uint64 {
	h := uint64(0x5ca1ab1e)
	for _, p := range parts {
		h = splitmix64(h ^ p)
	}
	return h
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// onAppUniform derives the i-th number in [0, 1) from h.
func onAppUniform(h uint64, i uint64) float64 {
	return float64(splitmix64(h+i)>>11) / (1 << 53)
}

// onAppValue is a pair of figures: GB, or Mbit/s in MBPS mode.
type onAppValue struct {
	cached, nonCached float64
}

func (v *onAppValue) add(o onAppValue) {
	v.cached += o.cached
	v.nonCached += o.nonCached
}

func (v onAppValue) scale(f float64) onAppValue {
	return onAppValue{v.cached * f, v.nonCached * f}
}

func (v onAppValue) isZero() bool { return v.cached == 0 && v.nonCached == 0 }

// onAppGroupValue is one group's figures in a grouped stat.
type onAppGroupValue struct {
	key   int // cdn_reference or location id
	value onAppValue
}

// onAppStat is one point of an answer.
type onAppStat struct {
	date   time.Time         // the bucket's start, in the server's zone
	total  onAppValue        // ungrouped answers
	groups []onAppGroupValue // grouped answers: catalogue order, empty groups left out
}

// onAppHasData reports whether the day starting at midnight has data.
func onAppHasData(midnight, now time.Time, mbps bool) bool {
	if midnight.After(now) {
		return false
	}
	return !mbps || !midnight.Before(now.Add(-onAppMBPSRetention))
}

// stats computes the answer's points, following the rules documented on
// OnAppDailyGB. Ungrouped points are in ascending date order; grouped ones
// in descending order, as in the documentation's grouped example.
func (q onAppQuery) stats(now time.Time) []onAppStat {
	step := onAppStep(q.start, q.end)
	n := 0
	for q.start.Add(time.Duration(n) * step).Before(q.end) {
		n++
	}

	// The group keys, and for each (resource, location) pair its group slot.
	var keys []int
	slot := func(ri, li int) int { return 0 }
	switch q.groupBy {
	case "resource":
		keys = q.resources
		slot = func(ri, _ int) int { return ri }
	case "location":
		keys = q.locations
		slot = func(_, li int) int { return li }
	}

	type bucket struct {
		days   int // days with data
		total  onAppValue
		groups []onAppValue
	}
	buckets := make([]bucket, n)
	for i := range buckets {
		buckets[i].groups = make([]onAppValue, len(keys))
	}

	for day := onAppFirstMidnight(q.start); day.Before(q.end); day = day.AddDate(0, 0, 1) {
		if !onAppHasData(day, now, q.mbps) {
			continue
		}
		b := &buckets[int(day.Sub(q.start)/step)]
		b.days++
		for ri, ref := range q.resources {
			for li, loc := range q.locations {
				c, nc := OnAppDailyGB(ref, loc, day)
				v := onAppValue{c, nc}
				if q.mbps {
					v = v.scale(gbPerDayToMbps)
				}
				b.total.add(v)
				if keys != nil {
					b.groups[slot(ri, li)].add(v)
				}
			}
		}
	}

	out := make([]onAppStat, 0, n)
	for k, b := range buckets {
		if q.mbps {
			if b.days == 0 {
				continue // MBPS data older than ten days is gone: no point
			}
			b.total = b.total.scale(1 / float64(b.days))
			for i := range b.groups {
				b.groups[i] = b.groups[i].scale(1 / float64(b.days))
			}
		}
		st := onAppStat{date: q.start.Add(time.Duration(k) * step).In(onAppZone), total: b.total}
		if keys != nil {
			st.groups = []onAppGroupValue{}
			for i, v := range b.groups {
				if !v.isZero() {
					st.groups = append(st.groups, onAppGroupValue{keys[i], v})
				}
			}
		}
		out = append(out, st)
	}
	if q.groupBy != "" {
		slices.Reverse(out)
	}
	return out
}

// onAppFirstMidnight is the first server-zone midnight at or after t.
func onAppFirstMidnight(t time.Time) time.Time {
	t = t.In(onAppZone)
	y, m, d := t.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, onAppZone)
	if midnight.Before(t) {
		midnight = midnight.AddDate(0, 0, 1)
	}
	return midnight
}
