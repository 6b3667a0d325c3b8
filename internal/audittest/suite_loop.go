package audittest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/verdicthq/verdict/audit"
	"github.com/verdicthq/verdict/engine"
)

// RunLoop runs the conformance suite of the review queue and the fraud
// labels (audit.Reviews, audit.Labels) against the backend of newURL.
func RunLoop(t *testing.T, newURL NewURL) {
	t.Run("ReviewOpensWithTrace", func(t *testing.T) { testReviewOpens(t, newURL) })
	t.Run("ReviewClaimAndResolve", func(t *testing.T) { testReviewClaimResolve(t, newURL) })
	t.Run("ReviewList", func(t *testing.T) { testReviewList(t, newURL) })
	t.Run("ReviewRaceAcrossStores", func(t *testing.T) { testReviewRace(t, newURL) })
	t.Run("Labels", func(t *testing.T) { testLabels(t, newURL) })
	t.Run("LabelsReadOnly", func(t *testing.T) { testLoopReadOnly(t, newURL) })
	t.Run("RulePerformance", func(t *testing.T) { testPerformance(t, newURL) })
}

// MustLoop opens a store that implements audit.Reviews and audit.Labels.
func MustLoop(t testing.TB, url string, opts audit.Options) (audit.Store, audit.Reviews, audit.Labels) {
	t.Helper()
	s := MustOpen(t, url, opts)
	r, ok1 := s.(audit.Reviews)
	l, ok2 := s.(audit.Labels)
	if !ok1 || !ok2 {
		t.Fatalf("%T implements Reviews %v, Labels %v", s, ok1, ok2)
	}
	return s, r, l
}

// ReviewTrace is SampleTrace(i) answered review by the live policy, with
// fired rules and the given policy name.
func ReviewTrace(i int, policy string) *audit.Trace {
	tr := SampleTrace(3*i + 1) // i%3 == 1: review, with fired rules
	tr.Policy.Name = policy
	return tr
}

func testReviewOpens(t *testing.T, newURL NewURL) {
	s, rv, _ := MustLoop(t, newURL(t), audit.Options{})
	ctx := context.Background()
	review := ReviewTrace(0, "checkout")
	allow, deny := SampleTrace(0), SampleTrace(2)
	monitor := ReviewTrace(1, "checkout")
	monitor.MonitorOnly, monitor.WouldBeOutcome, monitor.Outcome = true, engine.Review, engine.Allow
	MustAppend(t, s, review, allow, deny, monitor)

	got, err := rv.Review(ctx, review.ID)
	if err != nil {
		t.Fatalf("review of a review decision: %v", err)
	}
	if got.Status != audit.ReviewOpen || !got.OpenedAt.Equal(review.DecidedAt) || got.SessionID != review.SessionID ||
		got.Policy != review.Policy || fmt.Sprint(got.Rules) != fmt.Sprint(review.FiredRuleIDs()) {
		t.Errorf("review = %+v; trace %+v", got, review)
	}
	if len(got.Events) != 1 || got.Events[0].Kind != audit.EventOpened || !got.Events[0].At.Equal(review.DecidedAt) {
		t.Errorf("events = %+v, want one opened at %v", got.Events, review.DecidedAt)
	}
	for name, id := range map[string]string{"allow": allow.ID, "deny": deny.ID, "monitor-only review": monitor.ID, "unknown": audit.NewID()} {
		if _, err := rv.Review(ctx, id); !errors.Is(err, audit.ErrNotFound) {
			t.Errorf("review of %s decision: %v, want ErrNotFound", name, err)
		}
	}
	// A retried trace (same id) is refused, and opens no second review.
	again := ReviewTrace(0, "checkout")
	again.ID = review.ID
	if err := s.Append(ctx, again); !errors.Is(err, audit.ErrConflict) {
		t.Fatalf("append again: %v, want ErrConflict", err)
	}
	st, err := rv.ReviewStats(ctx)
	if err != nil || st.Open != 1 || !st.OldestOpen.Equal(review.DecidedAt) {
		t.Fatalf("stats = %+v, %v; want 1 open since %v", st, err, review.DecidedAt)
	}
}

