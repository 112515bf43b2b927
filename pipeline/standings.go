package pipeline

import (
	"path"
	"time"

	"kaohe/pipeline/state"
	"kaohe/sheets"
	"kaohe/templates"
	"kaohe/templates/score"
)

// standings makes the report from the whole ledger, not only this run's
// files: it picks, for every institution, its newest accepted upload
// (older accepted ones are 被替代) and, when the newest upload of all was
// rejected, that one too; it scores and ranks them. Uploads of earlier
// runs are read again from their copies.
func (r *run) standings(fresh []consumed) (*sheets.Report, error) {
	defer r.clock.lap(&r.sum.Stages.Score)
	std, cfg, sum := r.std, &r.cfg, r.sum
	subs := r.reads // kept between calls of CurrentReport (portal.go); nil in a run
	if subs == nil {
		subs = map[string]consumed{}
	}
	for _, c := range fresh {
		subs[c.rec.Hash] = c
	}
	copies := state.NewCopies(r.stateDir)
	defer copies.Close()
	get := func(rec *state.Record) consumed {
		if c, ok := subs[rec.Hash]; ok {
			return c
		}
		var c consumed
		if rc, ok := r.restored[rec.Hash]; ok { // its pack is being written
			c = consumed{rec: rec, sub: readSubmission(rc.data, path.Base(rec.Name), std, cfg)}
		} else {
			c = consumed{rec: rec, sub: loadSubmission(copies, rec, std, cfg)}
		}
		subs[rec.Hash] = c
		return c
	}
	rep := &sheets.Report{Standard: std, Review: r.review}
	counted := map[string]*state.Record{}  // institution -> newest accepted
	r.counted = counted                    // the receipts say which upload still counts
	rejected := map[string]*state.Record{} // institution -> newest upload, when rejected and newer than any accepted
	for _, rec := range r.ledger.Newest() {
		status := sheets.StatusRejected
		if rec.Outcome == state.OutcomeLate {
			status = sheets.StatusLateRefused
		}
		key := rec.Institution
		if key == "" {
			key = "文件 " + rec.Name
		}
		switch {
		case rec.Outcome == state.OutcomeAccepted && counted[key] == nil:
			counted[key] = rec
			status = sheets.StatusAccepted
		case rec.Outcome == state.OutcomeAccepted:
			status = sheets.StatusSuperseded
			sum.Superseded++
		case counted[key] == nil && rejected[key] == nil:
			rejected[key] = rec
		}
		u := uploadOf(rec, cfg.loc, status)
		if rec.Outcome == state.OutcomeLate {
			u.Note = "截止时间 " + sheets.FormatTime(cfg.deadline.In(cfg.loc)) + " 之后收到"
		}
		if status == sheets.StatusSuperseded {
			u.Note = "已被 " + sheets.FormatTime(counted[key].Received.In(cfg.loc)) + " 上传的 " + path.Base(counted[key].Name) + " 替代"
		}
		u.Note = joinNotes(u.Note, timeNote(rec, cfg.loc))
		r.notes[rec.Hash] = u.Note // archive's renote adds what it says of the move
		u.Note = joinNotes(u.Note, noteOf(rec))
		rep.Uploads = append(rep.Uploads, u)
		if rec.Received.After(rep.AsOf) {
			rep.AsOf = rec.Received.In(cfg.loc)
		}
	}
	var results []score.Result
	uploads := map[string]*sheets.Upload{}
	for _, in := range std.Institutions {
		rec := counted[in.Name]
		if rec == nil {
			continue
		}
		c := get(rec)
		s := c.sub
		if !s.Accepted() { // the rules or the allocation changed since it was consumed
			rejected[in.Name], counted[in.Name] = rec, nil
			continue
		}
		if c.result == nil { // read again from its copy
			res := r.score(s)
			c.result = &res
		}
		results = append(results, *c.result)
		u := uploadOf(rec, cfg.loc, sheets.StatusAccepted)
		uploads[in.Name] = &u
		rep.Issues = append(rep.Issues, s.Issues...)
	}
	for _, rk := range score.Rank(results, cfg.style) {
		rk := rk
		rep.Standings = append(rep.Standings, sheets.Standing{Institution: rk.Institution, Status: sheets.StatusAccepted, Ranked: &rk, Upload: uploads[rk.Institution.Name]})
	}
	sum.Ranked = len(results)
	for _, in := range std.Institutions {
		if counted[in.Name] != nil {
			continue
		}
		st := sheets.Standing{Institution: in, Status: sheets.StatusMissing}
		if rec := rejected[in.Name]; rec != nil {
			status := sheets.StatusRejected
			if rec.Outcome == state.OutcomeLate {
				status = sheets.StatusLateRefused
			}
			u := uploadOf(rec, cfg.loc, status)
			st.Status, st.Upload = status, &u
		}
		rep.Standings = append(rep.Standings, st)
		sum.Missing++
	}
	// Issues of rejected uploads that are the newest of their institution
	// (known or not), in a stable order.
	for _, rec := range r.ledger.Newest() {
		key := rec.Institution
		if key == "" {
			key = "文件 " + rec.Name
		}
		if rejected[key] == rec && rec.Outcome != state.OutcomeLate { // a late one is not read for what it says
			rep.Issues = append(rep.Issues, get(rec).sub.Issues...)
		}
	}
	return rep, nil
}

// loadSubmission reads a consumed file again from its copy.
func loadSubmission(copies *state.Copies, rec *state.Record, std *templates.Standard, cfg *Config) *sheets.Submission {
	if rec.NotKept { // refused unread for its size: no copy, the same answer
		return oversized(path.Base(rec.Name), cfg)
	}
	b, err := copies.Read(rec)
	if err != nil {
		return &sheets.Submission{File: path.Base(rec.Name), Issues: []sheets.Issue{{Severity: sheets.Error, File: path.Base(rec.Name),
			Message: "存档副本缺失或已损坏，无法重新读取，请重新上传", Cause: err.Error()}}}
	}
	return readSubmission(b, path.Base(rec.Name), std, cfg)
}

func uploadOf(rec *state.Record, loc *time.Location, status sheets.Status) sheets.Upload {
	return sheets.Upload{File: path.Base(rec.Name), Institution: rec.Institution, Received: rec.Received.In(loc), Hash: rec.Hash,
		Status: status, Late: rec.Late, Errors: rec.Errors, Warnings: rec.Warnings}
}
