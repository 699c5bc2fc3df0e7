package pulse

import (
	"cmp"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/opsdeck/servicestats/pkg/upstream"
)

// logColumns holds the log rows column by column, one block per page: a
// 200,000-row answer is a few slices per page, not 200,000 maps or structs
// of strings. Blocks sized by their page, joined once into fields of the
// exact total size at the end, spare the plugin the ever larger copies (and
// the heap they fragment) of one slice grown row by row. The strings
// (enterprise, device, route, method) repeat endlessly, so each distinct
// value is kept once per page.
//
// The enterprise and device columns hold ids, as the aggregates' labels do
// and as the enterpriseId filter takes them. Their names are not repeated in
// every row: each column gets a value mapping id → name, so Grafana shows the
// names at the cost of one entry per distinct id.
type logColumns struct {
	blocks []*logBlock
	rows   int

	// enterpriseNames and deviceNames map the ids shown to names, when
	// Pulse sends names (joined like the ids for several devices).
	enterpriseNames, deviceNames map[string]string

	skipped      int    // rows left out: their timestamp could not be read
	firstSkipped string // where the first of them was, for the notice
}

// logBlock is one page's rows, decoded straight from the page's bytes.
type logBlock struct {
	time                                         []time.Time
	enterprise, device, route, method            []string // device: several ids joined with ", "
	executionTime, responseSize, complexityScore numbers

	// multi lists the rows with several devices and their ids, for the
	// device split of the derived series.
	multi map[int][]string

	enterpriseNames, deviceNames map[string]string // as in logColumns, for this page
	skipped                      int
	firstSkipped                 string // "row N: timestamp …"

	keep func(string) string // the page's one copy of a string
}

// numbers is a numeric column with its nulls (absent or unreadable values).
type numbers struct {
	v     []float64
	nulls []int // row indexes, ascending; usually none
}

func (n *numbers) add(x number) {
	if !x.ok {
		n.nulls = append(n.nulls, len(n.v))
	}
	n.v = append(n.v, x.v)
}

func newLogColumns() *logColumns {
	return &logColumns{enterpriseNames: map[string]string{}, deviceNames: map[string]string{}}
}

// newLogBlock makes a block for up to n rows.
func newLogBlock(n int, keep func(string) string) *logBlock {
	return &logBlock{
		time:            make([]time.Time, 0, n),
		enterprise:      make([]string, 0, n),
		device:          make([]string, 0, n),
		route:           make([]string, 0, n),
		method:          make([]string, 0, n),
		executionTime:   numbers{v: make([]float64, 0, n)},
		responseSize:    numbers{v: make([]float64, 0, n)},
		complexityScore: numbers{v: make([]float64, 0, n)},
		enterpriseNames: map[string]string{},
		deviceNames:     map[string]string{},
		keep:            keep,
	}
}

// decodeLogs returns the decoder of the log pages: each page is read
// straight into a block pre-sized by the page size. The rows past the page
// size are counted, not kept: such a page is an error (overfull), and
// keeping them let one page at the size cap take ten times its bytes.
func decodeLogs(c *upstream.Client, limit int) decoder[*logBlock] {
	return func(resp *upstream.Response) (*logBlock, int, error) {
		if err := c.CheckJSON(resp); err != nil {
			return nil, 0, err
		}
		s := newScanner(resp.Body, true)
		b := newLogBlock(limit, s.Keep)
		n := 0
		err := s.rows(func() {
			if n++; n > limit { // overfull: counted for the error, not kept
				s.Skip()
				return
			}
			b.add(s.logRow(), n)
		})
		if err != nil {
			return nil, 0, c.DecodeError(resp, err)
		}
		b.keep = nil
		return b, n, nil
	}
}

// add appends row n of the page. A row whose timestamp cannot be read is
// left out and counted: it cannot be placed on a time axis, and one bad row
// should not hide the rest. The answer then carries a warning notice that
// says how many rows were left out and where the first one was.
func (b *logBlock) add(w wireLog, n int) {
	if !w.Timestamp.ok {
		if b.skipped == 0 {
			b.firstSkipped = fmt.Sprintf("row %d: timestamp %s", n, upstream.Quote(w.Timestamp.raw))
		}
		b.skipped++
		return
	}
	b.device = append(b.device, b.devices(w.Device))
	b.time = append(b.time, w.Timestamp.t)
	b.enterprise = append(b.enterprise, b.named(b.enterpriseNames, w.Enterprise))
	b.route = append(b.route, w.Route)
	b.method = append(b.method, b.keep(strings.ToUpper(w.Method)))
	b.executionTime.add(w.ExecutionTime)
	b.responseSize.add(w.ResponseSize)
	b.complexityScore.add(w.ComplexityScore)
}

// named returns the id shown for e, noting its name for the value mapping.
// An entity Pulse gives only a name for is shown by its name.
func (b *logBlock) named(names map[string]string, e entity) string {
	if e.ID == "" {
		return e.Name
	}
	if e.Name != "" && names[e.ID] == "" {
		names[e.ID] = e.Name
	}
	return e.ID
}

// devices returns the device column value of the block's next row: its
// device, or all of them joined with ", " (Pulse's example shows an array;
// the table shows every device a request concerned), or "" when it
// concerned none.
func (b *logBlock) devices(d deviceList) string {
	switch len(d) {
	case 0:
		return ""
	case 1:
		return b.named(b.deviceNames, d[0])
	}
	ids := make([]string, len(d))
	names := make([]string, len(d))
	for i, e := range d {
		ids[i] = b.named(b.deviceNames, e)
		names[i] = cmp.Or(b.deviceNames[ids[i]], ids[i])
	}
	if b.multi == nil {
		b.multi = map[int][]string{}
	}
	b.multi[len(b.device)] = ids
	joined := b.keep(strings.Join(ids, ", "))
	if label := strings.Join(names, ", "); label != joined {
		b.deviceNames[joined] = b.keep(label)
	}
	return joined
}

