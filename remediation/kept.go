package remediation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// KeptDiagnosis is a diagnosis as it was shown, kept so that a click on one of its
// proposed fixes rests on what the person saw instead of a new diagnosis (which would
// read the System Log again). Fingerprint is a hash of the facts the diagnosis
// rests on (the user, the apps and the findings with their evidence): two diagnoses
// with the same fingerprint saw the same thing.
type KeptDiagnosis struct {
	Diagnosis   Diagnosis `json:"diagnosis"`
	Fingerprint string    `json:"fingerprint"`
	KeptAt      time.Time `json:"kept_at"`
}

// DiagnosisCache keeps the diagnoses just shown, per Okta user, for a while.
type DiagnosisCache interface {
	// KeepDiagnosis saves k under the Okta user ID for ttl, replacing what was kept.
	KeepDiagnosis(ctx context.Context, userID string, k KeptDiagnosis, ttl time.Duration) error
	// KeptDiagnosis reads what is kept for the user; ErrNotFound when nothing is, or it
	// expired.
	KeptDiagnosis(ctx context.Context, userID string) (KeptDiagnosis, error)
}

// Fingerprint hashes what a diagnosis rests on (everything but the time it was made).
func Fingerprint(d Diagnosis) string {
	d.At = time.Time{}
	b, err := json.Marshal(d)
	if err != nil {
		// A Diagnosis holds only strings, numbers, times and slices of them.
		return ""
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
