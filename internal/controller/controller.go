// Package controller is corsgate's Kubernetes source: it reads Gateway API
// objects, Services, EndpointSlices, Secrets, corsgate's own kinds and the
// foreign CORS kinds whose CRDs are installed from a controller-runtime
// cache, builds one config.Resources bundle, runs the same config.Translate
// as the file source and hands the snapshot to the data plane. Every replica
// does that; only the elected leader writes status back (status.go).
package controller

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/corsgate/corsgate/internal/config"
	"github.com/corsgate/corsgate/internal/ir"
	"github.com/corsgate/corsgate/internal/metrics"
	"github.com/corsgate/corsgate/internal/source"
)

// TriggerKubernetes marks a load caused by a change in the API server.
const TriggerKubernetes = "kubernetes"

// Defaults for Options.
const (
	DefaultDebounce = 200 * time.Millisecond
	DefaultMaxDelay = 2 * time.Second
	DefaultResync   = 30 * time.Second
)

// Options configure a Controller.
type Options struct {
	// Translate is passed to config.TranslateStatus (BindHost, PortOffset);
	// Kubernetes and GatewayClassNames are filled in on every sync.
	Translate config.Options
	// Apply hands a snapshot to the data plane (dataplane.Gateway.Apply).
	Apply func(*ir.Snapshot) error
	// Debounce is the quiet time after the last change before a sync, so a
	// burst of kubectl apply builds one snapshot; MaxDelay bounds the wait
	// under a steady stream of changes.
	Debounce, MaxDelay time.Duration
	// StatusResync rewrites status this often even without changes, which
	// repairs status another writer overwrote (default 30s).
	StatusResync time.Duration
	// GatewayClasses, when set, limits the replicas to these GatewayClasses
	// (still only those whose controllerName is config.ControllerName), so
	// two corsgate installations can share a cluster.
	GatewayClasses []string
	// AddressService names the Service in front of the replicas; its
	// load-balancer (else cluster) addresses go to Gateway status.addresses.
	AddressService types.NamespacedName
	Logger         *slog.Logger
	Metrics        *metrics.Metrics
}

// Controller keeps the data plane in step with the API server.
type Controller struct {
	opts   Options
	log    *slog.Logger
	cache  cache.Cache
	client client.Client // writes go to the API server, reads to the cache

	foreign *foreignKinds

	poked      chan struct{} // a watched object changed
	statusPoke chan struct{} // a new result is ready for the status writer

	mu         sync.Mutex
	generation uint64
	attempts   uint64
	problems   map[string]bool // the problems logged for the last sync

	result atomic.Pointer[result]
	status atomic.Pointer[source.Status]
	synced atomic.Bool
}

// result is what one sync produced, for the status writer.
type result struct {
	classes  []string // GatewayClasses with our controllerName
	report   *config.Report
	applyErr error // the data plane refused the snapshot
}

// New registers the controller's two runnables with mgr: the syncer, which
// runs on every replica, and the status writer, which runs on the leader.
func New(mgr manager.Manager, o Options) (*Controller, error) {
	if o.Apply == nil {
		return nil, errors.New("controller: Options.Apply is required")
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultDebounce
	}
	if o.MaxDelay < o.Debounce {
		o.MaxDelay = max(DefaultMaxDelay, o.Debounce)
	}
	if o.StatusResync <= 0 {
		o.StatusResync = DefaultResync
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Controller{
		opts: o, log: o.Logger, cache: mgr.GetCache(), client: mgr.GetClient(),
		poked: make(chan struct{}, 1), statusPoke: make(chan struct{}, 1),
		problems: map[string]bool{},
	}
	c.foreign = newForeignKinds(c)
	c.status.Store(&source.Status{})
	if err := mgr.Add(&syncer{c}); err != nil {
		return nil, err
	}
	if err := mgr.Add(&statusWriter{c}); err != nil {
		return nil, err
	}
	return c, nil
}

// Status reports the load attempts, for the admin server.
func (c *Controller) Status() source.Status { return *c.status.Load() }

// Synced reports whether the first snapshot from the API server is applied.
func (c *Controller) Synced() bool { return c.synced.Load() }

// poke asks for a sync; it never blocks.
func (c *Controller) poke() {
	select {
	case c.poked <- struct{}{}:
	default:
	}
}

// syncer watches, debounces and syncs. It runs on every replica.
type syncer struct{ c *Controller }

func (s *syncer) NeedLeaderElection() bool { return false }

func (s *syncer) Start(ctx context.Context) error {
	c := s.c
	if err := c.watchBase(ctx); err != nil {
		return err
	}
	if !c.cache.WaitForCacheSync(ctx) {
		return ctx.Err()
	}
	c.foreign.refresh(ctx)
	c.sync(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.poked:
		}
		if !c.debounce(ctx) {
			return nil
		}
		c.foreign.refresh(ctx)
		c.sync(ctx)
	}
}

