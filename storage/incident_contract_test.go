package storage

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// testIncidents is the incidents' part of the contract both stores keep.
func testIncidents(t *testing.T, newHarness func(t *testing.T) harness) {
	t.Run("incidents: create once, compare-and-swap updates, deep copies", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		id := remediation.IncidentID("0oa1", "STALE_EXTERNAL_ID", "2030-01-02")
		if id != remediation.IncidentID("0oa1", "STALE_EXTERNAL_ID", "2030-01-02") || id == remediation.IncidentID("0oa1", "SAAS_ACCOUNT_CONFLICT", "2030-01-02") {
			t.Fatalf("incident IDs are not deterministic per (app, code, opening)")
		}
		if _, err := h.store.GetIncident(ctx, id); !errors.Is(err, remediation.ErrNotFound) {
			t.Fatalf("nothing yet: err = %v, want ErrNotFound", err)
		}
		at := h.clock.Now()
		in := remediation.Incident{ID: id, App: remediation.App{ID: "0oa1", Label: "Zoom"}, Code: "STALE_EXTERNAL_ID",
			Plan: remediation.PlanResetExternalID, Source: remediation.IncidentFromWatch, FirstSeen: at, LastSeen: at,
			Users: []remediation.IncidentUser{{ID: "00u1", Login: "a@example.com", SeenAt: at}}, Version: 9}
		if err := h.store.UpdateIncident(ctx, &in); !errors.Is(err, remediation.ErrNotFound) && !errors.Is(err, remediation.ErrConflict) {
			t.Fatalf("update before create: err = %v", err)
		}
		if err := h.store.CreateIncident(ctx, &in); err != nil || in.Version != 1 {
			t.Fatalf("create: %v (version %d)", err, in.Version)
		}
		dup := in
		if err := h.store.CreateIncident(ctx, &dup); !errors.Is(err, remediation.ErrConflict) {
			t.Fatalf("second create: err = %v, want ErrConflict", err)
		}
		got, err := h.store.GetIncident(ctx, id)
		if err != nil || got.Version != 1 || len(got.Users) != 1 || got.App.Label != "Zoom" || !got.FirstSeen.Equal(at) {
			t.Fatalf("get: %+v, %v", got, err)
		}
		got.Users[0].Login = "edited"
		if again, _ := h.store.GetIncident(ctx, id); again.Users[0].Login != "a@example.com" {
			t.Errorf("a caller's edit reached the stored incident")
		}
		stale := got
		got.Users = append(got.Users, remediation.IncidentUser{ID: "00u2", Login: "b@example.com", SeenAt: at.Add(time.Minute)})
		if err := h.store.UpdateIncident(ctx, &got); err != nil || got.Version != 2 {
			t.Fatalf("update: %v (version %d)", err, got.Version)
		}
		if err := h.store.UpdateIncident(ctx, &stale); !errors.Is(err, remediation.ErrConflict) {
			t.Fatalf("stale update: err = %v, want ErrConflict", err)
		}
		if final, _ := h.store.GetIncident(ctx, id); len(final.Users) != 2 || !final.HasUser("00u2") {
			t.Errorf("the stale update overwrote the newer one: %+v", final.Users)
		}
	})
	t.Run("incidents: of 20 concurrent updates of one version exactly one wins", func(t *testing.T) {
		h := newHarness(t)
		ctx := t.Context()
		in := remediation.Incident{ID: "inc-race", Code: "STALE_EXTERNAL_ID"}
		if err := h.store.CreateIncident(ctx, &in); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		wins := 0
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := in
				mine.Users = []remediation.IncidentUser{{ID: "00u" + string(rune('a'+i))}}
				err := h.store.UpdateIncident(ctx, &mine)
				if err == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if !errors.Is(err, remediation.ErrConflict) {
					t.Errorf("update: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d updates won, want 1", wins)
		}
	})
}
