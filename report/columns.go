package report

import "fmt"

// DocumentedCodes returns the documented checks of a decoded report as
// NumDocumentedChecks bytes, one per check by CheckIndex: '1' Detected, '2'
// Not detected, '3' Unknown. The decision log keeps them in a column beside
// the report, so that a counter reading checks can be backfilled without
// decoding every stored report (FromColumns). It returns nil for a report
// built by hand (not by Decode), whose checks live in its maps only.
func (r *Report) DocumentedCodes() []byte {
	if r.documented[0] == 0 { // Decode sets all or none
		return nil
	}
	out := make([]byte, NumDocumentedChecks)
	for i, c := range r.documented {
		out[i] = '0' + c
	}
	return out
}

// FromColumns rebuilds, from what the decision log keeps in columns of its
// own, the part of a decoded report that a counter reading only user_id,
// risk_score and documented checks reads: CheckAt and CopyDocumentedChecks
// answer as for the report that gave codes (DocumentedCodes); every other
// field is empty and the check maps are nil, so it must not be read for
// anything else.
func FromColumns(userID string, riskScore int, codes []byte) (*Report, error) {
	if len(codes) != NumDocumentedChecks {
		return nil, fmt.Errorf("check codes: %d bytes, want %d", len(codes), NumDocumentedChecks)
	}
	r := &Report{UserID: userID, RiskScore: riskScore}
	for i, c := range codes {
		if c < '1' || c > '3' {
			return nil, fmt.Errorf("check codes: byte %d is %q, want '1', '2' or '3'", i, c)
		}
		r.documented[i] = c - '0'
	}
	return r, nil
}
