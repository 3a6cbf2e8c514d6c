package oktaadapter

import (
	"context"
	"errors"
	"net/http"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/okta-chatops/okta-chatops/remediation"
)

const featureProvisioning = "USER_PROVISIONING"

// GetProvisioning reads the app's USER_PROVISIONING feature. App types without the
// Features API answer 400, and an app without the feature answers 404: both are
// remediation.ErrUnsupported, so the caller falls back to a manual step. A 404 because
// the app itself does not exist stays remediation.ErrNotFound.
func (c *Client) GetProvisioning(ctx context.Context, appID string) (remediation.Provisioning, error) {
	const op = "GET /api/v1/apps/{appId}/features/USER_PROVISIONING"
	if err := checkID(op, "app ID", appID); err != nil {
		return remediation.Provisioning{}, err
	}
	var f *okta.ApplicationFeature
	_, err := c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		f, resp, err = c.sdk.Application.GetFeatureForApplication(ctx, seg(appID), featureProvisioning)
		return resp, err
	})
	if err != nil {
		return remediation.Provisioning{}, c.featureError(ctx, appID, err)
	}
	return mapFeature(f), nil
}

// SetProvisioning writes the USER_PROVISIONING capabilities. Capabilities absent from
// caps stay absent from the request, and the password seed and change go back as given,
// so restoring a snapshot taken by GetProvisioning restores exactly that.
func (c *Client) SetProvisioning(ctx context.Context, appID string, caps remediation.Capabilities) (remediation.Provisioning, error) {
	const op = "PUT /api/v1/apps/{appId}/features/USER_PROVISIONING"
	if err := checkID(op, "app ID", appID); err != nil {
		return remediation.Provisioning{}, err
	}
	for _, s := range []string{caps.LifecycleCreate, caps.Profile, caps.LifecycleDeactivate, caps.Password.Status} {
		if s != "" && s != remediation.Enabled && s != remediation.Disabled {
			return remediation.Provisioning{}, invalidInput(op, "capability status must be ENABLED or DISABLED, not %q", s)
		}
	}
	var f *okta.ApplicationFeature
	_, err := c.do(ctx, op, func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		f, resp, err = c.sdk.Application.UpdateFeatureForApplication(ctx, seg(appID), featureProvisioning, capabilitiesObject(caps))
		return resp, err
	})
	if err != nil {
		return remediation.Provisioning{}, c.featureError(ctx, appID, err)
	}
	return mapFeature(f), nil
}

// featureError turns the Features API's "not for this app" answers into ErrUnsupported.
func (c *Client) featureError(ctx context.Context, appID string, err error) error {
	var re *remediation.RemoteError
	if !errors.As(err, &re) {
		return err
	}
	switch {
	case re.Status == http.StatusBadRequest:
	case re.Status == http.StatusNotFound:
		// Okta answers 404 both for a missing app and for an app without the feature;
		// only the app itself can tell them apart.
		// When the app lookup fails too (missing app, or cannot tell), the 404 stands.
		if _, aerr := c.getApp(ctx, appID); aerr != nil {
			return err
		}
	default:
		return err
	}
	u := *re
	u.Kind = remediation.ErrUnsupported
	return &u
}

func (c *Client) getApp(ctx context.Context, appID string) (remediation.App, error) {
	var app okta.App
	_, err := c.do(ctx, "GET /api/v1/apps/{appId}", func(ctx context.Context) (*okta.Response, error) {
		var resp *okta.Response
		var err error
		app, resp, err = c.sdk.Application.GetApplication(ctx, seg(appID), okta.NewApplication(), nil)
		return resp, err
	})
	if err != nil {
		return remediation.App{}, err
	}
	a, _ := app.(*okta.Application)
	if a == nil {
		return remediation.App{}, nil
	}
	return mapApp(a), nil
}

func capabilitiesObject(caps remediation.Capabilities) okta.CapabilitiesObject {
	var o okta.CapabilitiesObject
	if caps.LifecycleCreate != "" {
		o.Create = &okta.CapabilitiesCreateObject{LifecycleCreate: &okta.LifecycleCreateSettingObject{Status: caps.LifecycleCreate}}
	}
	var u okta.CapabilitiesUpdateObject
	if caps.Profile != "" {
		u.Profile = &okta.ProfileSettingObject{Status: caps.Profile}
	}
	if caps.LifecycleDeactivate != "" {
		u.LifecycleDeactivate = &okta.LifecycleDeactivateSettingObject{Status: caps.LifecycleDeactivate}
	}
	if caps.Password.Status != "" {
		u.Password = &okta.PasswordSettingObject{Status: caps.Password.Status, Seed: caps.Password.Seed, Change: caps.Password.Change}
	}
	if u.Profile != nil || u.LifecycleDeactivate != nil || u.Password != nil {
		o.Update = &u
	}
	return o
}

func mapFeature(f *okta.ApplicationFeature) remediation.Provisioning {
	if f == nil {
		return remediation.Provisioning{}
	}
	p := remediation.Provisioning{Status: f.Status}
	if c := f.Capabilities; c != nil {
		if c.Create != nil && c.Create.LifecycleCreate != nil {
			p.Capabilities.LifecycleCreate = c.Create.LifecycleCreate.Status
		}
		if u := c.Update; u != nil {
			if u.Profile != nil {
				p.Capabilities.Profile = u.Profile.Status
			}
			if u.LifecycleDeactivate != nil {
				p.Capabilities.LifecycleDeactivate = u.LifecycleDeactivate.Status
			}
			if u.Password != nil {
				p.Capabilities.Password = remediation.PasswordCapability{Status: u.Password.Status, Seed: u.Password.Seed, Change: u.Password.Change}
			}
		}
	}
	return p
}
