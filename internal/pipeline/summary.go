package pipeline

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/comethook/comethook/internal/render"
)

// Summary is what listen says when it stops: counts by outcome, and every loss counted,
// never left to the one warning the first of them got.
type Summary struct {
	Counts
	NotCaptured int64 // never reached the capture (a full disk)
	NotSaved    int   // --save could not write
	NotPrinted  int64 // --json records dropped: stdout was not read
	NotShown    int64 // lines the terminal skipped while paused
}

// Line is the summary line on stderr.
func (s Summary) Line() string {
	if s.Total == 0 {
		return "Stopped. No deliveries."
	}
	line := fmt.Sprintf("Stopped. %s: %s.", render.Deliveries(s.Total), render.OutcomeWords(s.Outcomes))
	if s.NotCaptured > 0 {
		line += fmt.Sprintf(" %d not captured.", s.NotCaptured)
	}
	if s.NotSaved > 0 {
		line += fmt.Sprintf(" %d not saved (--save).", s.NotSaved)
	}
	if s.NotPrinted > 0 {
		line += fmt.Sprintf(" %d not printed (--json: stdout was not read).", s.NotPrinted)
	}
	if s.NotShown > 0 {
		line += fmt.Sprintf(" %d not shown (the terminal was paused).", s.NotShown)
	}
	return line
}

// SummaryRecord is the last line of listen --json: the run's counts, losses included, for a
// script that reads the records (every other line is one delivery's record).
type SummaryRecord struct {
	Summary struct {
		Deliveries  int            `json:"deliveries"`
		Outcomes    map[string]int `json:"outcomes"`
		NotCaptured int64          `json:"notCaptured"`
		NotSaved    int            `json:"notSaved"`
		NotPrinted  int64          `json:"notPrinted"`
	} `json:"summary"`
}

// WriteRecord writes the summary as listen --json's last line.
func (s Summary) WriteRecord(w io.Writer) error {
	var r SummaryRecord
	r.Summary.Deliveries, r.Summary.NotCaptured, r.Summary.NotSaved, r.Summary.NotPrinted = s.Total, s.NotCaptured, s.NotSaved, s.NotPrinted
	r.Summary.Outcomes = map[string]int{}
	for o, n := range s.Outcomes {
		r.Summary.Outcomes[string(o)] = n
	}
	line, _ := json.Marshal(r)
	_, err := w.Write(append(line, '\n'))
	return err
}
