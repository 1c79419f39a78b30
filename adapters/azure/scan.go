package azure

import "github.com/faasport/faasport/internal/azjson"

// The host's invocations are validated and read once, in place, with the
// object reader of internal/azjson; only the values the mapping needs are
// decoded.

// readInvocation validates body, which must be one JSON object, and finds
// its Data and Metadata members and their own members, in one pass. ok is
// false for anything that is not valid JSON or not an object.
func readInvocation(body []byte, inv *invocation) bool {
	i := azjson.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i = azjson.SkipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return azjson.SkipSpace(body, i+1) == len(body)
	}
	for {
		if i >= len(body) || body[i] != '"' {
			return false
		}
		ks := i
		var ok bool
		if i, ok = azjson.StringAt(body, i); !ok {
			return false
		}
		key := body[ks+1 : i-1]
		i = azjson.SkipSpace(body, i)
		if i >= len(body) || body[i] != ':' {
			return false
		}
		vs := azjson.SkipSpace(body, i+1)
		switch {
		case string(key) == "Data" && vs < len(body) && body[vs] == '{':
			inv.data, i, ok = azjson.ObjectAt(inv.dataBuf[:0], body, vs, 2)
			inv.dataRaw, inv.dataObject = body[vs:i], true
		case string(key) == "Metadata" && vs < len(body) && body[vs] == '{':
			inv.md, i, ok = azjson.ObjectAt(inv.mdBuf[:0], body, vs, 2)
			inv.mdRaw, inv.mdObject = body[vs:i], true
		default:
			i, ok = azjson.ValueAt(body, vs, 1)
			switch string(key) {
			case "Data":
				inv.dataRaw, inv.data, inv.dataObject = body[vs:i], nil, false
			case "Metadata":
				inv.mdRaw, inv.md, inv.mdObject = body[vs:i], nil, false
			}
		}
		if !ok {
			return false
		}
		i = azjson.SkipSpace(body, i)
		if i >= len(body) {
			return false
		}
		switch body[i] {
		case '}':
			return azjson.SkipSpace(body, i+1) == len(body)
		case ',':
			i = azjson.SkipSpace(body, i+1)
		default:
			return false
		}
	}
}
