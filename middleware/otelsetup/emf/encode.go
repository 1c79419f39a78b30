package emf

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// group is what one document (or, past the format's limits, several)
// holds: the data points of one scope that share attributes and time.
type group struct {
	key     string
	ts      int64 // milliseconds since the epoch
	dims    []member
	metrics []metricValues
}

type member struct{ name, value string }

type metricValues struct {
	name   string
	unit   string
	values []float64
}

func encode(namespace string, resourceDims []attribute.Key, rm *metricdata.ResourceMetrics) []byte {
	var res []member
	if rm.Resource != nil {
		for _, k := range resourceDims {
			if v, ok := rm.Resource.Set().Value(k); ok {
				res = append(res, member{string(k), v.String()})
			}
		}
	}
	groups := map[string]*group{}
	add := func(scope, name, unit string, attrs attribute.Set, t time.Time, values []float64) {
		values = slices.DeleteFunc(values, func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) })
		if len(values) == 0 {
			return
		}
		ts := t.UnixMilli()
		key := scope + "\x00" + strconv.FormatInt(ts, 10) + "\x00" + attrs.Encoded(attribute.DefaultEncoder())
		g, ok := groups[key]
		if !ok {
			g = &group{key: key, ts: ts, dims: slices.Clone(res)}
			for it := attrs.Iter(); it.Next(); {
				kv := it.Attribute()
				g.dims = append(g.dims, member{string(kv.Key), kv.Value.String()})
			}
			groups[key] = g
		}
		g.metrics = append(g.metrics, metricValues{name: name, unit: cloudWatchUnit(unit), values: values})
	}
	for _, sm := range rm.ScopeMetrics {
		scope := sm.Scope.Name
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				points(d.DataPoints, func(p metricdata.DataPoint[int64]) {
					add(scope, m.Name, m.Unit, p.Attributes, p.Time, []float64{float64(p.Value)})
				})
			case metricdata.Sum[float64]:
				points(d.DataPoints, func(p metricdata.DataPoint[float64]) {
					add(scope, m.Name, m.Unit, p.Attributes, p.Time, []float64{p.Value})
				})
			case metricdata.Gauge[int64]:
				points(d.DataPoints, func(p metricdata.DataPoint[int64]) {
					add(scope, m.Name, m.Unit, p.Attributes, p.Time, []float64{float64(p.Value)})
				})
			case metricdata.Gauge[float64]:
				points(d.DataPoints, func(p metricdata.DataPoint[float64]) {
					add(scope, m.Name, m.Unit, p.Attributes, p.Time, []float64{p.Value})
				})
			case metricdata.Histogram[int64]:
				points(d.DataPoints, func(p metricdata.HistogramDataPoint[int64]) {
					add(scope, m.Name, m.Unit, p.Attributes, p.Time, histogramValues(p))
				})
			case metricdata.Histogram[float64]:
				points(d.DataPoints, func(p metricdata.HistogramDataPoint[float64]) {
					add(scope, m.Name, m.Unit, p.Attributes, p.Time, histogramValues(p))
				})
			}
		}
	}

	ordered := make([]*group, 0, len(groups))
	for _, g := range groups {
		ordered = append(ordered, g)
	}
	slices.SortFunc(ordered, func(a, b *group) int { return strings.Compare(a.key, b.key) })
	var buf []byte
	for _, g := range ordered {
		buf = g.appendDocuments(buf, namespace)
	}
	return buf
}

func points[P any](ps []P, f func(P)) {
	for _, p := range ps {
		f(p)
	}
}

