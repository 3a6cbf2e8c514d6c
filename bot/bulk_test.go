package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/remediation"
)

// goldenBulkRun is a bulk run of n users on Zoom, in state, the first user's plan as
// its dry run; at the end users 2 and 3 failed, the last two were never reached.
func goldenBulkRun(state remediation.RunState, n int) *remediation.Run {
	r := goldenRun(state)
	r.Quorum = 2
	r.Target.UserLogin = fmt.Sprintf("user1@example.com +%d", n-1)
	bk := &remediation.Bulk{IncidentID: "inc-0123456789abcdef", Rules: remediation.BulkRules{}.WithDefaults()}
	for i := 1; i <= n; i++ {
		u := remediation.BulkUser{ID: fmt.Sprintf("00u%017d", i), Login: fmt.Sprintf("user%d@example.com", i), Status: remediation.BulkPending}
		if state.Terminal() {
			switch {
			case i == 2 || i == 3:
				u.Status, u.Error = remediation.BulkFailed, "external_id_null: Okta refused the call (E0000001)"
			case i == 4:
				u.Status = remediation.BulkSkipped
			case i <= n-2:
				u.Status = remediation.BulkFixed
			}
		}
		bk.Users = append(bk.Users, u)
	}
	if state.Terminal() {
		bk.Stopped = remediation.T("2 users failed", "2 人のユーザーで失敗しました")
		bk.CanaryDone, bk.Batches = true, 3
		r.Outcome = remediation.T("Stopped because 2 users failed.", "2 人のユーザーで失敗したため停止しました。")
	}
	r.Bulk = bk
	return r
}

// The final progress of a run of 500 users keeps within Slack's limits, failures first,
// and counts the users that do not fit.
func TestBulkProgressOf500Users(t *testing.T) {
	r := goldenBulkRun(remediation.StateFailed, 500)
	for _, l := range []remediation.Locale{remediation.EN, remediation.JA} {
		text, blocks := bulkProgressBlocks(r, goldenAt, l)
		checkLimits(t, text, blocks)
		all := blocksText(blocks)
		if !strings.Contains(all, "user2@example.com") || !strings.Contains(all, "user499@example.com") {
			t.Errorf("%s: the failed and untouched users are not listed first", l)
		}
		if want := map[remediation.Locale]string{remediation.EN: "more users", remediation.JA: "ほか"}[l]; !strings.Contains(all, want) {
			t.Errorf("%s: no count of the users that do not fit", l)
		}
	}
	running := goldenBulkRun(remediation.StateRunning, 30)
	running.Bulk.Users[0].Status, running.Bulk.Batches, running.Bulk.StartedAt = remediation.BulkFixed, 1, goldenAt.Add(-10*time.Second)
	text, _ := bulkProgressBlocks(running, goldenAt, remediation.EN)
	for _, want := range []string{"1 done", "29 left (of 30)", "batch 1 (canary)", "about 4m50s left"} {
		if !strings.Contains(text, want) {
			t.Errorf("progress %q lacks %q", text, want)
		}
	}
}

func blocksText(blocks any) string {
	b, _ := json.Marshal(blocks)
	return string(b)
}

// Every user is either listed or counted.
func TestBulkProgressListsOrCounts(t *testing.T) {
	r := goldenBulkRun(remediation.StateFailed, 500)
	_, blocks := bulkProgressBlocks(r, goldenAt, remediation.EN)
	all := blocksText(blocks)
	listed := strings.Count(all, "@example.com —")
	var rest int
	if i := strings.Index(all, "… and "); i < 0 {
		t.Fatal("no count of the rest")
	} else if _, err := fmt.Sscanf(all[i:], "… and %d more", &rest); err != nil {
		t.Fatal(err)
	}
	if listed+rest != 500 || listed < 100 {
		t.Errorf("%d listed + %d counted, want 500 (and at least 100 listed)", listed, rest)
	}
}

func TestBulkStatusLine(t *testing.T) {
	r := goldenBulkRun(remediation.StateFailed, 8)
	en, ja := msgRunLine(r).In(remediation.EN), msgRunLine(r).In(remediation.JA)
	if !strings.Contains(en, "8 users on Zoom") || !strings.Contains(en, "3 done, 2 failed, 1 skipped, 2 left") {
		t.Errorf("en: %s", en)
	}
	if !strings.Contains(ja, "Zoom の 8 人") || !strings.Contains(ja, "失敗 2 人") {
		t.Errorf("ja: %s", ja)
	}
}
