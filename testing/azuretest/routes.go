package azuretest

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/faasport/faasport/adapters/azure"
)

// matchRoute matches path against an HTTP trigger's route template
// ("orders/{id}", "files/{*rest}", "hello/{who?}", "items/{n:int}",
// "page/{n=1}") under the app's route prefix, as the host's router does: the
// template is "<prefix>/<route>", the route defaulting to the function's
// name; literal segments match without regard to case; a parameter takes
// one non-empty segment that meets its constraints; an optional one (or
// one with a default) may be missing at the end; a catch-all takes the rest
// of the path, none included. It returns the route parameters the host puts
// in Params, and false when the host would not route path to the function.
//
// A segment that mixes literal text and a parameter ("{name}.json") is
// matched as any non-empty segment, and its parameter is not filled.
func matchRoute(prefix, route, function, path string) (map[string]string, bool) {
	if route == "" {
		route = function
	}
	tmpl := strings.Trim(strings.Trim(prefix, "/")+"/"+strings.Trim(route, "/"), "/")
	var segs []string
	if p := strings.Trim(path, "/"); p != "" {
		segs = strings.Split(p, "/")
	}
	var parts []string
	if tmpl != "" {
		parts = strings.Split(tmpl, "/")
	}
	params := map[string]string{}
	for i, part := range parts {
		if !strings.HasPrefix(part, "{") || !strings.HasSuffix(part, "}") || strings.Count(part, "{") != 1 {
			if i >= len(segs) {
				return nil, false
			}
			if strings.Contains(part, "{") {
				if segs[i] == "" {
					return nil, false
				}
				continue
			}
			if !strings.EqualFold(part, segs[i]) {
				return nil, false
			}
			continue
		}
		p := parseParam(part)
		if p.catchAll {
			if i < len(segs) {
				params[p.name] = strings.Join(segs[i:], "/")
			} else if p.def != "" {
				params[p.name] = p.def
			}
			return params, true
		}
		if i >= len(segs) {
			if !p.optional {
				return nil, false
			}
			if p.def != "" {
				params[p.name] = p.def
			}
			continue
		}
		if segs[i] == "" || !p.accepts(segs[i]) {
			return nil, false
		}
		params[p.name] = segs[i]
	}
	if len(segs) > len(parts) {
		return nil, false
	}
	return params, true
}

// param is one {…} segment of a route template.
type param struct {
	name        string
	constraints []string
	def         string
	optional    bool
	catchAll    bool
}

func parseParam(seg string) param {
	body := strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}")
	var p param
	if name, def, ok := strings.Cut(body, "="); ok {
		body, p.def, p.optional = name, def, true
	}
	if strings.HasSuffix(body, "?") {
		body, p.optional = strings.TrimSuffix(body, "?"), true
	}
	if rest, ok := strings.CutPrefix(body, "**"); ok {
		body, p.catchAll = rest, true
	} else if rest, ok := strings.CutPrefix(body, "*"); ok {
		body, p.catchAll = rest, true
	}
	parts := strings.Split(body, ":")
	p.name, p.constraints = parts[0], parts[1:]
	return p
}

// accepts reports whether v meets the parameter's type constraints (int,
// long, bool, guid, alpha, double, float, decimal); others (length(…),
// regex(…), …) are not checked.
func (p param) accepts(v string) bool {
	for _, c := range p.constraints {
		var ok bool
		switch strings.ToLower(c) {
		case "int":
			_, err := strconv.ParseInt(v, 10, 32)
			ok = err == nil
		case "long":
			_, err := strconv.ParseInt(v, 10, 64)
			ok = err == nil
		case "bool":
			ok = strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
		case "double", "float", "decimal":
			_, err := strconv.ParseFloat(v, 64)
			ok = err == nil
		case "alpha":
			ok = strings.IndexFunc(v, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) < 0
		case "guid":
			ok = isGUID(v)
		default:
			ok = true
		}
		if !ok {
			return false
		}
	}
	return true
}

func isGUID(v string) bool {
	v = strings.TrimSuffix(strings.TrimPrefix(v, "{"), "}")
	if len(v) == 32 {
		v = v[:8] + "-" + v[8:12] + "-" + v[12:16] + "-" + v[16:20] + "-" + v[20:]
	}
	if len(v) != 36 {
		return false
	}
	for i, r := range v {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// methodAllowed reports whether the HTTP trigger t takes method: any when
// its "methods" lists none, else only those listed (HEAD is not implied by
// GET).
func methodAllowed(t azure.Binding, method string) bool {
	var listed []any
	for k, v := range t.Extra {
		if strings.EqualFold(k, "methods") {
			listed, _ = v.([]any)
			if s, ok := v.([]string); ok {
				for _, m := range s {
					listed = append(listed, m)
				}
			}
		}
	}
	if len(listed) == 0 {
		return true
	}
	for _, m := range listed {
		if s, ok := m.(string); ok && strings.EqualFold(s, method) {
			return true
		}
	}
	return false
}

// emptyResponse is the host's own answer with status and an empty body: 404
// to a request no function's route takes, 401 to one without the key its
// function needs, 500 to one whose function failed.
func emptyResponse(r *http.Request, status int) *http.Response {
	return &http.Response{
		Status:     strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode: status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Length": {"0"}},
		Body:    http.NoBody,
		Request: r,
	}
}
