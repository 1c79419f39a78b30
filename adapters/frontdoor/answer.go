package frontdoor

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/cloudevents/sdk-go/v2/event"
)

// ProblemTypePermanent is the problem type of a permanent failure that was
// acknowledged: the answer is 2xx so that the sender does not redeliver,
// and the problem body says why nothing was done.
const ProblemTypePermanent = "https://github.com/faasport/faasport/blob/main/docs/errors.md#permanent"

// WriteOutcomes writes the door's standard answer to a request that
// carried total events in mode, given the outcomes of those handled (see
// the table in the package documentation). A codec may call it for the
// requests it passes through unchanged. requestID goes into problem bodies.
func WriteOutcomes(w http.ResponseWriter, mode Mode, total int, outs []Outcome, requestID string) {
	writeOutcomes(w, mode, total, outs, requestID, http.StatusNoContent)
}

func writeOutcomes(w http.ResponseWriter, mode Mode, total int, outs []Outcome, requestID string, noContent int) {
	if mode == ModeBatch || total > 1 {
		writeBatch(w, total, outs, requestID)
		return
	}
	if len(outs) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	o := &outs[0]
	if o.Err != nil {
		status, detail := failureDetail(o)
		p := newProblem(status, nil, detail)
		if o.Verdict.Class == ClassPermanent && status < 300 {
			p.Type, p.Title = ProblemTypePermanent, "Permanent failure, acknowledged"
		}
		p.RequestID, p.retryAfter = requestID, o.Verdict.RetryAfter
		WriteProblem(w, p)
		return
	}
	if o.Reply == nil {
		w.WriteHeader(noContent)
		return
	}
	if mode == ModeNone {
		writeData(w, o.Reply, noContent)
		return
	}
	// The reply was checked when the handler returned it.
	_ = WriteEvents(w, mode, []event.Event{*o.Reply})
}

// writeData answers a caller that sent no CloudEvent with the reply's data
// alone, in its datacontenttype.
func writeData(w http.ResponseWriter, e *event.Event, noContent int) {
	var ct []string
	if c := e.DataContentType(); c != "" {
		ct = []string{c}
	} else if len(e.DataEncoded) > 0 {
		ct = []string{"application/json"}
	}
	if len(e.DataEncoded) == 0 {
		WriteBody(w, noContent, ct, nil, nil)
		return
	}
	WriteBody(w, http.StatusOK, ct, []string{strconv.Itoa(len(e.DataEncoded))}, e.DataEncoded)
}

// failureDetail is the status and a detail safe to show the sender. The
// error's own text is shown only when it carries a 4xx status
// (function.WithStatus, function.DecodeError): the handler meant that one
// for the sender.
func failureDetail(o *Outcome) (int, string) {
	id := ""
	if o.Event != nil {
		id = o.Event.ID()
	}
	v := o.Verdict
	var sc interface{ HTTPStatus() int }
	switch {
	case v.Class == ClassPanic:
		return v.Status, fmt.Sprintf("event %q: the handler failed unexpectedly; the function's logs hold the cause", id)
	case errors.Is(o.Err, ErrStart):
		return v.Status, "the function's start hook failed; it is retried on the next request, so retry later"
	case errors.Is(o.Err, ErrInvalidReply):
		return v.Status, fmt.Sprintf("event %q was handled, but the handler's reply event is invalid and was not sent; the function's logs hold the cause", id)
	case v.Class == ClassPermanent && errors.As(o.Err, &sc) && sc.HTTPStatus() >= 400 && sc.HTTPStatus() < 500:
		return v.Status, fmt.Sprintf("event %q failed permanently and is acknowledged; do not redeliver it: %v", id, o.Err)
	case v.Class == ClassPermanent:
		return v.Status, fmt.Sprintf("event %q failed permanently and is acknowledged; do not redeliver it; the function's logs hold the cause", id)
	case v.Status == http.StatusGatewayTimeout:
		return v.Status, fmt.Sprintf("event %q: the handler did not finish before its deadline; redeliver the event later", id)
	case v.RetryAfter > 0:
		return v.Status, fmt.Sprintf("event %q: the handler failed with a retryable error; redeliver the event after %s", id, v.RetryAfter)
	default:
		return v.Status, fmt.Sprintf("event %q: the handler failed with a retryable error; redeliver the event later", id)
	}
}

// writeBatch answers a batch. The first retryable failure stopped it: the
// answer asks for all of it again. Permanent failures are listed and
// acknowledged with the rest.
func writeBatch(w http.ResponseWriter, total int, outs []Outcome, requestID string) {
	var (
		replies []event.Event
		failed  []EventProblem
		status  int
	)
	for i := range outs {
		o := &outs[i]
		if o.Err == nil {
			if o.Reply != nil {
				replies = append(replies, *o.Reply)
			}
			continue
		}
		st, detail := failureDetail(o)
		if o.Verdict.Class != ClassPermanent {
			p := newProblem(st, nil, fmt.Sprintf("%s; it is event %d of %d in the batch, so redeliver the whole batch (events are handled in order: the %d before it were handled and will be seen again, the rest were not)",
				detail, i+1, total, i))
			p.RequestID, p.retryAfter = requestID, o.Verdict.RetryAfter
			p.Events = []EventProblem{{ID: o.Event.ID(), Status: st, Detail: detail}}
			WriteProblem(w, p)
			return
		}
		if status == 0 {
			status = st
		}
		failed = append(failed, EventProblem{ID: o.Event.ID(), Status: st, Detail: detail})
	}
	if len(failed) > 0 {
		p := newProblem(status, nil, fmt.Sprintf("%d of %d events in the batch failed permanently (listed in events) and are acknowledged; do not redeliver them. The other events were handled; their replies are not sent",
			len(failed), total))
		if status < 300 {
			p.Type, p.Title = ProblemTypePermanent, "Permanent failure, acknowledged"
		}
		p.RequestID = requestID
		p.Events = failed
		WriteProblem(w, p)
		return
	}
	_ = WriteEvents(w, ModeBatch, replies)
}
