package storage

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// entryID orders the audit trail; its text form is a Redis stream ID ("ms-seq").
type entryID struct {
	ms, seq uint64
}

func (id entryID) String() string {
	return strconv.FormatUint(id.ms, 10) + "-" + strconv.FormatUint(id.seq, 10)
}

func (id entryID) less(o entryID) bool {
	return id.ms < o.ms || (id.ms == o.ms && id.seq < o.seq)
}

func parseEntryID(s string) (entryID, error) {
	ms, seq, ok := strings.Cut(s, "-")
	if !ok {
		return entryID{}, fmt.Errorf("storage: audit entry ID %q: want <ms>-<seq>", s)
	}
	a, err := strconv.ParseUint(ms, 10, 64)
	if err != nil {
		return entryID{}, fmt.Errorf("storage: audit entry ID %q: %w", s, err)
	}
	b, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		return entryID{}, fmt.Errorf("storage: audit entry ID %q: %w", s, err)
	}
	return entryID{a, b}, nil
}

// millis is t in Unix milliseconds, clamped at the epoch: stream IDs are unsigned.
func millis(t time.Time) uint64 {
	if ms := t.UnixMilli(); ms > 0 {
		return uint64(ms)
	}
	return 0
}

// sinceID is the first ID Audit(since) returns (see the package doc).
func sinceID(since time.Time) entryID { return entryID{ms: millis(since)} }

// next is the ID of an entry whose event happened at, after the entry last. IDs never
// go back: an event older than last takes last's time (see the package doc).
func (last entryID) next(at time.Time) entryID {
	if ms := millis(at); ms > last.ms {
		return entryID{ms: ms}
	}
	return entryID{ms: last.ms, seq: last.seq + 1}
}

// chainHead is the last entry of the trail: where the next entry links to.
// The zero value is the empty trail.
type chainHead struct {
	ID   entryID
	Hash string
}

// seal chains events after head, filling a zero At from now (the hash covers At, so
// it must be set before sealing). It returns the entries and the new head.
func seal(head chainHead, now func() time.Time, events []remediation.AuditEvent) ([]remediation.AuditEntry, chainHead) {
	entries := make([]remediation.AuditEntry, 0, len(events))
	for _, ev := range events {
		if ev.At.IsZero() {
			ev.At = now()
		}
		ev.Codes = append([]remediation.Code(nil), ev.Codes...)
		e := remediation.Seal(head.Hash, ev)
		head = chainHead{ID: head.ID.next(ev.At), Hash: e.Hash}
		e.ID = head.ID.String()
		entries = append(entries, e)
	}
	return entries, head
}
