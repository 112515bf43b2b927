package web

// How long an institution waits for its answer: from the end of its upload
// (the last byte of the request sent) to the answer page (the last byte of
// the response read), with all 32 institutions uploading at once, over a
// real HTTP connection on loopback. Run with
//
//	go test ./pipeline/web -run '^$' -bench Upload -benchtime 20x
//
// Each op is a new portal the morning after a nightly run (a ledger of 32
// accepted uploads), then 32 uploads at once, each a different filled
// workbook; p50-ms and p99-ms are over every upload of every op. With
// DuringRun, a consolidation of 32 uploads made just before runs at the
// same time, and run-ms is its mean duration; BenchmarkRunAlone is the
// same run without uploads, for comparison. Tests never assert times.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"kaohe/pipeline"
)

// endReader notes when its last byte has been read.
type endReader struct {
	r   io.Reader
	end time.Time
}

func (e *endReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF && e.end.IsZero() {
		e.end = time.Now()
	}
	return n, err
}

// round uploads one workbook for each institution at once and returns each
// one's wait.
func round(b *testing.B, f *fixture, client *http.Client, books [][]byte, names []string) []time.Duration {
	reqs := make([]*http.Request, len(books))
	ends := make([]*endReader, len(books))
	for i, data := range books {
		req := uploadRequest(b, f.link(names[i]), "自评表.xlsx", data)
		body, _ := io.ReadAll(req.Body)
		ends[i] = &endReader{r: bytes.NewReader(body)}
		req.Body, req.ContentLength = io.NopCloser(ends[i]), int64(len(body))
		reqs[i] = req
	}
	waits := make([]time.Duration, len(books))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range reqs {
		wg.Go(func() {
			<-start
			resp, err := client.Do(reqs[i])
			if err != nil {
				b.Error(err)
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				b.Errorf("upload %d: %d %v", i, resp.StatusCode, err)
			}
			waits[i] = time.Since(ends[i].end)
		})
	}
	close(start)
	wg.Wait()
	return waits
}

// books are one distinct filled workbook per institution for round n.
func books(f *fixture, n int) ([][]byte, []string) {
	var out [][]byte
	var names []string
	for i, in := range f.std.Institutions {
		out = append(out, f.workbook(in.Name, map[string]any{"contact_phone": fmt.Sprintf("0519-%04d%04d", n, i),
			"actual_certified": fmt.Sprint(900 + i + n)}))
		names = append(names, in.Name)
	}
	return out, names
}

func report(b *testing.B, waits []time.Duration) {
	sort.Slice(waits, func(i, j int) bool { return waits[i] < waits[j] })
	q := func(p float64) float64 {
		return float64(waits[int(p*float64(len(waits)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(waits)), "uploads")
}

func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
}

// scene is a portal the morning after a night's run: every institution
// uploaded once and the run consumed it (a ledger of 32, their copies,
// the report); then round n's workbooks, not yet sent.
func scene(b *testing.B, client *http.Client) (*fixture, [][]byte, []string) {
	f := newFixture(b, nil)
	first, names := books(f, 0)
	round(b, f, client, first, names)
	if _, err := pipeline.Run(context.Background(), pipeline.Options{Config: f.cfg}); err != nil {
		b.Fatal(err)
	}
	next, _ := books(f, 1)
	runtime.GC() // making the workbooks left garbage: not the uploads' to collect
	return f, next, names
}

// BenchmarkUpload: the 32 institutions upload at once, the morning after
// a run (each op a new portal in that state).
func BenchmarkUpload(b *testing.B) {
	client := benchClient()
	var waits []time.Duration
	for b.Loop() {
		b.StopTimer()
		f, books, names := scene(b, client)
		b.StartTimer()
		waits = append(waits, round(b, f, client, books, names)...)
	}
	report(b, waits)
}

// BenchmarkUploadDuringRun: the same, while a run consumes 32 uploads made
// just before (run-ms: how long that run took).
func BenchmarkUploadDuringRun(b *testing.B) {
	client := benchClient()
	var waits []time.Duration
	var runs time.Duration
	for b.Loop() {
		b.StopTimer()
		f, before, names := scene(b, client)
		round(b, f, client, before, names) // what the run takes
		now, _ := books(f, 2)
		runtime.GC()
		b.StartTimer()
		var wg sync.WaitGroup
		wg.Go(func() {
			t := time.Now()
			if _, err := pipeline.Run(context.Background(), pipeline.Options{Config: f.cfg}); err != nil {
				b.Error(err)
			}
			runs += time.Since(t)
		})
		waits = append(waits, round(b, f, client, now, names)...)
		wg.Wait()
	}
	report(b, waits)
	b.ReportMetric(float64(runs.Microseconds())/1000/float64(b.N), "run-ms")
}

// BenchmarkRunAlone: that run without uploads at the same time.
func BenchmarkRunAlone(b *testing.B) {
	client := benchClient()
	var runs time.Duration
	for b.Loop() {
		b.StopTimer()
		f, before, names := scene(b, client)
		round(b, f, client, before, names)
		runtime.GC()
		b.StartTimer()
		t := time.Now()
		if _, err := pipeline.Run(context.Background(), pipeline.Options{Config: f.cfg}); err != nil {
			b.Error(err)
		}
		runs += time.Since(t)
	}
	b.ReportMetric(float64(runs.Microseconds())/1000/float64(b.N), "run-ms")
}
