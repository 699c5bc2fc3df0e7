package upstream

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// turnScript is windowLimiter's allow and reserve in one atomic Redis
// script, so that every replica's plugin process takes its turns from the
// same sliding window: at most n turns in any window of window_ms, on
// Redis's clock (TIME), so the replicas' own clocks do not matter.
//
// KEYS[1] is a sorted set of turns (score: their time in ms; member: a
// token, by which a turn that will not start is given back). ARGV: n,
// window_ms, token, mode ("allow": a turn free now or none; "reserve": the
// earliest free turn from now on). It returns {turn, now} in ms, turn -1
// when mode allow found none free now. The search is windowLimiter.earliest.
var turnScript = redis.NewScript(`
local n = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
local raw = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local s = {}
for i = 2, #raw, 2 do s[#s + 1] = tonumber(raw[i]) end
local at = now
for i = 1, #s - n + 1 do
  local first, last = s[i], s[i + n - 1]
  if last - first < win then
    if at > last - win and at < first + win then at = first + win end
  end
end
if ARGV[4] == 'allow' and at ~= now then return {-1, now} end
redis.call('ZADD', KEYS[1], at, ARGV[3])
redis.call('PEXPIRE', KEYS[1], (at - now) + win + 1000)
return {at, now}
`)

// sharedTurn is a turn taken from a shared limiter: when it comes (on the
// local clock) and how to give it back.
type sharedTurn struct {
	at     time.Time
	cancel func()
}

// takeTurn runs turnScript on the limiter named key (a credential
// fingerprint and a part of its budget) of n turns per window. ok false:
// Redis failed (the caller falls back to its local guard). With allowOnly,
// a turn comes back only when one is free at once (turn nil otherwise).
func (s *Shared) takeTurn(ctx context.Context, key string, n int, window time.Duration, allowOnly bool) (turn *sharedTurn, ok bool) {
	if !s.usable() {
		return nil, false
	}
	mode := "reserve"
	if allowOnly {
		mode = "allow"
	}
	token := randomToken()
	rk := sharedPrefix + "g:" + key
	cctx, cancel := s.ctx(ctx)
	res, err := turnScript.Run(cctx, s.rdb, []string{rk}, max(1, n), window.Milliseconds(), token, mode).Int64Slice()
	cancel()
	if s.observe(err) != nil || len(res) != 2 {
		return nil, false
	}
	local := time.Now()
	if res[0] < 0 {
		return nil, true
	}
	giveBack := func() {
		cctx, cancel := s.ctx(ctx)
		defer cancel()
		s.observe(s.rdb.ZRem(cctx, rk, token).Err())
	}
	return &sharedTurn{at: local.Add(time.Duration(res[0]-res[1]) * time.Millisecond), cancel: giveBack}, true
}
