package report

import "strconv"

// scanReport is Decode's fast path: a hand-written single-pass parser
// for the report object, with no reflection and no intermediate values.
//
// It accepts only inputs whose result it knows to be exactly what the
// encoding/json path (decodeReportStd) returns. On anything else — broken or
// trailing JSON, a field of an unexpected type, a bad check value, a bad
// score, duplicate top-level fields, escaped or non-ASCII field names
// (encoding/json matches names case-insensitively, with Unicode folding),
// invalid UTF-8, user_logs of a changed shape, very deep nesting — it returns
// ok false and the caller runs decodeReportStd, which decides and words the
// error as it always has. The rare paths therefore cost one extra partial
// scan; the usual path skips encoding/json entirely. TestScanReportMatchesStd and
// FuzzScanReport (report_scan_test.go) check the "exactly" by comparing
// the two.
//
// Raw is left for the caller to set.
func scanReport(b []byte) (r *Report, ok bool) {
	s := scanner{b: b}
	s.ws()
	if !s.eat('{') {
		return nil, false
	}
	r = &Report{}
	var seen uint16
	var score []byte
	var bio, dev Checks
	s.ws()
	if s.eat('}') {
		return nil, false // no session_id: the slow path words the error
	}
	for {
		s.ws()
		key, plain := s.str()
		if !plain {
			return nil, false
		}
		s.ws()
		if !s.eat(':') {
			return nil, false
		}
		s.ws()
		f := fieldOf(key)
		if f != fieldUnknown {
			if seen&(1<<f) != 0 {
				return nil, false // encoding/json merges some duplicates: leave them to it
			}
			seen |= 1 << f
		}
		switch f {
		case fieldSessionID:
			ok = s.optString(&r.SessionID)
		case fieldUserID:
			ok = s.optString(&r.UserID)
		case fieldRiskExplanation:
			ok = s.optString(&r.RiskExplanation)
		case fieldRecommendedAction:
			ok = s.optString(&r.RecommendedAction)
		case fieldTags:
			r.Tags, ok = s.tags()
		case fieldRiskScore:
			start := s.i
			ok = s.number()
			score = b[start:s.i]
		case fieldUserLogs:
			r.UserLogs, ok = s.userLogs()
		case fieldBiometricChecks:
			bio, ok = s.checks(true, &r.documented)
		case fieldDeviceChecks:
			dev, ok = s.checks(false, &r.documented)
		default:
			ok = s.skip(0)
		}
		if !ok {
			return nil, false
		}
		s.ws()
		if s.eat('}') {
			break
		}
		if !s.eat(',') {
			return nil, false
		}
	}
	s.ws()
	if s.i != len(b) || r.SessionID == "" {
		return nil, false
	}
	if r.RiskScore, ok = scanScore(score); !ok {
		return nil, false
	}
	r.BiometricChecks = fillChecks(bio, BiometricCheckNames)
	r.DeviceChecks = fillChecks(dev, DeviceCheckNames)
	for i, c := range r.documented {
		if c == 0 { // absent from the report: fillChecks made it Unknown
			r.documented[i] = checkCode(Unknown)
		}
	}
	return r, true
}

// The report's top-level fields, as bit numbers for the duplicate check.
const (
	fieldUnknown = iota
	fieldSessionID
	fieldUserID
	fieldTags
	fieldRiskScore
	fieldRiskExplanation
	fieldRecommendedAction
	fieldUserLogs
	fieldBiometricChecks
	fieldDeviceChecks
)

var fieldNames = [...]string{
	fieldSessionID: "session_id", fieldUserID: "user_id", fieldTags: "tags",
	fieldRiskScore: "risk_score", fieldRiskExplanation: "risk_explanation",
	fieldRecommendedAction: "recommended_action", fieldUserLogs: "user_logs",
	fieldBiometricChecks: "biometric_checks", fieldDeviceChecks: "device_checks",
}

