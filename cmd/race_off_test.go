//go:build !race

package cmd

// raceEnabled is true in a test binary built with -race.
const raceEnabled = false
