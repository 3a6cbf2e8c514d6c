package telemetry

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/okta-chatops/okta-chatops/bot"
	"github.com/okta-chatops/okta-chatops/oktaadapter"
	"github.com/okta-chatops/okta-chatops/remediation"
)

// Metrics is what /metrics shows (Prometheus text format), on a registry of its own.
// It implements bot.Metrics, remediation.Observer and remediation.WatchObserver, and
// observes Okta calls.
type Metrics struct {
	reg       *prometheus.Registry
	commands  *prometheus.CounterVec
	ack       prometheus.Histogram
	oktaCalls *prometheus.CounterVec
	oktaTime  *prometheus.HistogramVec
	steps     *prometheus.HistogramVec
	offWindow prometheus.Histogram
	runsEnded *prometheus.CounterVec
	auditLag  prometheus.Gauge
	// bulkUsers counts bulk runs' users by result (fixed, failed, skipped, changed).
	bulkUsers *prometheus.CounterVec
	scans     *prometheus.CounterVec
	scanUsers prometheus.Counter
	alerts    *prometheus.CounterVec
	watchLag  prometheus.Gauge
}

// New returns the metrics on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "okta_chatops_commands_total",
			Help: "Slash commands by command and outcome (ok, refused, rate_limited, bad_input, error)."}, []string{"command", "outcome"}),
		ack: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "okta_chatops_ack_latency_seconds",
			Help: "Time from receiving a Socket Mode envelope to acknowledging it.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 3}}),
		oktaCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "okta_chatops_okta_calls_total",
			Help: "Okta API calls by endpoint (path template) and HTTP status (0: no answer)."}, []string{"endpoint", "status"}),
		oktaTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "okta_chatops_okta_call_seconds",
			Help: "Okta API call duration by endpoint.", Buckets: prometheus.DefBuckets}, []string{"endpoint"}),
		steps: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "okta_chatops_step_duration_seconds",
			Help: "Remediation step durations by kind and outcome.", Buckets: prometheus.DefBuckets}, []string{"kind", "outcome"}),
		offWindow: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "okta_chatops_provisioning_off_window_seconds",
			Help: "How long an app's provisioning stayed off during a fix.", Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600}}),
		runsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "okta_chatops_runs_ended_total",
			Help: "Remediation runs that reached a final state, by state."}, []string{"state"}),
		auditLag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "okta_chatops_audit_outbox_lag_seconds",
			Help: "Age of the oldest audit entry not yet posted to the audit channel (0: caught up)."}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "okta_chatops_alerts_total",
			Help: "Alert messages in the alert channel, by action (posted, updated)."}, []string{"action"}),
		watchLag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "okta_chatops_watch_lag_seconds",
			Help: "How far the System Log watcher is behind: now minus the newest event read (0: caught up; grows while polls fail)."}),
	}
	m.reg.MustRegister(m.commands, m.ack, m.oktaCalls, m.oktaTime, m.steps, m.offWindow, m.runsEnded, m.auditLag, m.alerts, m.watchLag)
	m.bulkUsers = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "okta_chatops_bulk_users_total",
		Help: "Users of bulk runs by result (fixed, failed, skipped: already healthy, changed: no longer assigned)."}, []string{"result"})
	m.reg.MustRegister(m.bulkUsers)
	m.scans = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "okta_chatops_scans_total",
		Help: "App scans (/okta-scan) by outcome (ok, error)."}, []string{"outcome"})
	m.scanUsers = prometheus.NewCounter(prometheus.CounterOpts{Name: "okta_chatops_scan_users_checked_total",
		Help: "Assigned users checked by app scans."})
	m.reg.MustRegister(m.scans, m.scanUsers)
	return m
}

// Scanned implements bot.ScanMetrics.
func (m *Metrics) Scanned(outcome string, checked int) {
	m.scans.WithLabelValues(outcome).Inc()
	m.scanUsers.Add(float64(checked))
}

// Command implements bot.Metrics.
func (m *Metrics) Command(name bot.CommandName, outcome bot.Outcome) {
	m.commands.WithLabelValues(string(name), string(outcome)).Inc()
}

// Acked implements bot.Metrics.
func (m *Metrics) Acked(d time.Duration) { m.ack.Observe(d.Seconds()) }

// AuditLag implements bot.Metrics.
func (m *Metrics) AuditLag(d time.Duration) { m.auditLag.Set(max(d, 0).Seconds()) }

// StepEnded implements remediation.Observer.
func (m *Metrics) StepEnded(kind remediation.StepKind, outcome string, d time.Duration) {
	m.steps.WithLabelValues(string(kind), outcome).Observe(d.Seconds())
}

// ProvisioningResumed implements remediation.Observer.
func (m *Metrics) ProvisioningResumed(d time.Duration) { m.offWindow.Observe(d.Seconds()) }

// RunEnded implements remediation.Observer.
func (m *Metrics) RunEnded(s remediation.RunState) { m.runsEnded.WithLabelValues(string(s)).Inc() }

// BulkUserEnded implements remediation.BulkObserver.
func (m *Metrics) BulkUserEnded(result remediation.BulkUserStatus) {
	m.bulkUsers.WithLabelValues(string(result)).Inc()
}

// AlertShown implements remediation.WatchObserver.
func (m *Metrics) AlertShown(posted bool) {
	action := "updated"
	if posted {
		action = "posted"
	}
	m.alerts.WithLabelValues(action).Inc()
}

// WatchLag implements remediation.WatchObserver.
func (m *Metrics) WatchLag(d time.Duration) { m.watchLag.Set(max(d, 0).Seconds()) }

// OktaCall observes one Okta call (oktaadapter.Config.Observe).
func (m *Metrics) OktaCall(op string, status int, d time.Duration) {
	m.oktaCalls.WithLabelValues(op, strconv.Itoa(status)).Inc()
	m.oktaTime.WithLabelValues(op).Observe(d.Seconds())
}

// WatchState adds the series read at scrape time: runs by state (from the store) and Okta's
// remaining rate-limit budget (from the adapter).
func (m *Metrics) WatchState(store remediation.Store, okta *oktaadapter.Client) {
	for _, s := range []remediation.RunState{remediation.StateAwaitingApproval, remediation.StateApproved, remediation.StateRunning, remediation.StateVerifying} {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "okta_chatops_runs",
			Help: "Remediation runs in progress, by state.", ConstLabels: prometheus.Labels{"state": string(s)}},
			func() float64 {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				runs, err := store.ListRuns(ctx, remediation.RunFilter{States: []remediation.RunState{s}})
				if err != nil {
					return -1
				}
				return float64(len(runs))
			}))
	}
	m.reg.MustRegister(rateLimitCollector{okta: okta, desc: prometheus.NewDesc("okta_chatops_okta_rate_limit_remaining",
		"Okta's X-Rate-Limit-Remaining as last seen, by bucket.", []string{"bucket"}, nil)})
}

// rateLimitCollector reports the adapter's last-seen rate-limit budgets at scrape time.
type rateLimitCollector struct {
	okta *oktaadapter.Client
	desc *prometheus.Desc
}

func (c rateLimitCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c rateLimitCollector) Collect(ch chan<- prometheus.Metric) {
	for bucket, b := range c.okta.RateLimit().Buckets {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(b.Remaining), bucket)
	}
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

// The bot counts its scans here.
var _ bot.ScanMetrics = (*Metrics)(nil)