// fieldOf returns the field an ASCII key names, matched as encoding/json
// does: exactly, or else ignoring ASCII case.
func fieldOf(key []byte) int {
	switch string(key) {
	case "session_id":
		return fieldSessionID
	case "user_id":
		return fieldUserID
	case "tags":
		return fieldTags
	case "risk_score":
		return fieldRiskScore
	case "risk_explanation":
		return fieldRiskExplanation
	case "recommended_action":
		return fieldRecommendedAction
	case "user_logs":
		return fieldUserLogs
	case "biometric_checks":
		return fieldBiometricChecks
	case "device_checks":
		return fieldDeviceChecks
	}
	for f := fieldSessionID; f < len(fieldNames); f++ {
		if equalFoldASCII(key, fieldNames[f]) {
			return f
		}
	}
	return fieldUnknown
}

// equalFoldASCII reports whether the ASCII key equals name ignoring case.
func equalFoldASCII(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i := range len(key) {
		c, n := key[i], name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= n && n <= 'Z' {
			n += 'a' - 'A'
		}
		if c != n {
			return false
		}
	}
	return true
}

// scanScore reads risk_score from its number literal: the usual one- to
// three-digit integer directly, anything else through decodeScore. ok is
// false when the field is missing or decodeScore rejects it.
func scanScore(lit []byte) (int, bool) {
	if len(lit) == 0 {
		return 0, false
	}
	if len(lit) <= 3 {
		n := 0
		for _, c := range lit {
			if c < '0' || c > '9' {
				n = -1
				break
			}
			n = n*10 + int(c-'0')
		}
		if n >= 0 && n <= 100 {
			return n, true
		}
	}
	score, err := decodeScore(lit)
	return score, err == nil
}

// fillChecks adds the documented checks a group lacks as Unknown, making
// the group when the report had none.
func fillChecks(c Checks, known []string) Checks {
	if c == nil {
		c = make(Checks, len(known))
	}
	for _, name := range known {
		if _, ok := c[name]; !ok {
			c[name] = Unknown
		}
	}
	return c
}

// optString reads a string into dst; null leaves dst as it is (as
// encoding/json does).
func (s *scanner) optString(dst *string) bool {
	if s.lit("null") {
		return true
	}
	v, ok := s.value()
	*dst = v
	return ok
}

