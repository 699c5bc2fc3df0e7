package upstream

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Shared is the state Grafana's replicas share through one Redis (Grafana
// in high availability, where every replica runs its own plugin process):
// the answer cache behind each process's own (the lru stays the first
// level), the coalescing of identical calls and the OVH rate guard.
//
// Redis is a help, never a need: every Redis call is bounded by a short
// timeout, and while Redis fails the plugin answers from its own cache, calls
// the upstream itself and guards OVHcloud at its budget ÷ Replicas (see
// rateGuard). A failure is logged once a minute, counted in the metrics and
// told by Status; Redis is tried again sharedRetry after each failure.
type Shared struct {
	rdb *redis.Client
	// where is the Redis URL fit to show (no user-info).
	where  string
	logger log.Logger

	mu        sync.Mutex
	nReplicas int       // how many plugin processes share the budget
	downUntil time.Time // Redis is not tried before then
	lastErr   string    // the last failure, "" once Redis answered again
	lastLog   time.Time
}

// Timeouts of the shared state: one Redis call, and how long a failing
// Redis is left alone before it is tried again.
const (
	sharedTimeout = 150 * time.Millisecond
	sharedRetry   = 2 * time.Second
	sharedLogGap  = time.Minute
	sharedPrefix  = "servicestats:"
)

var (
	sharedMu      sync.Mutex
	sharedClients = map[string]*Shared{}
)

// SharedFor returns the process's one client of the Redis at rawURL with
// password (which, when given, overrides any in the URL), built on first
// use: every data source naming the same Redis shares its connections.
// replicas ≥ 1 is the number of plugin processes sharing it. rawURL ""
// returns nil (no shared state).
func SharedFor(rawURL, password string, replicas int) (*Shared, error) {
	if rawURL == "" {
		return nil, nil
	}
	sum := sha256.Sum256([]byte(rawURL + "\x00" + password))
	id := hex.EncodeToString(sum[:])
	quietRedis.Do(func() { redis.SetLogger(silentLogger{}) })
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if s, ok := sharedClients[id]; ok {
		if replicas >= 1 {
			s.setReplicas(replicas)
		}
		return s, nil
	}
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("sharedCacheUrl is not a Redis URL such as redis://redis:6379/0 (%s)", Quote(redactUser(rawURL)))
	}
	if password != "" {
		opts.Password = password
	}
	opts.DialTimeout = 2 * sharedTimeout
	opts.ReadTimeout = sharedTimeout
	opts.WriteTimeout = sharedTimeout
	opts.PoolTimeout = sharedTimeout
	opts.ContextTimeoutEnabled = true
	opts.MaxRetries = -1 // a failed call falls back at once; Redis is tried again later
	opts.PoolSize = 16
	opts.DialerRetries = 1 // a Redis that refuses is down; sharedRetry tries again
	opts.DisableIdentity = true
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	s := &Shared{rdb: redis.NewClient(opts), where: redactUser(rawURL), nReplicas: max(1, replicas), logger: log.DefaultLogger}
	sharedClients[id] = s
	metricSharedUp.WithLabelValues(s.where).Set(1)
	return s, nil
}

// quietRedis silences go-redis's own log lines (a refused dial on every
// try): Shared says a failure itself, once a minute.
var quietRedis sync.Once

type silentLogger struct{}

func (silentLogger) Printf(context.Context, string, ...any) {}

func (s *Shared) setReplicas(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nReplicas = n
}

// Replicas is how many plugin processes share the Redis and its budget
// (sharedCacheReplicas).
func (s *Shared) Replicas() int { return s.replicas() }

func (s *Shared) replicas() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nReplicas
}

// redactUser drops the user-info of a URL, for messages.
func redactUser(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	u.User = nil
	return u.String()
}

// usable reports whether Redis may be tried now (it did not fail lately).
func (s *Shared) usable() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !time.Now().Before(s.downUntil)
}

// ctx bounds one Redis call by sharedTimeout (and by the caller's context).
func (s *Shared) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(parent), sharedTimeout)
}

