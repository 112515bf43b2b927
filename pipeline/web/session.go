package web

// Centre users' sessions and the rate limit on guesses. A session is a
// random token in a cookie (HttpOnly, SameSite=Lax, Secure under HTTPS);
// the server keeps only its hash, in memory: a restart logs everyone out.

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

type session struct {
	user    string
	expires time.Time
}

// sessions are the logged-in centre users, by the hash of their token.
type sessions struct {
	mu  sync.Mutex
	m   map[string]session
	ttl time.Duration
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{m: map[string]session{}, ttl: ttl}
}

// start makes a session for user and returns its token.
func (s *sessions) start(user string, now time.Time) string {
	token := newToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, v := range s.m { // expired ones go when someone logs in
		if now.After(v.expires) {
			delete(s.m, h)
		}
	}
	s.m[hashToken(token)] = session{user: user, expires: now.Add(s.ttl)}
	return token
}

// user returns the user of a live session.
func (s *sessions) user(token string, now time.Time) (string, bool) {
	if len(token) != tokenLen {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := hashToken(token)
	v, ok := s.m[h]
	if !ok || now.After(v.expires) {
		delete(s.m, h)
		return "", false
	}
	return v.user, true
}

func (s *sessions) end(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, hashToken(token))
}

// limiter counts failures (wrong passwords, unknown links) per key within
// a window; a key with max failures is refused until its window ends.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	m      map[string]*strikes
}

type strikes struct {
	n     int
	since time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, m: map[string]*strikes{}}
}

// blocked reports whether key has used up its failures, and until when.
func (l *limiter) blocked(key string, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.m[key]
	if s == nil {
		return time.Time{}, false
	}
	if now.Sub(s.since) >= l.window {
		delete(l.m, key)
		return time.Time{}, false
	}
	return s.since.Add(l.window), s.n >= l.max
}

// fail counts one failure of key.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.m) > 100000 { // a flood of addresses: forget the oldest picture rather than grow
		for k, s := range l.m {
			if now.Sub(s.since) >= l.window {
				delete(l.m, k)
			}
		}
	}
	s := l.m[key]
	if s == nil || now.Sub(s.since) >= l.window {
		s = &strikes{since: now}
		l.m[key] = s
	}
	s.n++
}

// clientAddr is the client's address: the connection's peer or, behind
// a trusted reverse proxy, the last address of X-Forwarded-For (the one
// the proxy added).
func clientAddr(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndex(last, ","); i >= 0 {
				last = last[i+1:]
			}
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
