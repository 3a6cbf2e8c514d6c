package main

import (
	"context"
	"log/slog"

	"github.com/okta-chatops/okta-chatops/bot"
	"github.com/okta-chatops/okta-chatops/config"
	"github.com/okta-chatops/okta-chatops/demo"
)

// runDemo: `okta-chatops demo [--locale en|ja]` plays the scenarios through the bot
// against simulated Okta and Slack (package demo); here the bot is built as `serve`
// builds it.
func runDemo(ctx context.Context, e env) error {
	_, flags, err := parseArgs(e.args, nil, []string{"locale"})
	if err != nil {
		return err
	}
	locale, err := pickLocale(flags["locale"], e.src.Getenv("OKTA_CHATOPS_LOCALE"))
	if err != nil {
		return err
	}
	quiet := env{log: slog.New(slog.DiscardHandler), src: e.src}
	return demo.Run(ctx, demo.Options{Locale: locale, Out: e.stdout, Logger: quiet.log,
		StartBot: func(ctx context.Context, cfg config.Config) (demo.Bot, error) {
			svc, err := newService(ctx, cfg, quiet)
			if err != nil {
				return demo.Bot{}, err
			}
			return demo.Bot{Run: func(ctx context.Context) error { return svc.run(ctx, quiet) }, Store: svc.store, Close: svc.close,
				AuditPosted: func(ctx context.Context) (string, error) { return svc.store.Cursor(ctx, bot.AuditChannelCursor) }}, nil
		}})
}