// observe records the outcome of a Redis call: a failure (anything but
// redis.Nil) leaves Redis alone for sharedRetry, is counted, and is logged
// at most once a minute; a success marks Redis up again. It returns err.
func (s *Shared) observe(err error) error {
	if err == nil || errors.Is(err, redis.Nil) {
		s.mu.Lock()
		back := s.lastErr != ""
		s.lastErr = ""
		s.mu.Unlock()
		if back {
			metricSharedUp.WithLabelValues(s.where).Set(1)
			s.logger.Info("shared cache reachable again", "redis", s.where)
		}
		return err
	}
	now := time.Now()
	msg := err.Error()
	s.mu.Lock()
	s.downUntil = now.Add(sharedRetry)
	s.lastErr = msg
	logIt := now.Sub(s.lastLog) >= sharedLogGap
	if logIt {
		s.lastLog = now
	}
	s.mu.Unlock()
	metricSharedUp.WithLabelValues(s.where).Set(0)
	metricSharedErrors.WithLabelValues(s.where).Inc()
	if logIt {
		s.logger.Warn("shared cache unreachable: answering from this process's cache, with a local OVH rate guard at the budget ÷ sharedCacheReplicas, until Redis answers again",
			"redis", s.where, "error", msg)
	}
	return err
}

// Status is nil when Redis answered its last call, else the failure in
// plain words. With probe it pings Redis first (for the health check).
func (s *Shared) Status(ctx context.Context, probe bool) error {
	if probe {
		cctx, cancel := s.ctx(ctx)
		err := s.rdb.Ping(cctx).Err()
		cancel()
		s.observe(err)
	}
	s.mu.Lock()
	last := s.lastErr
	s.mu.Unlock()
	if last == "" {
		return nil
	}
	return fmt.Errorf("shared cache unreachable: Redis at %s (%s) — this replica answers from its own cache, guarding OVHcloud at ovhRequestsPerMinute ÷ %d; check sharedCacheUrl, sharedCachePassword and that Grafana reaches Redis",
		Quote(s.where), Quote(last), s.replicas())
}

// Where is the Redis URL without its user-info, for messages.
func (s *Shared) Where() string { return s.where }

// hashKey turns a cache or coalescing key into a Redis key: the key is
// hashed, so Redis holds no URL, only fingerprints.
func hashKey(kind, key string) string {
	sum := sha256.Sum256([]byte(key))
	return sharedPrefix + kind + ":" + hex.EncodeToString(sum[:])
}

// sharedHeaders are the answer headers kept in Redis with a body: those the
// sources read from a successful answer. Nothing else of an answer (cookies,
// hop-by-hop headers) is shared.
var sharedHeaders = []string{"Content-Type", "Content-Length", "Link", "X-Total-Count", "X-Pagination-Total", "Retry-After", "X-Ovh-Queryid", "Date", "Last-Modified", "Etag"}

// maxSharedHeaders bounds the headers part of a shared entry.
const maxSharedHeaders = 16 << 10

// encodeEntry writes an answer for Redis: status, headers (JSON), body.
func encodeEntry(r *Response) []byte {
	h := http.Header{}
	for _, k := range sharedHeaders {
		if vs := r.Header.Values(k); len(vs) > 0 {
			h[k] = vs
		}
	}
	hj, _ := json.Marshal(h)
	if len(hj) > maxSharedHeaders {
		hj = []byte("{}")
	}
	out := make([]byte, 8, 8+len(hj)+len(r.Body))
	binary.BigEndian.PutUint32(out[0:4], uint32(r.Status))
	binary.BigEndian.PutUint32(out[4:8], uint32(len(hj)))
	out = append(out, hj...)
	return append(out, r.Body...)
}

// decodeEntry reads an entry written by encodeEntry.
func decodeEntry(b []byte) (*Response, bool) {
	if len(b) < 8 {
		return nil, false
	}
	status := int(binary.BigEndian.Uint32(b[0:4]))
	hl := int(binary.BigEndian.Uint32(b[4:8]))
	if status < 200 || status > 299 || hl > maxSharedHeaders || 8+hl > len(b) {
		return nil, false
	}
	var h http.Header
	if err := json.Unmarshal(b[8:8+hl], &h); err != nil {
		return nil, false
	}
	if h == nil {
		h = http.Header{}
	}
	return &Response{Status: status, Header: h, Body: b[8+hl:]}, true
}

// get reads the live entry of key, if Redis has one, reading no more than
// an answer of limit bytes can take: a larger entry counts as missing. It
// returns the answer and how long it still lives.
func (s *Shared) get(ctx context.Context, key string, limit int64) (*Response, time.Duration, bool) {
	if !s.usable() {
		return nil, 0, false
	}
	return s.getRaw(ctx, hashKey("c", key), limit)
}

// sharedWindow is a call's latest range in Redis (see Window): the entry
// answering it and the range it was fetched for.
type sharedWindow struct {
	Key      string `json:"k"` // the entry's Redis key
	From, To int64  // Unix nanoseconds
}

