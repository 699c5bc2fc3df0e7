package sandbox

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// onAppDateLayout stamps points as the documentation shows them,
// 2014-11-25T18:25:00+02:00: always a numeric offset, never Z.
const onAppDateLayout = "2006-01-02T15:04:05-07:00"

// formatOnAppFloat writes a float as Ruby does: the shortest form that reads
// back exactly, with at least one decimal (0.0, 1.4193601249999999).
func formatOnAppFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// onAppXMLWriter writes the Rails-style XML OnApp answers with: two-space
// indentation, one element per line. It exists because the grouped answers
// use numeric element names (<977655738>), which are not legal XML names,
// so encoding/xml cannot produce them.
type onAppXMLWriter struct {
	b     strings.Builder
	depth int
}

func (x *onAppXMLWriter) line(s string) {
	x.b.WriteString(strings.Repeat("  ", x.depth))
	x.b.WriteString(s)
	x.b.WriteByte('\n')
}

// open starts an element; attrs, when not empty, is written as is.
func (x *onAppXMLWriter) open(name, attrs string) {
	if attrs != "" {
		name += " " + attrs
	}
	x.line("<" + name + ">")
	x.depth++
}

func (x *onAppXMLWriter) close(name string) {
	x.depth--
	x.line("</" + name + ">")
}

// leaf writes <name type="typ">text</name>, escaping text.
func (x *onAppXMLWriter) leaf(name, typ, text string) {
	attrs := ""
	if typ != "" {
		attrs = ` type="` + typ + `"`
	}
	x.line("<" + name + attrs + ">" + escapeOnAppXML(text) + "</" + name + ">")
}

var onAppXMLEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;")

func escapeOnAppXML(s string) string { return onAppXMLEscaper.Replace(s) }

// writeOnAppStatsXML writes the documented XML answer. Without grouping:
//
//	<stats type="array">
//	  <stat>
//	    <date type="datetime">2014-11-25T18:25:00+02:00</date>
//	    <cached type="float">2.0390744709999997</cached>
//	    <non_cached type="float">0.22656379899999998</non_cached>
//	  </stat>
//	</stats>
//
// Grouped by resource (by location: locations/location/<532>):
//
//	<stat>
//	  <date type="datetime">2014-11-26T18:25:00+02:00</date>
//	  <resources type="array">
//	    <resource>
//	      <977655738>
//	        <cached type="float">1.4193601249999999</cached>
//	        <non_cached type="float">0.0</non_cached>
//	      </977655738>
//	    </resource>
//	  </resources>
//	</stat>
//
// Empty arrays are written the Rails way: <stats type="array"/>.
func writeOnAppStatsXML(w http.ResponseWriter, stats []onAppStat, groupBy string) {
	var x onAppXMLWriter
	if len(stats) == 0 {
		x.line(`<stats type="array"/>`)
	} else {
		x.open("stats", `type="array"`)
		for _, st := range stats {
			x.open("stat", "")
			x.leaf("date", "datetime", st.date.Format(onAppDateLayout))
			if groupBy == "" {
				x.leaf("cached", "float", formatOnAppFloat(st.total.cached))
				x.leaf("non_cached", "float", formatOnAppFloat(st.total.nonCached))
			} else {
				writeOnAppGroupsXML(&x, groupBy, st.groups)
			}
			x.close("stat")
		}
		x.close("stats")
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(x.b.String()))
}

func writeOnAppGroupsXML(x *onAppXMLWriter, groupBy string, groups []onAppGroupValue) {
	plural := groupBy + "s"
	if len(groups) == 0 {
		x.line("<" + plural + ` type="array"/>`)
		return
	}
	x.open(plural, `type="array"`)
	for _, g := range groups {
		key := strconv.Itoa(g.key)
		x.open(groupBy, "")
		x.open(key, "")
		x.leaf("cached", "float", formatOnAppFloat(g.value.cached))
		x.leaf("non_cached", "float", formatOnAppFloat(g.value.nonCached))
		x.close(key)
		x.close(groupBy)
	}
	x.close(plural)
}

