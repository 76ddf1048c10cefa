// loadgen: an open-loop, constant-rate HTTP/1.1 POST generator for bench/heartbeats.ts.
//
// Request i is due at start + i/rate, whatever happened to the ones before it, and its latency is
// counted from that due time, not from when it went out: a server (or generator) that falls
// behind is charged for the queue it causes (no coordinated omission). A fixed pool of keep-alive
// connections carries the requests, one at a time each (no pipelining); when all are busy, due
// requests wait in a queue and that wait is part of their latency.
//
// The HTTP client is a minimal one (write a prepared request, read status line, headers and a
// Content-Length body): nothing happens behind the generator's back (no retries, no extra
// connections), and on a 2-core machine every cycle it spends is taken from the server it
// measures (0.1-0.35 of a core at 5,000/s here, mostly the two syscalls). Standard library only, so
// `go build` needs no network. Loopback targets only. Reads its job from a JSON file (-job),
// prints progress to stderr and one JSON result to stdout.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type client struct {
	Headers    map[string]string `json:"headers"`
	PlaybackID string            `json:"playbackId"`
}

type job struct {
	URL     string   `json:"url"`
	Rate    float64  `json:"rate"`
	Seconds float64  `json:"seconds"`
	Warmup  float64  `json:"warmup"` // seconds at the same rate before the measured part, reported apart
	Conns   int      `json:"conns"`
	Body    string   `json:"body"` // "heartbeat" or "empty"
	Clients []client `json:"clients"`
	// Heartbeats carry positions and client clocks that advance with wall time from this epoch (ms).
	EpochMs int64 `json:"epochMs"`
	// Beats in each heartbeat request (default 1): a player that sends its ticks in batches. The
	// beats of one request are spread evenly over the time since the client's previous request.
	BeatsPerRequest int `json:"beatsPerRequest"`
}

type req struct {
	due    time.Duration // since start
	raw    []byte        // the whole HTTP request
	client int32
	seq    int32
}

type sample struct {
	due    time.Duration
	done   time.Duration
	code   int
	err    bool
	client int32
	seq    int32
}