// histogramValues stands for the measurements of p: the exact value when
// there was one, else one value per measurement at the middle of its
// bucket, clamped to the recorded extremes.
func histogramValues[N int64 | float64](p metricdata.HistogramDataPoint[N]) []float64 {
	if p.Count == 0 {
		return nil
	}
	if p.Count == 1 {
		return []float64{float64(p.Sum)}
	}
	lo, hasLo := p.Min.Value()
	hi, hasHi := p.Max.Value()
	values := make([]float64, 0, p.Count)
	for i, n := range p.BucketCounts {
		if n == 0 {
			continue
		}
		var lower, upper float64
		switch {
		case i == 0 && hasLo:
			lower = float64(lo)
		case i == 0 && len(p.Bounds) > 0:
			lower = p.Bounds[0]
		case i > 0:
			lower = p.Bounds[i-1]
		}
		switch {
		case i < len(p.Bounds):
			upper = p.Bounds[i]
		case hasHi:
			upper = float64(hi)
		default:
			upper = lower
		}
		v := (lower + upper) / 2
		if hasLo {
			v = max(v, float64(lo))
		}
		if hasHi {
			v = min(v, float64(hi))
		}
		for range n {
			values = append(values, v)
		}
	}
	return values
}

// appendDocuments writes g as one document per 100 values of its longest
// metric, each with directives of at most 100 metrics.
func (g *group) appendDocuments(buf []byte, namespace string) []byte {
	slices.SortStableFunc(g.metrics, func(a, b metricValues) int { return strings.Compare(a.name, b.name) })
	longest := 0
	for _, m := range g.metrics {
		longest = max(longest, len(m.values))
	}
	dims := g.dims[:min(len(g.dims), maxDimensions)]
	for chunk := 0; chunk*maxValues < longest; chunk++ {
		var ms []metricValues
		for _, m := range g.metrics {
			if lo := chunk * maxValues; lo < len(m.values) {
				ms = append(ms, metricValues{name: m.name, unit: m.unit, values: m.values[lo:min(len(m.values), lo+maxValues)]})
			}
		}
		buf = append(buf, `{"_aws":{"Timestamp":`...)
		buf = strconv.AppendInt(buf, g.ts, 10)
		buf = append(buf, `,"CloudWatchMetrics":[`...)
		for start := 0; start < len(ms); start += maxMetrics {
			if start > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"Namespace":`...)
			buf = appendString(buf, namespace)
			buf = append(buf, `,"Dimensions":[[`...)
			for i, d := range dims {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendString(buf, d.name)
			}
			buf = append(buf, `]],"Metrics":[`...)
			for i, m := range ms[start:min(len(ms), start+maxMetrics)] {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, `{"Name":`...)
				buf = appendString(buf, m.name)
				buf = append(buf, `,"Unit":`...)
				buf = appendString(buf, m.unit)
				buf = append(buf, '}')
			}
			buf = append(buf, "]}"...)
		}
		buf = append(buf, "]}"...)
		for _, d := range g.dims {
			buf = append(buf, ',')
			buf = appendString(buf, d.name)
			buf = append(buf, ':')
			buf = appendString(buf, d.value)
		}
		for _, m := range ms {
			buf = append(buf, ',')
			buf = appendString(buf, m.name)
			buf = append(buf, ':')
			if len(m.values) == 1 {
				buf = appendNumber(buf, m.values[0])
				continue
			}
			buf = append(buf, '[')
			for i, v := range m.values {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = appendNumber(buf, v)
			}
			buf = append(buf, ']')
		}
		buf = append(buf, "}\n"...)
	}
	return buf
}

func appendString(buf []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always encodes
	return append(buf, b...)
}

func appendNumber(buf []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(buf, int64(v), 10)
	}
	return strconv.AppendFloat(buf, v, 'g', -1, 64)
}

// cloudWatchUnit maps an OpenTelemetry (UCUM) unit to a CloudWatch one.
func cloudWatchUnit(u string) string {
	switch u {
	case "s":
		return "Seconds"
	case "ms":
		return "Milliseconds"
	case "us":
		return "Microseconds"
	case "By":
		return "Bytes"
	case "kBy", "KBy":
		return "Kilobytes"
	case "MBy":
		return "Megabytes"
	case "GBy":
		return "Gigabytes"
	case "bit":
		return "Bits"
	case "%":
		return "Percent"
	case "By/s":
		return "Bytes/Second"
	case "1/s", "{count}/s":
		return "Count/Second"
	}
	if strings.HasPrefix(u, "{") && strings.HasSuffix(u, "}") {
		return "Count"
	}
	return "None"
}