// tags reads the tags array: null is nil, [] is empty but not nil, and a
// null element is "".
func (s *scanner) tags() ([]string, bool) {
	if s.lit("null") {
		return nil, true
	}
	if !s.eat('[') {
		return nil, false
	}
	tags := make([]string, 0, 4)
	s.ws()
	if s.eat(']') {
		return tags, true
	}
	for {
		s.ws()
		var t string
		if !s.optString(&t) {
			return nil, false
		}
		tags = append(tags, t)
		s.ws()
		if s.eat(']') {
			return tags, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}

// userLogs reads user_logs when it has the documented shape: null, or an
// array of objects (or nulls) whose action and user_time are strings and
// whose unix_timestamp is an int64. Any other shape makes ok false: the
// slow path drops the field.
func (s *scanner) userLogs() ([]UserLog, bool) {
	if s.lit("null") {
		return nil, true
	}
	if !s.eat('[') {
		return nil, false
	}
	logs := make([]UserLog, 0, 8)
	s.ws()
	if s.eat(']') {
		return logs, true
	}
	for {
		s.ws()
		var l UserLog
		if !s.lit("null") && !s.userLog(&l) {
			return nil, false
		}
		logs = append(logs, l)
		s.ws()
		if s.eat(']') {
			return logs, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}

func (s *scanner) userLog(l *UserLog) bool {
	if !s.eat('{') {
		return false
	}
	s.ws()
	if s.eat('}') {
		return true
	}
	for {
		s.ws()
		key, plain := s.str()
		if !plain {
			return false
		}
		s.ws()
		if !s.eat(':') {
			return false
		}
		s.ws()
		var ok bool
		switch {
		case equalFoldASCII(key, "action"):
			ok = s.optString(&l.Action)
		case equalFoldASCII(key, "user_time"):
			ok = s.optString(&l.UserTime)
		case equalFoldASCII(key, "unix_timestamp"):
			ok = s.int64(&l.UnixTimestamp)
		default:
			ok = s.skip(0)
		}
		if !ok {
			return false
		}
		s.ws()
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// int64 reads an integer literal that fits in an int64 into dst, as
// strconv.ParseInt does for encoding/json; null leaves dst as it is.
func (s *scanner) int64(dst *int64) bool {
	if s.lit("null") {
		return true
	}
	start := s.i
	if !s.number() {
		return false
	}
	lit := s.b[start:s.i]
	digits := lit
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) > 18 { // may overflow: let strconv decide
		n, err := strconv.ParseInt(string(lit), 10, 64)
		*dst = n
		return err == nil
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false // a fraction or an exponent: not an int64 to encoding/json
		}
		n = n*10 + int64(c-'0')
	}
	if lit[0] == '-' {
		n = -n
	}
	*dst = n
	return true
}

// checks reads a check group: null is nil, otherwise an object whose values
// are all one of the three documented values. Check names are kept as sent
// (the documented ones without allocating), and the group's documented checks
// are also stored in index by CheckIndex.
func (s *scanner) checks(biometric bool, index *[NumDocumentedChecks]uint8) (Checks, bool) {
	if s.lit("null") {
		return nil, true
	}
	if !s.eat('{') {
		return nil, false
	}
	size := len(deviceCheckNames)
	if biometric {
		size = len(biometricCheckNames)
	}
	c := make(Checks, size+2)
	s.ws()
	if s.eat('}') {
		return c, true
	}
	for {
		s.ws()
		name, doc, ok := s.checkName()
		if !ok {
			return nil, false
		}
		s.ws()
		if !s.eat(':') {
			return nil, false
		}
		s.ws()
		v, ok := s.checkValue()
		if !ok {
			return nil, false
		}
		c[name] = v
		if i := doc.device; !biometric && i >= 0 {
			index[i] = checkCode(v)
		} else if i := doc.biometric; biometric && i >= 0 {
			index[i] = checkCode(v)
		}
		s.ws()
		if s.eat('}') {
			return c, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}

// checkName reads a check name, returning the documented names as the
// strings of BiometricCheckNames and DeviceCheckNames, so that the usual
// report allocates no name, with their CheckIndex in either group.
func (s *scanner) checkName() (string, documentedName, bool) {
	start := s.i
	if key, plain := s.str(); plain {
		if d, ok := documentedNames[string(key)]; ok {
			return d.name, d, true
		}
		return string(key), notDocumented, true
	}
	s.i = start
	name, ok := s.value()
	if d, documented := documentedNames[name]; documented {
		return name, d, ok
	}
	return name, notDocumented, ok
}

// documentedName is a documented check name and its CheckIndex as a device
// and as a biometric check; -1 where it is not one.
type documentedName struct {
	name              string
	device, biometric int8
}

var notDocumented = documentedName{device: -1, biometric: -1}

// documentedNames maps each documented check name to its documentedName.
var documentedNames = func() map[string]documentedName {
	m := make(map[string]documentedName, NumDocumentedChecks)
	for _, n := range DeviceCheckNames {
		i, _ := CheckIndex(false, n)
		m[n] = documentedName{name: n, device: int8(i), biometric: -1}
	}
	for _, n := range BiometricCheckNames {
		d, ok := m[n]
		if !ok {
			d = documentedName{name: n, device: -1}
		}
		i, _ := CheckIndex(true, n)
		d.biometric = int8(i)
		m[n] = d
	}
	return m
}()

// checkValue reads a check value, which must be one of the three.
func (s *scanner) checkValue() (CheckValue, bool) {
	start := s.i
	if v, plain := s.str(); plain {
		switch string(v) {
		case string(Detected):
			return Detected, true
		case string(NotDetected):
			return NotDetected, true
		case string(Unknown):
			return Unknown, true
		}
		return "", false
	}
	s.i = start
	v, ok := s.value()
	if !ok || !CheckValue(v).Valid() {
		return "", false
	}
	return CheckValue(v), true
}