// debounce waits until no change arrived for Debounce, or MaxDelay passed
// since the first one. False when ctx ended.
func (c *Controller) debounce(ctx context.Context) bool {
	deadline := time.NewTimer(c.opts.MaxDelay)
	defer deadline.Stop()
	quiet := time.NewTimer(c.opts.Debounce)
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return true
		case <-quiet.C:
			return true
		case <-c.poked:
			quiet.Reset(c.opts.Debounce)
		}
	}
}

// sync builds resources from the cache, translates, applies and publishes
// the report for the status writer.
func (c *Controller) sync(ctx context.Context) {
	res, classes, listProblems, err := c.resources(ctx)
	if err != nil {
		c.log.Error("reading objects from the cache failed; keeping the running configuration and retrying in 1s", "error", err)
		time.AfterFunc(time.Second, c.poke)
		return
	}
	opts := c.opts.Translate
	opts.Kubernetes = true
	opts.GatewayClassNames = classes
	snap, report, problems := translate(res, opts)
	problems = append(listProblems, problems...)
	problems.Sort()

	c.mu.Lock()
	c.generation++
	snap.Generation = c.generation
	snap.CreatedAt = time.Now().UTC()
	c.attempts++
	attempt := &source.Attempt{Number: c.attempts, Trigger: TriggerKubernetes, Time: snap.CreatedAt,
		Warnings: len(problems.Warnings())}
	c.logProblems(problems)
	c.mu.Unlock()

	applyErr := c.opts.Apply(snap)
	c.record(attempt, snap.Generation, problems, applyErr)
	if applyErr != nil {
		c.log.Error("the data plane refused the new configuration; the previous one keeps serving", "error", applyErr)
	} else {
		c.synced.Store(true)
		c.log.Debug("configuration applied", "generation", snap.Generation, "gatewayClasses", classes,
			"objects", len(res.Objects), "errors", len(problems.Errors()))
	}
	c.result.Store(&result{classes: classes, report: report, applyErr: applyErr})
	select {
	case c.statusPoke <- struct{}{}:
	default:
	}
}

// translate runs config.TranslateStatus on the objects in a stable order.
// The cache lists objects in map order, which changes from one sync to the
// next; where the translator lets the first object win (two Gateways
// claiming the same port and hostname), that order would flip the winner,
// the data plane and the status on every sync.
func translate(res *config.Resources, opts config.Options) (*ir.Snapshot, *config.Report, config.Problems) {
	orderObjects(res.Objects)
	return config.TranslateStatus(res, opts)
}

// orderObjects sorts objects by kind, then oldest first (the Gateway API
// convention for conflicts), then namespace and name.
func orderObjects(objs []*config.Object) {
	created := func(o *config.Object) time.Time {
		if m, ok := o.Value.(interface{ GetCreationTimestamp() metav1.Time }); ok {
			return m.GetCreationTimestamp().Time
		}
		return time.Time{}
	}
	slices.SortStableFunc(objs, func(a, b *config.Object) int {
		if c := cmp.Compare(a.APIVersion+"/"+a.Kind, b.APIVersion+"/"+b.Kind); c != 0 {
			return c
		}
		if c := created(a).Compare(created(b)); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
}

// record updates the load status shown on the admin server. Object errors
// do not fail an attempt in Kubernetes mode (those objects are left out and
// their status says why); only a refused snapshot does.
func (c *Controller) record(a *source.Attempt, gen uint64, problems config.Problems, applyErr error) {
	st := *c.status.Load()
	st.Attempts = a.Number
	for _, p := range problems.Errors() {
		if len(a.Errors) == source.MaxErrors {
			break
		}
		a.Errors = append(a.Errors, p.Error())
	}
	if applyErr == nil {
		a.Generation = gen
		st.ActiveGeneration = gen
		st.LastSuccess = a
		st.LastResult = metrics.ResultSuccess
	} else {
		a.Generation = st.ActiveGeneration
		a.Errors = append(a.Errors, applyErr.Error())
		st.LastFailure = a
		st.Failures++
		st.LastResult = metrics.ResultFailure
	}
	c.status.Store(&st)
	if c.opts.Metrics != nil {
		c.opts.Metrics.ConfigLoaded(applyErr == nil, st.ActiveGeneration, len(a.Errors), a.Time)
	}
}

// logProblems logs each problem once, when it first appears.
func (c *Controller) logProblems(ps config.Problems) {
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		line := p.Error()
		seen[line] = true
		if c.problems[line] {
			continue
		}
		if p.Severity == config.SeverityWarning {
			c.log.Warn("configuration warning", "problem", line)
		} else {
			c.log.Error("object left out of the configuration", "problem", line)
		}
	}
	c.problems = seen
}