type window struct {
	T    int     `json:"t"`
	Rate float64 `json:"rate"`
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

type phase struct {
	Scheduled int      `json:"scheduled"`
	Done      int      `json:"done"`
	Errors    int      `json:"errors"`
	Non2xx    int      `json:"non2xx"`
	Achieved  float64  `json:"achieved"`
	P50       float64  `json:"p50"`
	P90       float64  `json:"p90"`
	P95       float64  `json:"p95"`
	P99       float64  `json:"p99"`
	P999      float64  `json:"p999"`
	Max       float64  `json:"max"`
	Windows   []window `json:"windows"`
}

type result struct {
	Warmup phase `json:"warmup"`
	phase
	// How late the scheduler itself handed out requests (it should be ~0: the generator kept up).
	MaxDispatchLagMs float64 `json:"maxDispatchLagMs"`
	CPUSeconds       float64 `json:"cpuSeconds"`
	Conns            int     `json:"conns"`
	Reconnects       int64   `json:"reconnects"`
	// Per client, the highest heartbeat sequence number answered with 2xx (acknowledged).
	MaxAcked []int32 `json:"maxAcked"`
	// Per client, how many requests were scheduled.
	Sent       []int  `json:"sent"`
	FirstError string `json:"firstError,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return ms(sorted[i])
}

func summarize(all []sample, from, to time.Duration, scheduled int) phase {
	var lat []time.Duration
	ph := phase{Scheduled: scheduled}
	wins := map[int][]time.Duration{}
	for _, s := range all {
		if s.due < from || s.due >= to {
			continue
		}
		if s.err {
			ph.Errors++
			continue
		}
		if s.code < 200 || s.code >= 300 {
			ph.Non2xx++
		}
		ph.Done++
		l := s.done - s.due
		lat = append(lat, l)
		w := int((s.due - from) / (10 * time.Second))
		wins[w] = append(wins[w], l)
	}
	ph.Errors += scheduled - ph.Done - ph.Errors // never answered (abandoned at the end)
	secs := (to - from).Seconds()
	ph.Achieved = float64(ph.Done-ph.Non2xx) / secs
	slices.Sort(lat)
	ph.P50, ph.P90, ph.P95, ph.P99, ph.P999 = pct(lat, 50), pct(lat, 90), pct(lat, 95), pct(lat, 99), pct(lat, 99.9)
	if len(lat) > 0 {
		ph.Max = ms(lat[len(lat)-1])
	}
	for w := 0; w*10 < int(secs+0.5); w++ {
		l := wins[w]
		slices.Sort(l)
		span := min(10, secs-float64(w*10))
		win := window{T: (w + 1) * 10, Rate: float64(len(l)) / span, P50: pct(l, 50), P99: pct(l, 99)}
		if len(l) > 0 {
			win.Max = ms(l[len(l)-1])
		}
		ph.Windows = append(ph.Windows, win)
	}
	return ph
}

// conn is one keep-alive HTTP/1.1 connection used for one request at a time.
type conn struct {
	addr string
	c    net.Conn
	r    *bufio.Reader
}

var errProto = errors.New("malformed response")

// do sends a prepared request and reads the response; returns the status code.
func (k *conn) do(raw []byte, deadline time.Time) (int, error) {
	if k.c == nil {
		c, err := net.DialTimeout("tcp", k.addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		c.(*net.TCPConn).SetNoDelay(true)
		k.c, k.r = c, bufio.NewReaderSize(c, 16<<10)
	}
	k.c.SetDeadline(deadline)
	if _, err := k.c.Write(raw); err != nil {
		return 0, err
	}
	line, err := k.r.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// "HTTP/1.1 200 OK\r\n"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, errProto
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, errProto
	}
	length, closing := -1, false
	for {
		h, err := k.r.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(h) <= 2 {
			break
		}
		if i := bytes.IndexByte(h, ':'); i > 0 {
			name, value := h[:i], bytes.TrimSpace(h[i+1:])
			switch {
			case bytes.EqualFold(name, []byte("content-length")):
				if length, err = strconv.Atoi(string(value)); err != nil {
					return 0, errProto
				}
			case bytes.EqualFold(name, []byte("connection")):
				closing = bytes.EqualFold(value, []byte("close"))
			case bytes.EqualFold(name, []byte("transfer-encoding")):
				return 0, fmt.Errorf("transfer-encoding %q not supported", value)
			}
		}
	}
	if length < 0 {
		return 0, errors.New("response without content-length")
	}
	if _, err := k.r.Discard(length); err != nil {
		return 0, err
	}
	if closing {
		k.close()
	}
	return code, nil
}

func (k *conn) close() {
	if k.c != nil {
		k.c.Close()
		k.c = nil
	}
}

func main() {
	jobPath := flag.String("job", "", "JSON job file")
	flag.Parse()
	raw, err := os.ReadFile(*jobPath)
	if err != nil {
		fail(err)
	}
	var j job
	if err := json.Unmarshal(raw, &j); err != nil {
		fail(err)
	}
	u, err := url.Parse(j.URL)
	if err != nil {
		fail(err)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		fail(fmt.Errorf("refusing non-loopback target %s", u.Hostname()))
	}
	if u.Scheme != "http" {
		fail(fmt.Errorf("only http:// targets, not %s", u.Scheme))
	}
	if j.Conns <= 0 {
		j.Conns = 64
	}
	if len(j.Clients) == 0 {
		j.Clients = []client{{}}
	}

	// The request head of each client, up to the Content-Length value.
	heads := make([][]byte, len(j.Clients))
	for i, c := range j.Clients {
		var b bytes.Buffer
		fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n", u.RequestURI(), u.Host)
		for k, v := range c.Headers {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
		b.WriteString("Content-Length: ")
		heads[i] = b.Bytes()
	}
	seqs := make([]int, len(j.Clients))
	perRequest := max(1, j.BeatsPerRequest)

	warm := time.Duration(j.Warmup * float64(time.Second))
	total := warm + time.Duration(j.Seconds*float64(time.Second))
	n := int(j.Rate * (j.Warmup + j.Seconds))
	// Room for a minute of backlog, so the scheduler does not block behind a slow server.
	queue := make(chan req, min(n, int(j.Rate*60))+1024)
	results := make([][]sample, j.Conns)
	var wg sync.WaitGroup
	var reconnects atomic.Int64
	var firstErr atomic.Value
	// Requests still queued 15 s after the last one was due are abandoned (counted as errors).
	var abandon atomic.Bool
	start := time.Now()
	for w := 0; w < j.Conns; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			k := &conn{addr: u.Host}
			defer k.close()
			out := make([]sample, 0, n/j.Conns+1024)
			for r := range queue {
				if abandon.Load() {
					continue
				}
				s := sample{due: r.due, client: r.client, seq: r.seq}
				code, err := k.do(r.raw, time.Now().Add(10*time.Second))
				if err != nil {
					firstErr.CompareAndSwap(nil, err.Error())
					s.err = true
					k.close()
					reconnects.Add(1)
				}
				s.code = code
				s.done = time.Since(start)
				out = append(out, s)
			}
			results[w] = out
		}(w)
	}

	// The scheduler: hands out every request that is due, then sleeps a little.
	var maxLag time.Duration
	body := make([]byte, 0, 512)
	nextReport := 10 * time.Second
	for i := 0; i < n; {
		now := time.Since(start)
		for ; i < n; i++ {
			due := time.Duration(float64(i) / j.Rate * float64(time.Second))
			if due > now {
				break
			}
			maxLag = max(maxLag, now-due)
			c := i % len(j.Clients)
			body = body[:0]
			if j.Body == "heartbeat" {
				// A player on its normal cadence: position and client clock advance with wall time.
				body = append(body, `{"beats":[`...)
				for b := 0; b < perRequest; b++ {
					seqs[c]++
					// This client's previous request was due len(Clients)/Rate s ago; its beats since then are evenly spaced.
					at := due - time.Duration(float64(perRequest-1-b)/float64(perRequest)*float64(len(j.Clients))/j.Rate*float64(time.Second))
					if b > 0 {
						body = append(body, ',')
					}
					body = append(body, `{"playbackId":"`...)
					body = append(body, j.Clients[c].PlaybackID...)
					body = append(body, `","seq":`...)
					body = strconv.AppendInt(body, int64(seqs[c]), 10)
					body = append(body, `,"position":`...)
					body = strconv.AppendFloat(body, max(0, at.Seconds()), 'f', 3, 64)
					body = append(body, `,"rate":1,"playing":true,"visible":true,"event":"tick","clientAt":`...)
					body = strconv.AppendInt(body, j.EpochMs+at.Milliseconds(), 10)
					body = append(body, '}')
				}
				body = append(body, `]}`...)
			} else {
				seqs[c] += perRequest
				body = append(body, `{}`...)
			}
			msg := make([]byte, 0, len(heads[c])+len(body)+8)
			msg = append(msg, heads[c]...)
			msg = strconv.AppendInt(msg, int64(len(body)), 10)
			msg = append(msg, "\r\n\r\n"...)
			msg = append(msg, body...)
			queue <- req{due: due, raw: msg, client: int32(c), seq: int32(seqs[c])}
		}
		if now >= nextReport {
			fmt.Fprintf(os.Stderr, "    loadgen: %3.0f s, %d scheduled, %d queued\n", now.Seconds(), i, len(queue))
			nextReport += 10 * time.Second
		}
		time.Sleep(500 * time.Microsecond)
	}
	close(queue)
	doneCh := make(chan struct{})
	go func() { wg.Wait(); close(doneCh) }()
	select {
	case <-doneCh:
	case <-time.After(15 * time.Second):
		fmt.Fprintln(os.Stderr, "    loadgen: abandoning requests still queued 15 s after the end")
		abandon.Store(true)
		<-doneCh // in-flight ones end within their 10 s deadline
	}
	var all []sample
	for _, r := range results {
		all = append(all, r...)
	}
	nWarm := int(j.Rate * j.Warmup)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	out := result{
		Warmup:           summarize(all, 0, warm, nWarm),
		phase:            summarize(all, warm, total, n-nWarm),
		MaxDispatchLagMs: ms(maxLag),
		CPUSeconds:       time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds(),
		Conns:            j.Conns,
		Reconnects:       reconnects.Load(),
	}
	out.MaxAcked = make([]int32, len(j.Clients))
	for _, s := range all {
		if !s.err && s.code >= 200 && s.code < 300 && s.seq > out.MaxAcked[s.client] {
			out.MaxAcked[s.client] = s.seq
		}
	}
	out.Sent = seqs
	if e, ok := firstErr.Load().(string); ok {
		out.FirstError = e
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(1)
}
