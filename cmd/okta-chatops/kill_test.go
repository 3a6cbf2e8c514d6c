package main

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/logctx"
	"github.com/okta-chatops/okta-chatops/sim/oktasim"
	"github.com/okta-chatops/okta-chatops/sim/slacksim"
)

// helperEnv makes the test binary run `okta-chatops serve` instead of its tests (see
// TestServeHelperProcess): the kill test needs serve in a process of its own.
const helperEnv = "OKTA_CHATOPS_TEST_SERVE_PROCESS"

// TestServeHelperProcess is not a test: it is `okta-chatops serve` in a child process
// of TestServeKilledWithProvisioningOff, configured by its environment.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("the serve process of TestServeKilledWithProvisioningOff")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := env{
		args: []string{"serve"}, stdout: os.Stdout, stderr: os.Stderr,
		src: config.Source{Getenv: os.Getenv, ReadFile: os.ReadFile},
		log: slog.New(logctx.Handler{Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})}),
	}
	os.Exit(run(ctx, e))
}

// serveProcess starts `okta-chatops serve` as a child process (the test binary run as
// TestServeHelperProcess) with x's configuration, and waits until it is connected over
// Socket Mode.
func (x *e2e) serveProcess(t *testing.T) *exec.Cmd {
	t.Helper()
	want := x.slack.Connections() + 1
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$", "-test.count=1")
	// A clean environment: only what serve is given (the Okta SDK would read OKTA_CLIENT_*).
	cmd.Env = []string{helperEnv + "=1", "HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	for k, v := range x.vars {
		if k == "HTTP_ADDR" {
			v = freeAddr(t)
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = x.logs, x.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := x.slack.WaitConnected(ctx, want); err != nil {
		t.Fatalf("serve (pid %d) did not connect over Socket Mode: %v\n%s", cmd.Process.Pid, err, x.logs.String())
	}
	return cmd
}

// A replica is killed (SIGKILL) in the middle of a fix, with provisioning off. Another
// replica, started after the kill, takes the run over once the dead one's lease lapses
// and restores provisioning: within 10 seconds of the kill.
func TestServeKilledWithProvisioningOff(t *testing.T) {
	x := newE2E(t)
	a := x.serveProcess(t)
	ctx := context.Background()
	zoom, _ := x.okta.Org.AppID("Zoom")
	before, err := x.okta.Org.Provisioning(zoom)
	if err != nil {
		t.Fatal(err)
	}
	req, runID := x.requestFix(t, "alice@example.com Zoom", "STALE_EXTERNAL_ID", "reset_external_id")

	// Hold the unassign: replica A is then mid-run with provisioning off.
	hold := make(chan struct{})
	defer close(hold)
	held := make(chan struct{}, 1)
	remove := x.okta.Org.Inject(oktasim.Fault{Method: "DELETE", Hold: hold, Count: 1, Matched: held})
	defer remove()
	if _, err := x.slack.Click(ctx, uApprover, cOps, req.TS, "approve_run", runID); err != nil {
		t.Fatal(err)
	}
	x.wait(t, "replica A starting the unassign", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("Started step 3/5")
	})
	// The step's message goes out before its DELETE does: wait until the org holds it.
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("replica A's DELETE never reached the org")
	}
	if off, _ := x.okta.Org.Provisioning(zoom); off == before {
		t.Fatal("provisioning is not off at the unassign")
	}

	if err := a.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.Wait()
	killed := time.Now()
	// The workspace drops A's socket as soon as the kernel closes it; B is counted after.
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for gone := time.Now().Add(10 * time.Second); x.slack.Connections() > 0; <-poll.C {
		if time.Now().After(gone) {
			t.Fatal("the simulated workspace still counts the killed replica's socket")
		}
	}
	x.serveProcess(t) // replica B

	// Wait for the takeover and the restore, with a deadline: no fixed sleep.
	const limit = 10 * time.Second
	var takeover, restored time.Duration
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for (takeover == 0 || restored == 0) && time.Now().Before(deadline) {
		<-tick.C
		if takeover == 0 {
			for _, m := range x.slack.Thread(cOps, req.TS) {
				if strings.Contains(m.Text(), "Resumed after an interruption") {
					takeover = time.Since(killed)
				}
			}
		}
		if restored == 0 {
			if caps, err := x.okta.Org.Provisioning(zoom); err == nil && caps == before {
				restored = time.Since(killed)
			}
		}
	}
	if restored == 0 {
		t.Fatalf("provisioning still off 30s after the kill\n%s", x.logs.String())
	}
	t.Logf("after the kill: run taken over in %s, provisioning restored in %s", takeover.Round(time.Millisecond), restored.Round(time.Millisecond))
	if restored > limit {
		t.Errorf("provisioning was off for %s after the kill, want under %s", restored, limit)
	}
	if takeover == 0 || takeover > limit {
		t.Errorf("takeover after %s (0: no resumed line in the thread), want under %s", takeover, limit)
	}
	x.wait(t, "replica B finishing the run", func(m slacksim.Message) bool {
		return m.ThreadTS == req.TS && m.Contains("Fixed and verified")
	})
}
