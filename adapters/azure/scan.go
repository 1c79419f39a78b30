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
	end, ok := azjson.WalkObject(body, i, 1, func(key []byte, vs int) (end int, ok bool) {
		switch {
		case string(key) == "Data" && vs < len(body) && body[vs] == '{':
			inv.data, end, ok = azjson.ObjectAt(inv.dataBuf[:0], body, vs, 2)
			inv.dataRaw, inv.dataObject = body[vs:end], true
		case string(key) == "Metadata" && vs < len(body) && body[vs] == '{':
			inv.md, end, ok = azjson.ObjectAt(inv.mdBuf[:0], body, vs, 2)
			inv.mdRaw, inv.mdObject = body[vs:end], true
		default:
			end, ok = azjson.ValueAt(body, vs, 1)
			switch string(key) {
			case "Data":
				inv.dataRaw, inv.data, inv.dataObject = body[vs:end], nil, false
			case "Metadata":
				inv.mdRaw, inv.md, inv.mdObject = body[vs:end], nil, false
			}
		}
		return end, ok
	})
	return ok && azjson.SkipSpace(body, end) == len(body)
}
