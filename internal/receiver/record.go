package receiver

import (
	"time"

	"github.com/comethook/comethook/internal/record"
	"github.com/comethook/comethook/internal/webhook"
	"github.com/comethook/comethook/simulate"
)

// Record builds the JSON record of the delivery.
func (d *Delivery) Record() record.Record {
	rec := record.Record{
		Seq:        d.Seq,
		ReceivedAt: d.ReceivedAt.Format(time.RFC3339Nano),
		Method:     d.Method,
		Path:       d.Path,
		Query:      d.Query,
		Headers:    simulate.MaskHeaders(d.Header),
		Response: record.Response{Status: d.Response.Status, Body: simulate.BodyValue(d.Response.Body),
			DurationMs: simulate.DurationMs(d.Response.Duration), Source: d.Response.Source, CallerGone: d.Response.CallerGone},
		Outcome:     string(d.Outcome),
		Assumptions: d.Verdict.Assumptions,
		Warnings:    d.Warnings,
	}
	if d.Event != nil {
		rec.Trigger, rec.Webhook, rec.AppID = d.Event.Trigger, d.Event.Webhook, d.Event.AppID
	}
	rec.SetBody(d.Body, d.Event != nil)
	// Copies, not pointers into d: a record outlives its delivery (the inspector keeps
	// thousands), and a pointer to one field would keep the whole delivery alive, decoded
	// event and all.
	if dup := d.DuplicateOf; dup > 0 {
		rec.DuplicateOf = &dup
	}
	if msg := d.Error; msg != "" {
		rec.Error = &msg
	}
	if d.Event != nil && webhook.IsSync(d.Event.Trigger) && d.Outcome != simulate.Rejected {
		drop := d.Verdict.Drop
		rec.Drop = &drop
	}
	return rec
}
