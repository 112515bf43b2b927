package web

// How long an institution waits for its answer: from the end of its upload
// (the last byte of the request sent) to the answer page (the last byte of
// the response read), with all 32 institutions uploading at once, over a
// real HTTP connection on loopback. Run with
//
//	go test ./pipeline/web -run '^$' -bench Upload -benchtime 20x
//
// Each round (op) is 32 uploads at once, each a different filled workbook;
// p50-ms and p99-ms are over every upload of every round. With DuringRun,
// a consolidation runs at the same time as each round (consuming the
// round before), and run-ms is its mean duration; BenchmarkRunAlone is the
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

func BenchmarkUpload(b *testing.B) {
	f := newFixture(b, nil)
	client := benchClient()
	var waits []time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		books, names := books(f, n)
		n++
		runtime.GC() // making the workbooks left garbage: not the uploads' to collect
		b.StartTimer()
		waits = append(waits, round(b, f, client, books, names)...)
	}
	report(b, waits)
}

func BenchmarkUploadDuringRun(b *testing.B) {
	f := newFixture(b, nil)
	client := benchClient()
	var waits []time.Duration
	var runs time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		books, names := books(f, n)
		n++
		runtime.GC() // making the workbooks left garbage: not the uploads' to collect
		b.StartTimer()
		var wg sync.WaitGroup
		wg.Go(func() {
			t := time.Now()
			if _, err := pipeline.Run(context.Background(), pipeline.Options{Config: f.cfg}); err != nil {
				b.Error(err)
			}
			runs += time.Since(t)
		})
		waits = append(waits, round(b, f, client, books, names)...)
		wg.Wait()
	}
	report(b, waits)
	b.ReportMetric(float64(runs.Microseconds())/1000/float64(n), "run-ms")
}

func BenchmarkRunAlone(b *testing.B) {
	f := newFixture(b, nil)
	client := benchClient()
	var runs time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		books, names := books(f, n)
		n++
		round(b, f, client, books, names) // the files the run takes
		runtime.GC()
		b.StartTimer()
		t := time.Now()
		if _, err := pipeline.Run(context.Background(), pipeline.Options{Config: f.cfg}); err != nil {
			b.Error(err)
		}
		runs += time.Since(t)
	}
	b.ReportMetric(float64(runs.Microseconds())/1000/float64(n), "run-ms")
}
