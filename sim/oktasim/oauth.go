package oktasim

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// TokenLifetime is how long an issued bearer token is valid (Okta: one hour).
const TokenLifetime = time.Hour

type oauthClient struct {
	id  string
	key *rsa.PublicKey // nil: the signature is not checked
}

// RegisterClient registers an OAuth service app for the SDK's PrivateKey mode. With a
// key, client assertions must be RS256-signed by the matching private key; with nil,
// only their form and claims are checked.
func (o *Org) RegisterClient(clientID string, key *rsa.PublicKey) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clients[clientID] = &oauthClient{id: clientID, key: key}
}

// oauthError is the OAuth 2.0 error body the /oauth2 endpoints use (not Okta's E-codes).
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, obj{"error": code, "error_description": desc})
}

// issueToken is POST /oauth2/v1/token for client_credentials with a private_key_jwt
// client assertion. The SDK sends its parameters in the query string; a form body
// is accepted too.
func (o *Org) issueToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request body was not well-formed.")
		return
	}
	p := r.Form
	if p.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	if p.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "The client_assertion_type is invalid.")
		return
	}
	scope := strings.TrimSpace(p.Get("scope"))
	if scope == "" {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.opts.Clock()
	if err := o.checkAssertion(p.Get("client_assertion"), now); err != nil {
		o.log.Debug("oktasim client assertion rejected", "err", err)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "The client_assertion is invalid: "+err.Error())
		return
	}
	tok := "sim." + o.randString(alnum, 40)
	o.tokens[tok] = now.Add(TokenLifetime)
	writeJSON(w, http.StatusOK, obj{
		"token_type":   "Bearer",
		"expires_in":   int(TokenLifetime / time.Second),
		"access_token": tok,
		"scope":        scope,
	})
}

// checkAssertion verifies a client assertion JWT: three base64url parts, RS256, iss
// and sub a registered client, aud the token endpoint, not expired, and the signature
// when the client has a key. Caller holds mu.
func (o *Org) checkAssertion(jwt string, now time.Time) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud any    `json:"aud"`
		Exp int64  `json:"exp"`
	}
	if err := decodeSegment(parts[0], &hdr); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	if hdr.Alg != "RS256" {
		return fmt.Errorf("unsupported alg %q", hdr.Alg)
	}
	c := o.clients[claims.Sub]
	if c == nil || claims.Iss != claims.Sub {
		return fmt.Errorf("unknown client %q", claims.Sub)
	}
	aud, _ := claims.Aud.(string)
	if list, ok := claims.Aud.([]any); ok && len(list) == 1 {
		aud, _ = list[0].(string)
	}
	if !strings.HasSuffix(aud, "/oauth2/v1/token") {
		return fmt.Errorf("audience %q is not the token endpoint", aud)
	}
	if claims.Exp == 0 || !now.Before(time.Unix(claims.Exp, 0)) {
		return errors.New("expired")
	}
	if c.key != nil {
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		if err != nil {
			return fmt.Errorf("signature: %w", err)
		}
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(c.key, crypto.SHA256, sum[:], sig); err != nil {
			return fmt.Errorf("signature: %w", err)
		}
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