func testReviewClaimResolve(t *testing.T, newURL NewURL) {
	s, rv, lb := MustLoop(t, newURL(t), audit.Options{})
	ctx := context.Background()
	tr := ReviewTrace(0, "checkout")
	MustAppend(t, s, tr)
	t0 := Base.Add(time.Hour)
	resolve := func(by string, at time.Time) error {
		_, err := rv.ResolveReview(ctx, tr.ID, audit.Resolution{Outcome: engine.Deny, Note: "card testing", By: by, At: at})
		return err
	}
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"alice claims", func() error { _, err := rv.ClaimReview(ctx, tr.ID, "alice", t0); return err }, nil},
		{"bob cannot claim within 30 min", func() error { _, err := rv.ClaimReview(ctx, tr.ID, "bob", t0.Add(29*time.Minute)); return err }, audit.ErrClaimed},
		{"bob cannot resolve alice's claim", func() error { return resolve("bob", t0.Add(10*time.Minute)) }, audit.ErrClaimed},
		{"alice renews", func() error { _, err := rv.ClaimReview(ctx, tr.ID, "alice", t0.Add(20*time.Minute)); return err }, nil},
		{"bob still cannot claim at 31 min", func() error { _, err := rv.ClaimReview(ctx, tr.ID, "bob", t0.Add(31*time.Minute)); return err }, audit.ErrClaimed},
		{"bob claims once it lapsed", func() error { _, err := rv.ClaimReview(ctx, tr.ID, "bob", t0.Add(50*time.Minute)); return err }, nil},
		{"a resolution to review is refused", func() error {
			_, err := rv.ResolveReview(ctx, tr.ID, audit.Resolution{Outcome: engine.Review, By: "bob", At: t0.Add(51 * time.Minute)})
			return err
		}, audit.ErrInvalid},
		{"bob resolves", func() error { return resolve("bob", t0.Add(55*time.Minute)) }, nil},
		{"a second resolve is refused", func() error { return resolve("bob", t0.Add(56*time.Minute)) }, audit.ErrResolved},
		{"a claim after resolve is refused", func() error { _, err := rv.ClaimReview(ctx, tr.ID, "carol", t0.Add(57*time.Minute)); return err }, audit.ErrResolved},
		{"unknown decision", func() error { _, err := rv.ClaimReview(ctx, audit.NewID(), "carol", t0); return err }, audit.ErrNotFound},
	}
	for _, st := range steps {
		err := st.do()
		if (st.want == nil) != (err == nil) || (st.want != nil && !errors.Is(err, st.want)) {
			t.Fatalf("%s: %v, want %v", st.name, err, st.want)
		}
	}
	got, err := rv.Review(ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != audit.ReviewResolved || got.Resolution != engine.Deny || got.ResolvedBy != "bob" || got.Note != "card testing" ||
		!got.ResolvedAt.Equal(t0.Add(55*time.Minute)) {
		t.Errorf("resolved review = %+v", got)
	}
	var kinds []string
	for _, e := range got.Events {
		kinds = append(kinds, e.Kind+":"+e.Actor)
	}
	if want := "[opened:verdict claimed:alice claimed:alice claimed:bob resolved:bob]"; fmt.Sprint(kinds) != want {
		t.Errorf("events %v, want %s", kinds, want)
	}
	labels, err := lb.LabelsOf(ctx, tr)
	if err != nil || len(labels) != 1 || labels[0].Label != audit.LabelFraud || labels[0].Reason != audit.ReasonManualReview ||
		labels[0].By != "bob" {
		t.Fatalf("labels after resolve = %+v, %v; want one fraud label, manual_review, by bob", labels, err)
	}
	// The trace itself never changes.
	stored, err := s.Get(ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	AssertSame(t, stored, tr)
	if st, err := rv.ReviewStats(ctx); err != nil || st.Open != 0 || !st.OldestOpen.IsZero() {
		t.Fatalf("stats after resolve = %+v, %v", st, err)
	}
}

func testReviewList(t *testing.T, newURL NewURL) {
	s, rv, _ := MustLoop(t, newURL(t), audit.Options{})
	ctx := context.Background()
	var all []*audit.Trace
	for i := range 7 {
		tr := ReviewTrace(i, []string{"checkout", "payout"}[i%2])
		all = append(all, tr)
	}
	// Appended newest first: the queue still lists the oldest first.
	for i := len(all) - 1; i >= 0; i-- {
		MustAppend(t, s, all[i])
	}
	if _, err := rv.ResolveReview(ctx, all[3].ID, audit.Resolution{Outcome: engine.Allow, By: "alice", At: Base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ids := func(f audit.ReviewFilter) []string {
		t.Helper()
		var out []string
		for {
			page, err := rv.Reviews(ctx, f)
			if err != nil {
				t.Fatalf("reviews %+v: %v", f, err)
			}
			for _, r := range page.Reviews {
				out = append(out, r.DecisionID)
			}
			if page.NextCursor == "" {
				return out
			}
			f.Cursor = page.NextCursor
		}
	}
	want := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, all[i].ID)
		}
		return out
	}
	// ReviewTrace(i) fires "bot-behind-anonymizer" (index 1) always, and
	// more on even 3i+1: rule index (3i+2)%3 = 2 when i is odd.
	cases := []struct {
		name string
		f    audit.ReviewFilter
		want []string
	}{
		{"open, default, paged by 2", audit.ReviewFilter{Limit: 2}, want(0, 1, 2, 4, 5, 6)},
		{"resolved", audit.ReviewFilter{Status: audit.ReviewResolved}, want(3)},
		{"policy", audit.ReviewFilter{Policy: "payout"}, want(1, 5)},
		{"rule", audit.ReviewFilter{Rule: "big-basket-automation"}, want(1, 5)},
		{"since", audit.ReviewFilter{Since: all[4].DecidedAt}, want(4, 5, 6)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ids(c.f); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %v\nwant %v", got, c.want)
			}
		})
	}
	for _, bad := range []audit.ReviewFilter{{Status: "closed"}, {Limit: audit.MaxLimit + 1}, {Cursor: "!!"}} {
		if _, err := rv.Reviews(ctx, bad); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("reviews %+v: %v, want ErrInvalid", bad, err)
		}
	}
}

