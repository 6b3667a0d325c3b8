package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz says the process is up and serving HTTP. It checks nothing else, so
// an orchestrator never restarts verdict because Roundtable is down.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyStatus is the /readyz answer when every check passes.
type readyStatus struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyz says whether verdict can decide: a policy set is loaded, it is not
// shutting down, and every extra check passes — the decision log's is that
// it can be read and written (audit.Store.Ping: a commit within the last
// second, or a durable write probe), so a log that refuses writes turns it
// 503 at once and a log that writes again turns it 200, without a decision
// having to be let through first. A failure is a 503 not_ready error whose
// details map each check to "ok" or its error.
func (s *Server) readyz(c echo.Context) error {
	checks := map[string]string{"policies": "ok", "shutdown": "ok"}
	ok := true
	if s.live.Load() == nil {
		checks["policies"], ok = "no policy set loaded", false
	}
	if s.draining.Load() {
		checks["shutdown"], ok = "shutting down", false
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	for _, rc := range s.readiness {
		if err := rc.Check(ctx); err != nil {
			checks[rc.Name], ok = err.Error(), false
		} else {
			checks[rc.Name] = "ok"
		}
	}
	for _, n := range s.notes { // shown, never failing
		checks[n.Name] = n.Status()
	}
	if !ok {
		return &Error{Status: http.StatusServiceUnavailable, Code: CodeNotReady, Message: "not ready", Details: checks}
	}
	return c.JSON(http.StatusOK, readyStatus{Status: "ready", Checks: checks})
}