// The JSON shapes (docs/architecture.md, "Shapes the sandbox serves"):
//
//	[{"stat": {"date": "…", "cached": 2.039, "non_cached": 0.226}}]
//	[{"stat": {"date": "…", "resources": [{"resource": {"977655738": {"cached": …, "non_cached": …}}}]}}]
//
// and, for the reports endpoint, the same array below {"stats": …}.
type (
	onAppPairJSON struct {
		Cached    json.RawMessage `json:"cached"`
		NonCached json.RawMessage `json:"non_cached"`
	}
	onAppStatJSON struct {
		Date string `json:"date"`
		*onAppPairJSON
		Resources *[]map[string]map[string]onAppPairJSON `json:"resources,omitempty"`
		Locations *[]map[string]map[string]onAppPairJSON `json:"locations,omitempty"`
	}
	onAppStatEntryJSON struct {
		Stat onAppStatJSON `json:"stat"`
	}
)

// onAppNumberJSON writes v as a JSON number, or as a numeric string when
// asString: the plugin's reader must accept both.
func onAppNumberJSON(v float64, asString bool) json.RawMessage {
	s := formatOnAppFloat(v)
	if asString {
		s = strconv.Quote(s)
	}
	return json.RawMessage(s)
}

// writeOnAppStatsJSON writes the JSON answer. Every third stat (the third,
// the sixth, …) carries its cached figures as strings.
func writeOnAppStatsJSON(w http.ResponseWriter, stats []onAppStat, groupBy string, reportsRoot bool) {
	entries := make([]onAppStatEntryJSON, 0, len(stats))
	for i, st := range stats {
		asString := i%3 == 2
		out := onAppStatJSON{Date: st.date.Format(onAppDateLayout)}
		if groupBy == "" {
			out.onAppPairJSON = &onAppPairJSON{
				Cached:    onAppNumberJSON(st.total.cached, asString),
				NonCached: onAppNumberJSON(st.total.nonCached, false),
			}
		} else {
			groups := make([]map[string]map[string]onAppPairJSON, 0, len(st.groups))
			for _, g := range st.groups {
				groups = append(groups, map[string]map[string]onAppPairJSON{
					groupBy: {strconv.Itoa(g.key): {
						Cached:    onAppNumberJSON(g.value.cached, asString),
						NonCached: onAppNumberJSON(g.value.nonCached, false),
					}},
				})
			}
			if groupBy == "resource" {
				out.Resources = &groups
			} else {
				out.Locations = &groups
			}
		}
		entries = append(entries, onAppStatEntryJSON{out})
	}
	if reportsRoot {
		writeJSON(w, http.StatusOK, map[string]any{"stats": entries})
		return
	}
	writeJSON(w, http.StatusOK, entries)
}

// writeOnAppErrors writes an error answer with a bare list of messages:
// {"errors":["Access denied"]}, or <errors><error>Access denied</error></errors>.
func writeOnAppErrors(w http.ResponseWriter, format onAppFormat, status int, messages ...string) {
	if format == onAppXML {
		writeOnAppErrorsXML(w, status, messages)
		return
	}
	writeJSON(w, status, map[string][]string{"errors": messages})
}

// writeOnAppFieldErrors writes a 422 with errors by parameter:
// {"errors":{"start":["is invalid"]}}; in XML, one <error> per message,
// prefixed with its parameter ("start is invalid"), as Rails writes them.
func writeOnAppFieldErrors(w http.ResponseWriter, format onAppFormat, errs onAppFieldErrors) {
	if format == onAppXML {
		var messages []string
		for _, field := range slices.Sorted(maps.Keys(errs)) {
			for _, msg := range errs[field] {
				messages = append(messages, field+" "+msg)
			}
		}
		writeOnAppErrorsXML(w, http.StatusUnprocessableEntity, messages)
		return
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]onAppFieldErrors{"errors": errs})
}

func writeOnAppErrorsXML(w http.ResponseWriter, status int, messages []string) {
	var x onAppXMLWriter
	x.open("errors", "")
	for _, m := range messages {
		x.leaf("error", "", m)
	}
	x.close("errors")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(x.b.String()))
}
