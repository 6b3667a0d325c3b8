package report

// NumDocumentedChecks is how many checks Roundtable documents: the device
// checks, then the biometric checks.
const NumDocumentedChecks = len(deviceCheckNames) + len(biometricCheckNames)

// CheckIndex numbers the documented checks 0..NumDocumentedChecks-1: the
// device checks in the order of DeviceCheckNames, then the biometric checks in
// the order of BiometricCheckNames. ok is false for a check Roundtable does not
// document in that group.
func CheckIndex(biometric bool, name string) (i int, ok bool) {
	names, base := DeviceCheckNames, 0
	if biometric {
		names, base = BiometricCheckNames, len(deviceCheckNames)
	}
	for j, n := range names {
		if n == name {
			return base + j, true
		}
	}
	return 0, false
}

// CheckAt returns documented check i (see CheckIndex) without a map lookup:
// the engine reads every check of every decision this way. A decoded report
// answers from the index Decode built beside the maps; a report built
// by hand answers from its maps, Unknown when they lack the check. A Report is
// read-only once decoded (the fetcher's cache shares it between requests), so
// the index and the maps cannot disagree.
func (r *Report) CheckAt(i int) CheckValue {
	if c := r.documented[i]; c != 0 {
		return checkWords[c]
	}
	if i < len(deviceCheckNames) {
		return r.DeviceChecks.Get(deviceCheckNames[i])
	}
	return r.BiometricChecks.Get(biometricCheckNames[i-len(deviceCheckNames)])
}

// indexChecks sets r.documented from the two check maps, which Decode
// has completed (every documented check present).
func (r *Report) indexChecks() {
	for i, n := range deviceCheckNames {
		r.documented[i] = checkCode(r.DeviceChecks.Get(n))
	}
	for i, n := range biometricCheckNames {
		r.documented[len(deviceCheckNames)+i] = checkCode(r.BiometricChecks.Get(n))
	}
}

// checkWords are the three check values by checkCode.
var checkWords = [...]CheckValue{1: Detected, 2: NotDetected, 3: Unknown}

// checkCode is a check value's index in checkWords: 1, 2 or 3 for the
// three values Decode accepts (0 for anything else, which it refuses).
func checkCode(v CheckValue) uint8 {
	switch v {
	case Detected:
		return 1
	case NotDetected:
		return 2
	case Unknown:
		return 3
	}
	return 0
}

// CopyDocumentedChecks copies every documented check into dst by
// CheckIndex, in one copy for a decoded report (CheckAt each, from the maps,
// for one built by hand).
func (r *Report) CopyDocumentedChecks(dst *[NumDocumentedChecks]CheckValue) {
	if r.documented[0] != 0 { // Decode sets all or none
		for i, c := range r.documented {
			dst[i] = checkWords[c]
		}
		return
	}
	for i := range dst {
		dst[i] = r.CheckAt(i)
	}
}
