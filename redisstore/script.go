package redisstore

// takeScript is one step of GCRA for one key, run by the server as one
// atomic script, in one round trip. It is the arithmetic of
// [middleware.RateLimitPolicy.Decide] on microseconds: Lua numbers are
// doubles, exact for whole numbers up to 2^53, and a time since the epoch
// in microseconds stays far below that.
//
// KEYS[1] is the key, which holds the key's theoretical arrival time (TAT)
// in microseconds since the epoch, or nothing for a key at its full burst.
// ARGV holds the interval in whole microseconds (at least 1), the burst and
// the cost. The script reads the time with TIME, on the server's clock, so
// the instances that share the store share one clock and a skewed instance
// can neither gain nor lose cost. Redis 7 and Valkey replicate a script by
// its effects (the SET it makes), never by running it again, so reading
// TIME before a write is allowed and replicas get the same value.
//
// An admitted request with a cost sets the new TAT to expire at the TAT,
// rounded up to the millisecond (PXAT, on the same clock as TIME): the key
// is gone only once the limit key is at its full burst, the same as no
// key. A time to live (PX) rounded up would not do: it counts from the
// server's millisecond, which may lie up to 1ms before now, so the key could
// vanish before its TAT and give away that much refill. A refused request, or one
// of cost 0, writes nothing. The reply is {allowed (0 or 1), the TAT read
// (0 for none), now}, both times in microseconds, from which Go repeats the
// decision with Decide; a key holding anything but a number is an error.
const takeScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = 0
local held = redis.call('GET', KEYS[1])
if held then
	tat = tonumber(held)
	if not tat then
		return redis.error_reply('ERR rate limit key does not hold a time')
	end
end
local charged = math.max(tat, now) + cost * interval
if charged - burst * interval > now then
	return {0, tat, now}
end
if cost > 0 then
	redis.call('SET', KEYS[1], string.format('%.0f', charged), 'PXAT', string.format('%.0f', math.ceil(charged / 1000)))
end
return {1, tat, now}
`
