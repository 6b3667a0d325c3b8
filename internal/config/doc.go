// Package config is the configuration of `verdict serve`: one YAML file plus
// VERDICT_* and ROUNDTABLE_* environment overrides, checked by Validate before
// anything starts.
//
// Loading runs in a fixed order: Default() -> the YAML file (strict: an unknown
// key is an error) -> the environment -> Validate(). Every field is documented
// on its struct, and docs/operations.md lists them with their environment
// variables.
//
// The package only reads and checks settings; it starts nothing. Secrets (the
// Roundtable key and the callers' API keys) are held in the Secret type, which
// prints as "[redacted]" in logs, errors and JSON.
package config
