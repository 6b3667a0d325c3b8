# The shipped rules/checkout.yaml in Rego, for the OPA side of bench/run.sh (docs/bench-audit.md):
# the same rules, the same most-severe combination, and for each fired rule the values it read,
# as verdict answers them. The input is the Roundtable report with the caller's context under
# "context" (OPA fetches nothing: the bench hands it the report verdict keeps cached).
package verdict.checkout

import rego.v1

anonymized if input.device_checks.vpn == "Detected"

anonymized if input.device_checks.tor == "Detected"

synthetic_device if input.device_checks.virtual_machine == "Detected"

synthetic_device if input.device_checks.software_renderer == "Detected"

automation_signals := count([1 |
	some k in ["agent_behavior", "programmatic_typing", "programmatic_clicking", "teleporting_mouse", "centered_clicks", "jump_scrolling"]
	input.biometric_checks[k] == "Detected"
])

pasted_input if input.biometric_checks.all_pasted == "Detected"

pasted_input if input.biometric_checks.external_input == "Detected"

pasted_input if input.biometric_checks.no_corrections == "Detected"

big_basket if object.get(input, ["context", "amount"], 0) >= 500

fired contains {"id": "high-risk-score", "action": "deny", "inputs": {"risk_score": input.risk_score}} if input.risk_score >= 70

fired contains {"id": "medium-risk-score", "action": "review", "inputs": {"risk_score": input.risk_score}} if {
	input.risk_score >= 50
	input.risk_score < 70
}

fired contains {"id": "automation-tool", "action": "deny", "inputs": {"device_checks.bot": input.device_checks.bot}} if input.device_checks.bot == "Detected"

fired contains {"id": "tor-exit", "action": "review", "inputs": {"device_checks.tor": input.device_checks.tor}} if input.device_checks.tor == "Detected"

fired contains {"id": "scripted-behaviour", "action": "deny", "inputs": {"biometric_checks": input.biometric_checks}} if automation_signals >= 3

fired contains {"id": "anonymized-automation", "action": "deny", "inputs": {"device_checks.vpn": input.device_checks.vpn, "device_checks.tor": input.device_checks.tor, "biometric_checks": input.biometric_checks}} if {
	anonymized
	automation_signals >= 1
}

fired contains {"id": "synthetic-device-pasted", "action": "review", "inputs": {"device_checks": input.device_checks, "biometric_checks": input.biometric_checks}} if {
	synthetic_device
	pasted_input
}

fired contains {"id": "location-spoofing", "action": "review", "inputs": {"device_checks.location_spoofing": input.device_checks.location_spoofing}} if input.device_checks.location_spoofing == "Detected"

fired contains {"id": "big-basket-anonymized", "action": "review", "inputs": {"context.amount": input.context.amount, "device_checks.vpn": input.device_checks.vpn, "device_checks.tor": input.device_checks.tor}} if {
	big_basket
	anonymized
}

outcome := "deny" if {
	some f in fired
	f.action == "deny"
} else := "review" if {
	some f in fired
	f.action == "review"
} else := "allow"

decision := {"outcome": outcome, "fired_rules": fired, "risk_score": input.risk_score}