// deviceIDs returns the device ids of row i; none when it has no device.
func (b *logBlock) deviceIDs(i int) []string {
	if ids, ok := b.multi[i]; ok {
		return ids
	}
	if b.device[i] != "" {
		return b.device[i : i+1]
	}
	return nil
}

// addBlock appends page's block.
func (c *logColumns) addBlock(page int, b *logBlock) {
	if b.skipped > 0 {
		if c.skipped == 0 {
			c.firstSkipped = fmt.Sprintf("page %d, %s", page, b.firstSkipped)
		}
		c.skipped += b.skipped
	}
	for id, name := range b.enterpriseNames {
		c.enterpriseNames[id] = cmp.Or(c.enterpriseNames[id], name)
	}
	for id, name := range b.deviceNames {
		c.deviceNames[id] = cmp.Or(c.deviceNames[id], name)
	}
	b.enterpriseNames, b.deviceNames = nil, nil
	if len(b.time) > 0 {
		c.blocks = append(c.blocks, b)
		c.rows += len(b.time)
	}
}

func (c *logColumns) len() int { return c.rows }

// maxMappedNames bounds the value mappings of one column: past it (a Pulse
// with that many enterprises or devices in one answer), ids are shown as they
// are rather than a frame carrying a name table larger than its rows.
const maxMappedNames = 2000

// collectAfterRows is the size of a logs answer from which logsFrame
// collects the garbage of its blocks at once: a few milliseconds on a
// query that takes hundreds.
const collectAfterRows = 50_000

// logsFrame builds the logs table, joining the blocks column by column and
// letting each block's column go as soon as it is copied.
func logsFrame(c *logColumns) *data.Frame {
	f := data.NewFrame("logs",
		join(c, "time", func(b *logBlock) *[]time.Time { return &b.time }),
		join(c, "enterprise", func(b *logBlock) *[]string { return &b.enterprise }).SetConfig(nameMapping(c.enterpriseNames)),
		join(c, "device", func(b *logBlock) *[]string { return &b.device }).SetConfig(nameMapping(c.deviceNames)),
		join(c, "route", func(b *logBlock) *[]string { return &b.route }),
		join(c, "method", func(b *logBlock) *[]string { return &b.method }),
		joinNumbers(c, "executionTime", func(b *logBlock) *numbers { return &b.executionTime }).SetConfig(&data.FieldConfig{Unit: "ms"}),
		joinNumbers(c, "responseSize", func(b *logBlock) *numbers { return &b.responseSize }).SetConfig(&data.FieldConfig{Unit: "decbytes"}),
		joinNumbers(c, "complexityScore", func(b *logBlock) *numbers { return &b.complexityScore }),
	)
	c.blocks = nil
	if c.rows >= collectAfterRows {
		// The blocks just copied are as large as the frame, and garbage
		// now; the SDK is about to encode the frame (Arrow, then
		// protobuf), allocating several times its size. Collected now,
		// the blocks do not add up with those (BENCHMARKS.md, P5).
		runtime.GC()
	}
	f.Meta = &data.FrameMeta{
		Type:                   data.FrameTypeTable,
		TypeVersion:            data.FrameTypeVersion{0, 1},
		PreferredVisualization: data.VisTypeTable,
	}
	return f
}

// join copies one column of every block into a field of the exact total
// size, written in place (data.NewField would copy a finished slice once
// more), and lets each block's column go once copied.
func join[T any](c *logColumns, name string, col func(*logBlock) *[]T) *data.Field {
	var zero T
	f := data.NewFieldFromFieldType(data.FieldTypeFor(zero), c.rows)
	f.Name = name
	row := 0
	for _, b := range c.blocks {
		v := col(b)
		for _, x := range *v {
			setAt(f, row, x)
			row++
		}
		*v = nil
	}
	return f
}

// joinNumbers joins a numeric column: []float64, or []*float64 pointing
// into the same values when some are null.
func joinNumbers(c *logColumns, name string, col func(*logBlock) *numbers) *data.Field {
	var nulls []int
	base := 0
	for _, b := range c.blocks {
		for _, i := range col(b).nulls {
			nulls = append(nulls, base+i)
		}
		base += len(b.time)
	}
	f := join(c, name, func(b *logBlock) *[]float64 { return &col(b).v })
	if len(nulls) == 0 {
		return f
	}
	ptrs := make([]*float64, f.Len())
	for i := range ptrs {
		ptrs[i] = f.PointerAt(i).(*float64)
	}
	for _, i := range nulls {
		ptrs[i] = nil
	}
	return data.NewField(name, nil, ptrs)
}

// setAt writes v at row i of a field of T without boxing v.
func setAt[T any](f *data.Field, i int, v T) { *f.PointerAt(i).(*T) = v }

// nameMapping shows names in place of ids.
func nameMapping(names map[string]string) *data.FieldConfig {
	if len(names) == 0 || len(names) > maxMappedNames {
		return nil
	}
	m := make(data.ValueMapper, len(names))
	for id, name := range names {
		m[id] = data.ValueMappingResult{Text: name}
	}
	return &data.FieldConfig{Mappings: data.ValueMappings{m}}
}

// skippedNotice says how many rows were left out for their timestamp.
func (c *logColumns) skippedNotice() *data.Notice {
	if c.skipped == 0 {
		return nil
	}
	verb := "rows were"
	if c.skipped == 1 {
		verb = "row was"
	}
	return &data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
		"%d %s left out because Pulse sent a timestamp that could not be read (the first: %s)",
		c.skipped, verb, c.firstSkipped)}
}