// getMoved reads the live entry of w's call fetched for an earlier range
// that w's range follows by at most its maxShift (see lru.getMoved).
func (s *Shared) getMoved(ctx context.Context, w *windowRef, limit int64) (*Response, time.Duration, bool) {
	if !s.usable() {
		return nil, 0, false
	}
	cctx, cancel := s.ctx(ctx)
	raw, err := s.rdb.Get(cctx, hashKey("w", w.key)).Bytes()
	cancel()
	if s.observe(err) != nil || len(raw) > 1024 {
		return nil, 0, false
	}
	var sw sharedWindow
	if json.Unmarshal(raw, &sw) != nil || !strings.HasPrefix(sw.Key, sharedPrefix+"c:") {
		return nil, 0, false
	}
	from, to := time.Unix(0, sw.From), time.Unix(0, sw.To)
	if shift := w.to.Sub(to); w.to.Sub(w.from) != to.Sub(from) || shift < 0 || shift > w.maxShift {
		return nil, 0, false
	}
	return s.getRaw(ctx, sw.Key, limit)
}

// getRaw is get for a key already hashed.
func (s *Shared) getRaw(ctx context.Context, rk string, limit int64) (*Response, time.Duration, bool) {
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	max := limit + 8 + maxSharedHeaders
	pipe := s.rdb.Pipeline()
	val := pipe.GetRange(cctx, rk, 0, max)
	ttl := pipe.PTTL(cctx, rk)
	_, err := pipe.Exec(cctx)
	if s.observe(err) != nil {
		return nil, 0, false
	}
	b := []byte(val.Val())
	if len(b) == 0 || int64(len(b)) > max || ttl.Val() <= 0 {
		return nil, 0, false
	}
	resp, ok := decodeEntry(b)
	if !ok || int64(len(resp.Body)) > limit {
		return nil, 0, false
	}
	return resp, ttl.Val(), true
}

// put stores an answer for ttl, and with win makes it its call's answer for
// moved ranges.
func (s *Shared) put(ctx context.Context, key string, resp *Response, ttl time.Duration, win *windowRef) {
	if !s.usable() || ttl < time.Millisecond {
		return
	}
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	rk := hashKey("c", key)
	pipe := s.rdb.Pipeline()
	pipe.Set(cctx, rk, encodeEntry(resp), ttl)
	if win != nil {
		sw, _ := json.Marshal(sharedWindow{Key: rk, From: win.from.UnixNano(), To: win.to.UnixNano()})
		pipe.Set(cctx, hashKey("w", win.key), sw, ttl)
	}
	_, err := pipe.Exec(cctx)
	s.observe(err)
}

// exists counts the keys of which Redis holds a live entry.
func (s *Shared) exists(ctx context.Context, keys []string) int {
	if !s.usable() || len(keys) == 0 {
		return 0
	}
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	rks := make([]string, len(keys))
	for i, k := range keys {
		rks[i] = hashKey("c", k)
	}
	n, err := s.rdb.Exists(cctx, rks...).Result()
	if s.observe(err) != nil {
		return 0
	}
	return int(n)
}

// unlockScript deletes a lock only if the caller still holds it.
var unlockScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)

// lock takes the short lock of a call (SET NX PX) for ttl. It returns the
// release function when this caller holds it, and held false when another
// process does. When Redis fails, the caller goes ahead as if it held it.
func (s *Shared) lock(ctx context.Context, key string, ttl time.Duration) (release func(), held bool) {
	noop := func() {}
	if !s.usable() {
		return noop, true
	}
	token := randomToken()
	rk := hashKey("l", key)
	cctx, cancel := s.ctx(ctx)
	ok, err := s.rdb.SetNX(cctx, rk, token, ttl).Result()
	cancel()
	if s.observe(err) != nil {
		return noop, true
	}
	if !ok {
		return noop, false
	}
	return func() {
		cctx, cancel := s.ctx(ctx)
		defer cancel()
		s.observe(unlockScript.Run(cctx, s.rdb, []string{rk}, token).Err())
	}, true
}

// locked reports whether another process still holds the call's lock;
// false when Redis fails.
func (s *Shared) locked(ctx context.Context, key string) bool {
	if !s.usable() {
		return false
	}
	cctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.rdb.Exists(cctx, hashKey("l", key)).Result()
	if s.observe(err) != nil {
		return false
	}
	return n > 0
}

func randomToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
