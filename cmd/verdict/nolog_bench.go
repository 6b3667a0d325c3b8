//go:build benchnolog

package main

// The benchmark build accepts VERDICT_DATABASE_URL=off (see allowNoLog).
func init() { allowNoLog = true }