// testReviewRace resolves one review from two stores on the same database
// (two replicas), many times at once: exactly one resolve wins.
func testReviewRace(t *testing.T, newURL NewURL) {
	url := newURL(t)
	s1, rv1, lb := MustLoop(t, url, audit.Options{})
	_, rv2, _ := MustLoop(t, url, audit.Options{})
	ctx := context.Background()
	tr := ReviewTrace(0, "checkout")
	MustAppend(t, s1, tr)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rv := []audit.Reviews{rv1, rv2}[i%2]
			<-start
			_, errs[i] = rv.ResolveReview(ctx, tr.ID, audit.Resolution{Outcome: engine.Deny, By: fmt.Sprintf("analyst-%d", i), At: Base.Add(time.Hour)})
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, audit.ErrResolved):
			t.Errorf("resolve %d: %v, want nil or ErrResolved", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d resolves succeeded, want exactly 1", won)
	}
	labels, err := lb.LabelsOf(ctx, tr)
	if err != nil || len(labels) != 1 {
		t.Fatalf("labels after the race: %+v, %v; want exactly one", labels, err)
	}
}

func testLabels(t *testing.T, newURL NewURL) {
	s, _, lb := MustLoop(t, newURL(t), audit.Options{})
	ctx := context.Background()
	d0, d1, d2 := SampleTrace(0), SampleTrace(7), SampleTrace(14) // one session (sess-0), users 0, 2, 4
	other := SampleTrace(1)
	MustAppend(t, s, d0, d1, d2, other)
	at := func(tr *audit.Trace) time.Time { return tr.DecidedAt }
	add := func(ls ...audit.Label) []audit.LabelResult {
		t.Helper()
		res, err := lb.AddLabels(ctx, ls)
		if err != nil {
			t.Fatalf("add labels: %v", err)
		}
		if len(res) != len(ls) {
			t.Fatalf("%d results for %d labels", len(res), len(ls))
		}
		return res
	}
	chargeback := audit.Label{Target: audit.TargetDecision, Value: d0.ID, Label: audit.LabelFraud, Reason: "chargeback", OccurredAt: Base.Add(48 * time.Hour)}
	res := add(chargeback)
	if res[0].Err != nil || res[0].Duplicate || res[0].Label.ID == 0 {
		t.Fatalf("first label: %+v", res[0])
	}
	first := res[0].Label.ID

	t.Run("same label twice is one", func(t *testing.T) {
		res := add(chargeback, chargeback)
		for i, r := range res {
			if r.Err != nil || !r.Duplicate || r.Label.ID != first {
				t.Fatalf("repeat %d: %+v, want duplicate of %d", i, r, first)
			}
		}
		noTime := chargeback
		noTime.OccurredAt = time.Time{}
		if r := add(noTime)[0]; !r.Duplicate {
			t.Fatalf("the same label without occurred_at: %+v, want duplicate", r)
		}
	})
	t.Run("a later label supersedes, history kept", func(t *testing.T) {
		r := add(audit.Label{Target: audit.TargetDecision, Value: d0.ID, Label: audit.LabelLegitimate, Reason: "customer_report"})[0]
		if r.Err != nil || r.Duplicate || r.Label.ID <= first {
			t.Fatalf("superseding label: %+v", r)
		}
		got, err := lb.LabelsOf(ctx, d0)
		if err != nil || len(got) != 2 || got[0].Label != audit.LabelFraud || got[1].Label != audit.LabelLegitimate {
			t.Fatalf("history = %+v, %v", got, err)
		}
		// Back to fraud: not a duplicate of the first, since the current label differs.
		if r := add(chargeback)[0]; r.Duplicate || r.Err != nil {
			t.Fatalf("fraud again after legitimate: %+v, want a new label", r)
		}
	})
	t.Run("a session label applies up to occurred_at", func(t *testing.T) {
		r := add(audit.Label{Target: audit.TargetSession, Value: d0.SessionID, Label: audit.LabelFraud, Reason: "chargeback", OccurredAt: at(d1)})[0]
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		for _, c := range []struct {
			tr   *audit.Trace
			want bool
		}{{d1, true}, {d2, false}, {other, false}} {
			got, err := lb.LabelsOf(ctx, c.tr)
			if err != nil {
				t.Fatal(err)
			}
			has := len(got) > 0 && got[len(got)-1].Target == audit.TargetSession
			if has != c.want {
				t.Errorf("decision at %v: labels %+v, session label applies %v, want %v", c.tr.DecidedAt, got, has, c.want)
			}
		}
	})
	t.Run("a batch keeps the good ones beside per-item errors", func(t *testing.T) {
		res := add(
			audit.Label{Target: audit.TargetDecision, Value: audit.NewID(), Label: audit.LabelFraud},
			audit.Label{Target: audit.TargetUser, Value: d2.UserID, Label: audit.LabelFraud, Reason: "chargeback"},
			audit.Label{Target: audit.TargetUser, Value: "nobody", Label: audit.LabelFraud},
			audit.Label{Target: audit.TargetDecision, Value: d1.ID, Label: "stolen"},
			audit.Label{Target: "order", Value: "x", Label: audit.LabelFraud},
		)
		wants := []error{audit.ErrNotFound, nil, audit.ErrNotFound, audit.ErrInvalid, audit.ErrInvalid}
		for i, w := range wants {
			if (w == nil) != (res[i].Err == nil) || (w != nil && !errors.Is(res[i].Err, w)) {
				t.Errorf("item %d: %v, want %v", i, res[i].Err, w)
			}
		}
		got, err := lb.LabelsOf(ctx, d2)
		if err != nil || len(got) != 1 || got[0].Target != audit.TargetUser {
			t.Fatalf("labels of the user's decision: %+v, %v", got, err)
		}
	})
	t.Run("too many in one call", func(t *testing.T) {
		if _, err := lb.AddLabels(ctx, make([]audit.Label, audit.MaxLabels+1)); !errors.Is(err, audit.ErrInvalid) {
			t.Fatalf("add %d labels: %v, want ErrInvalid", audit.MaxLabels+1, err)
		}
	})
	t.Run("each label, oldest first", func(t *testing.T) {
		var ids []int64
		if err := lb.EachLabel(ctx, func(l *audit.Label) error { ids = append(ids, l.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(ids) != 5 {
			t.Fatalf("%d labels stored, want 5: %v", len(ids), ids)
		}
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] {
				t.Fatalf("ids not ascending: %v", ids)
			}
		}
	})
}

func testLoopReadOnly(t *testing.T, newURL NewURL) {
	url := newURL(t)
	s, _, _ := MustLoop(t, url, audit.Options{})
	tr := ReviewTrace(0, "checkout")
	MustAppend(t, s, tr)
	_, rv, lb := MustLoop(t, url, audit.Options{ReadOnly: true})
	ctx := context.Background()
	if _, err := rv.Review(ctx, tr.ID); err != nil {
		t.Fatalf("read a review read-only: %v", err)
	}
	if _, err := rv.ClaimReview(ctx, tr.ID, "alice", Base); !errors.Is(err, audit.ErrReadOnly) {
		t.Errorf("claim read-only: %v, want ErrReadOnly", err)
	}
	if _, err := lb.AddLabels(ctx, []audit.Label{{Target: audit.TargetDecision, Value: tr.ID, Label: audit.LabelFraud}}); !errors.Is(err, audit.ErrReadOnly) {
		t.Errorf("label read-only: %v, want ErrReadOnly", err)
	}
}
